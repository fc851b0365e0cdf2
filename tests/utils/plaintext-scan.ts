// Looks for plaintext in what a keynode left on disk or in IndexedDB: every file's bytes and name,
// every IndexedDB key and value, and — because git stores objects zlib-compressed, where a raw
// search would miss even a plaintext secret — whatever inflates from any zlib stream inside them.
// Tests use it to prove encryption at rest, and on a plaintext store to prove the scan can fail.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Inflate } from 'pako';

export interface Found {
  where: string;
  needle: string;
}

/** Every byte sequence a stored value or key stands for: strings as UTF-8, binary as is, recursively. */
function flatten(value: unknown, out: Uint8Array[], depth = 0): void {
  if (depth > 32 || value === null || value === undefined) return;
  if (typeof value === 'string') out.push(Buffer.from(value, 'utf8'));
  else if (value instanceof Uint8Array) out.push(value);
  else if (value instanceof ArrayBuffer) out.push(new Uint8Array(value));
  else if (ArrayBuffer.isView(value)) out.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  else if (Array.isArray(value)) for (const v of value) flatten(v, out, depth + 1);
  else if (value instanceof Map) {
    for (const [k, v] of value) {
      flatten(k, out, depth + 1);
      flatten(v, out, depth + 1);
    }
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(Buffer.from(k));
      flatten(v, out, depth + 1);
    }
  }
}

/** The outputs of every zlib stream that starts somewhere in `bytes` (bounded per stream). */
function inflatedParts(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < bytes.length; i++) {
    const cmf = bytes[i]!;
    const flg = bytes[i + 1]!;
    if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) continue;
    const inflate = new Inflate();
    const chunks: Uint8Array[] = [];
    let size = 0;
    inflate.onData = (chunk: Uint8Array) => {
      if (size < 4 << 20) chunks.push(chunk);
      size += chunk.length;
    };
    try {
      inflate.push(bytes.subarray(i, Math.min(bytes.length, i + (8 << 20))), true);
    } catch {
      continue;
    }
    if (chunks.length > 0) out.push(Buffer.concat(chunks));
  }
  return out;
}

function search(where: string, parts: Uint8Array[], needles: string[], found: Found[]): void {
  for (const part of parts) {
    const all = [part, ...inflatedParts(part)];
    for (const bytes of all) {
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (const needle of needles) {
        if (buf.includes(Buffer.from(needle, 'utf8')) || buf.includes(Buffer.from(needle, 'utf16le'))) found.push({ where, needle });
      }
    }
  }
}

/** Every place under `dir` (file names and contents) where a needle appears. */
export async function scanFolder(dir: string, needles: string[]): Promise<Found[]> {
  const found: Found[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      search(`name ${p}`, [Buffer.from(entry.name)], needles, found);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile()) search(p, [await fsp.readFile(p)], needles, found);
    }
  };
  await walk(dir);
  return found;
}

/** Every place in the IndexedDB databases whose names pass `which` where a needle appears. */
export async function scanIndexedDb(which: (name: string) => boolean, needles: string[]): Promise<Found[]> {
  const found: Found[] = [];
  for (const { name } of await indexedDB.databases()) {
    if (name === undefined || !which(name)) continue;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      for (const storeName of Array.from(db.objectStoreNames)) {
        const rows = await new Promise<Array<[IDBValidKey, unknown]>>((resolve, reject) => {
          const rows: Array<[IDBValidKey, unknown]> = [];
          const req = db.transaction(storeName, 'readonly').objectStore(storeName).openCursor();
          req.onsuccess = () => {
            const cursor = req.result;
            if (cursor === null) return resolve(rows);
            rows.push([cursor.key, cursor.value]);
            cursor.continue();
          };
          req.onerror = () => reject(req.error);
        });
        for (const [key, value] of rows) {
          const parts: Uint8Array[] = [];
          flatten(key, parts);
          flatten(value, parts);
          search(`${name}/${storeName}/${String(key)}`, parts, needles, found);
        }
      }
    } finally {
      db.close();
    }
  }
  return found;
}
