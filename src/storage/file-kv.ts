// The KV contract on plain files for Node keynodes ({ dir }): the whole database lives in memory and
// every committed write transaction is appended to an fsync'd log, replayed on open. A torn last line
// (a crash mid-append) is ignored, so a transaction is either wholly in the log or not at all.
// CryptoKeys cannot be written to a file: the keys domain stores the seed instead (file mode 0600).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { KeynodeError } from '../errors.js';
import { storeNames, type KV, type StoreName } from './kv.js';
import { DELETED, StagedKV, type Staged } from './staged.js';
import { decode, encode } from './value-codec.js';

type Op = [StoreName, string, unknown] | [StoreName, string];
const COMPACT_BYTES = 8 * 1024 * 1024;

export async function openFileKV(dir: string): Promise<KV> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const kv = new FileKV(path.join(dir, 'keynode.kvlog'));
  await kv.load();
  return kv;
}

/** One log line: a JSON array of [store, key, value] puts and [store, key] deletes. Throws if malformed. */
function parseLine(line: string): Op[] {
  const ops: unknown = JSON.parse(line);
  if (!Array.isArray(ops)) throw new Error('not a list of operations');
  return ops.map((op: unknown): Op => {
    if (!Array.isArray(op) || (op.length !== 2 && op.length !== 3) || typeof op[0] !== 'string' || typeof op[1] !== 'string') {
      throw new Error('not an operation');
    }
    const store = op[0] as StoreName;
    return op.length === 3 ? [store, op[1], decode(op[2])] : [store, op[1]];
  });
}

class FileKV extends StagedKV {
  readonly persistsCryptoKeys = false;
  private readonly stores = new Map<StoreName, Map<string, unknown>>(storeNames.map((s) => [s, new Map()]));
  private logBytes = 0;
  private closed = false;

  constructor(private readonly file: string) {
    super();
  }

  async load(): Promise<void> {
    let buf: Buffer = Buffer.alloc(0);
    try {
      buf = await fsp.readFile(this.file);
      // The log holds the seed on Node: owner-only, even if it was copied in with a wider mode.
      if (((await fsp.stat(this.file)).mode & 0o077) !== 0) await fsp.chmod(this.file, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    // A transaction is committed once its whole line, newline included, is synced. An unterminated
    // tail, or a last line that does not parse, is a torn append: drop it AND cut it off the file,
    // or the next append would be glued to it and lost on the following open too. A bad line with
    // good lines after it is real damage: refuse to open rather than silently lose what follows.
    let start = 0;
    let good = 0;
    let lineNumber = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(0x0a, start);
      if (nl === -1) break;
      lineNumber++;
      const line = buf.toString('utf8', start, nl);
      start = nl + 1;
      if (line !== '') {
        let ops: Op[];
        try {
          ops = parseLine(line);
        } catch {
          if (buf.indexOf(0x0a, start) === -1) break;
          throw new KeynodeError(
            'ErrorStorageCorrupt',
            `The keynode database file ${this.file} is damaged (line ${lineNumber} cannot be read), so it was not opened and nothing was changed.`,
          );
        }
        this.apply(ops);
      }
      good = start;
    }
    if (good < buf.length) await fsp.truncate(this.file, good);
    this.logBytes = good;
    if (this.logBytes > COMPACT_BYTES) await this.compactQuietly();
  }

  private apply(ops: Op[]): void {
    for (const op of ops) {
      const store = this.stores.get(op[0]);
      if (store === undefined) continue;
      if (op.length === 3) store.set(op[1], op[2]);
      else store.delete(op[1]);
    }
  }

  /**
   * Compaction only saves space: the transaction that triggered it is already committed, so a
   * failure here (disk full) must not turn that commit into an error. It is tried again later.
   */
  private async compactQuietly(): Promise<void> {
    try {
      await this.rewrite();
    } catch {
      await fsp.rm(this.file + '.tmp', { force: true }).catch(() => undefined);
    }
  }

  /** Rewrites the log as the current records only (after plaintext was encrypted in place). */
  compact(): Promise<void> {
    return this.enqueue(() => this.rewrite());
  }

  private async rewrite(): Promise<void> {
    const ops: Op[] = [];
    for (const [name, store] of this.stores) for (const [k, v] of store) ops.push([name, k, encode(v)]);
    const tmp = this.file + '.tmp';
    const line = JSON.stringify(ops) + '\n';
    const handle = await fsp.open(tmp, 'w', 0o600);
    try {
      await handle.chmod(0o600); // a leftover .tmp keeps its old mode on open; this file holds the seed
      await handle.writeFile(line);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, this.file);
    this.logBytes = Buffer.byteLength(line);
  }

  protected ready(): void {
    if (this.closed) throw new KeynodeError('ErrorKeynodeStopped', 'This keynode has been stopped.');
  }

  protected committed(store: StoreName, key: string): unknown {
    return this.stores.get(store)?.get(key);
  }

  protected all(store: StoreName): ReadonlyMap<string, unknown> | undefined {
    return this.stores.get(store);
  }

  protected async commit(staged: Staged): Promise<void> {
    const ops: Op[] = [];
    for (const [store, changes] of staged) {
      for (const [k, v] of changes) ops.push(v === DELETED ? [store, k] : [store, k, v]);
    }
    const line = JSON.stringify(ops.map((op) => (op.length === 3 ? [op[0], op[1], encode(op[2])] : op))) + '\n';
    try {
      const handle = await fsp.open(this.file, 'a', 0o600);
      try {
        await handle.appendFile(line);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new KeynodeError('ErrorStorageQuota', 'The disk is full: the change was not saved and nothing already stored was lost.', { cause: e });
      }
      throw new KeynodeError('ErrorInternal', 'Writing the keynode database failed.', { cause: e });
    }
    this.apply(ops.map((op) => (op.length === 3 ? [op[0], op[1], structuredClone(op[2])] : op)));
    this.logBytes += Buffer.byteLength(line);
    if (this.logBytes > COMPACT_BYTES) await this.compactQuietly();
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
  }
}
