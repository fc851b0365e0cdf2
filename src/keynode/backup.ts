// Encrypted backups of whole vaults, history included, that any keynode can restore. The file:
//
//   keynode-backup 1\n
//   {"kdf":{"alg":"argon2id","memoryKiB":…,"iterations":…,"parallelism":…,"salt":"…"},"iv":"…"}\n
//   AES-256-GCM(key = Argon2id(passphrase), associated data = the two lines above) of:
//     {"vaultName":…,"vaultId":…,"at":…,"from":…}\n
//     a git bundle (v2) of refs/heads/master: `git clone` reads it once decrypted
//
// The passphrase is the backup's own (not the keynode's): whoever restores it may be someone else.
// Restoring makes a new vault of this keynode's own (editable, whatever the original was) through
// the same fetch client and pack checks as a clone; a failure removes it again. The vault's last
// backup (time and version) is recorded, so the app can tell which vaults exist nowhere else.
import { KeynodeError, isKeynodeError } from '../errors.js';
import { randomBytes, type VaultId } from '../ids/index.js';
import { encodePktLine, fetchMaster, FLUSH, MASTER, uploadPack, writeMaster, type GitTransport } from '../git/index.js';
import { base64urlDecode, base64urlEncode } from '../keys/crypto.js';
import { assertPassphrase, KDF_DEFAULTS, passphraseKey } from '../keys/keyring.js';
import { nameCandidates } from '../vaults/names.js';
import type { CoreContext } from './context.js';
import { readPulls } from './pull-log.js';
import { collect } from './remote.js';
import { concatBytes, utf8 } from '../utils/bytes.js';

const MAGIC = 'keynode-backup 1\n';
const BUNDLE_HEAD = '# v2 git bundle\n';
/** A crafted file must not make us spend more than this on its key derivation. */
const MAX_KDF = { memoryKiB: 1024 * 1024, iterations: 10, parallelism: 4 };
/** Side-band-64k payload (a full pkt-line minus its length and channel byte). */
const BAND_DATA = 65515;

interface Header {
  kdf: { alg: 'argon2id'; memoryKiB: number; iterations: number; parallelism: number; salt: string };
  iv: string;
}

export interface BackupMeta {
  vaultName: string;
  vaultId: string;
  at: number;
  from: string;
}

function notABackup(why: string): KeynodeError {
  return new KeynodeError('ErrorInvalidArgument', `This file is not a keynode backup that can be read (${why}).`);
}

function backupKey(passphrase: string, kdf: Header['kdf']): Promise<CryptoKey> {
  return passphraseKey(passphrase, { ...kdf, salt: base64urlDecode(kdf.salt) }, ['encrypt', 'decrypt']);
}

/** The sealed part's cipher: AES-256-GCM, the two plaintext lines as associated data. */
function gcm(header: Header, preamble: Uint8Array): AesGcmParams {
  return { name: 'AES-GCM', iv: base64urlDecode(header.iv) as BufferSource, additionalData: preamble as BufferSource };
}

/** master's whole history as a git bundle (the pack upload-pack sends a peer that has nothing). */
async function bundleOf(ctx: CoreContext, vaultId: VaultId): Promise<{ head: string; bundle: Uint8Array }> {
  return ctx.vaults.withReadLock(vaultId, async () => {
    const head = await ctx.vaults.masterOf(vaultId);
    // No side-band asked for: the answer is one "NAK" pkt-line, then the raw pack.
    const request = concatBytes(encodePktLine(`want ${head} ofs-delta\n`), FLUSH, encodePktLine('done\n'));
    const answer = await collect(uploadPack(ctx.vaults.repo(vaultId), request));
    const nak = parseInt(utf8.decode(answer.subarray(0, 4)), 16);
    const pack = answer.subarray(nak);
    if (utf8.decode(pack.subarray(0, 4)) !== 'PACK') throw new KeynodeError('ErrorInternal', 'The vault could not be packed for its backup.');
    return { head, bundle: concatBytes(utf8.encode(`${BUNDLE_HEAD}${head} ${MASTER}\n\n`), pack) };
  });
}

export async function exportBackup(ctx: CoreContext, vaultId: VaultId, passphrase: string): Promise<Uint8Array> {
  assertPassphrase(passphrase);
  const meta = await ctx.vaults.getMeta(vaultId);
  const { head, bundle } = await bundleOf(ctx, vaultId);
  const about: BackupMeta = { vaultName: meta.name, vaultId, at: ctx.clock(), from: ctx.nodeId };
  const header: Header = { kdf: { alg: 'argon2id', ...KDF_DEFAULTS, salt: base64urlEncode(randomBytes(16)) }, iv: base64urlEncode(randomBytes(12)) };
  const preamble = utf8.encode(`${MAGIC}${JSON.stringify(header)}\n`);
  const key = await backupKey(passphrase, header.kdf);
  const plain = concatBytes(utf8.encode(`${JSON.stringify(about)}\n`), bundle);
  const sealed = new Uint8Array(await crypto.subtle.encrypt(gcm(header, preamble), key, plain as BufferSource));
  await ctx.storage.kv.write((tx) => tx.put('vaults', `backup:${vaultId}`, { at: about.at, commitId: head }));
  return concatBytes(preamble, sealed);
}

/** Reads the two plaintext lines; everything after them is the sealed part. */
function readHeader(file: Uint8Array): { header: Header; preamble: Uint8Array; sealed: Uint8Array } {
  if (!(file instanceof Uint8Array)) throw new KeynodeError('ErrorInvalidArgument', 'A backup is given as bytes (a Uint8Array).');
  const magic = utf8.encode(MAGIC);
  if (file.length < magic.length || utf8.decode(file.subarray(0, magic.length)) !== MAGIC) throw notABackup('it does not start like one');
  const end = file.indexOf(0x0a, magic.length);
  if (end < 0 || end - magic.length > 4096) throw notABackup('its header is missing');
  let header: Header;
  try {
    header = JSON.parse(utf8.decode(file.subarray(magic.length, end))) as Header;
  } catch {
    throw notABackup('its header is damaged');
  }
  const { kdf } = header;
  const whole = (n: unknown, max: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max;
  if (
    kdf?.alg !== 'argon2id' ||
    !whole(kdf.memoryKiB, MAX_KDF.memoryKiB) ||
    !whole(kdf.iterations, MAX_KDF.iterations) ||
    !whole(kdf.parallelism, MAX_KDF.parallelism)
  ) {
    throw notABackup('it uses a key derivation this keynode does not accept');
  }
  if (typeof kdf.salt !== 'string' || typeof header.iv !== 'string') throw notABackup('its header is incomplete');
  return { header, preamble: file.subarray(0, end + 1), sealed: file.subarray(end + 1) };
}

/** Decrypts a backup: what it is of, and its git bundle's master and pack. */
export async function openBackup(file: Uint8Array, passphrase: string): Promise<{ meta: BackupMeta; head: string; pack: Uint8Array }> {
  const { header, preamble, sealed } = readHeader(file);
  if (typeof passphrase !== 'string') throw new KeynodeError('ErrorInvalidArgument', 'The backup passphrase is text.');
  const key = await backupKey(passphrase, header.kdf);
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(await crypto.subtle.decrypt(gcm(header, preamble), key, sealed as BufferSource));
  } catch {
    throw new KeynodeError('ErrorKeynodePassphraseInvalid', 'That passphrase does not open this backup (or the file was changed).');
  }
  const metaEnd = plain.indexOf(0x0a);
  if (metaEnd < 0) throw notABackup('its contents are incomplete');
  const meta = JSON.parse(utf8.decode(plain.subarray(0, metaEnd))) as BackupMeta;
  const bundle = plain.subarray(metaEnd + 1);
  // The bundle's header: its signature, ref lines, then an empty line; we write no prerequisites.
  const blank = indexOfBytes(bundle, [0x0a, 0x0a]);
  const lines = utf8.decode(bundle.subarray(0, blank)).split('\n');
  const ref = /^([0-9a-f]{40}) refs\/heads\/master$/.exec(lines[1] ?? '');
  if (`${lines[0]}\n` !== BUNDLE_HEAD || ref === null) throw notABackup('its git bundle is not one keynode writes');
  return { meta, head: ref[1]!, pack: bundle.subarray(blank + 2) };
}

function indexOfBytes(bytes: Uint8Array, needle: number[]): number {
  for (let i = 0; i + needle.length <= bytes.length; i++) if (needle.every((b, j) => bytes[i + j] === b)) return i;
  return -1;
}

/** A git transport that serves one pack: what the fetch client reads a restored vault through. */
function packTransport(head: string, pack: Uint8Array): GitTransport {
  return {
    advertisement: concatBytes(encodePktLine(`${head} ${MASTER}\0side-band-64k ofs-delta\n`), FLUSH),
    async *pack() {
      yield encodePktLine('NAK\n');
      for (let at = 0; at < pack.length; at += BAND_DATA) yield encodePktLine(concatBytes(Uint8Array.of(1), pack.subarray(at, at + BAND_DATA)));
      yield FLUSH;
    },
  };
}

/** Restores a backup as a new vault of this keynode (named after the original unless `name`). */
export async function restoreBackup(ctx: CoreContext, file: Uint8Array, passphrase: string, name?: string): Promise<VaultId> {
  const { meta, head, pack } = await openBackup(file, passphrase);
  let vaultId: VaultId | undefined;
  for (const candidate of nameCandidates(name ?? meta.vaultName)) {
    try {
      vaultId = await ctx.vaults.create(candidate);
      break;
    } catch (e) {
      if (!isKeynodeError(e, 'ErrorVaultsVaultDefined')) throw e;
    }
  }
  if (vaultId === undefined) throw new KeynodeError('ErrorVaultsNameConflict', `No free name was found for "${name ?? meta.vaultName}".`);
  const id = vaultId;
  try {
    await ctx.vaults.withWriteLock(id, async () => {
      const repo = ctx.vaults.repo(id);
      await fetchMaster({ ...repo, transport: packTransport(head, pack) });
      await writeMaster(repo, head);
      await ctx.storage.flush();
    });
    // The new vault's own first commit is left unreachable: sweep it.
    await ctx.vaults.gc(id);
  } catch (e) {
    await ctx.vaults.delete(id).catch(() => undefined);
    throw e;
  }
  return id;
}

/** When the vault was last backed up, and at which version. */
export function lastBackup(ctx: CoreContext, vaultId: VaultId): Promise<{ at: number; commitId: string } | undefined> {
  return ctx.storage.kv.read((tx) => tx.get<{ at: number; commitId: string }>('vaults', `backup:${vaultId}`));
}

export function forgetBackup(ctx: CoreContext, vaultId: VaultId): Promise<void> {
  return ctx.storage.kv.write((tx) => tx.delete('vaults', `backup:${vaultId}`));
}

/**
 * This keynode's own vaults that exist nowhere else: nobody ever fetched them from here, and they
 * changed since their last backup (if any). A vault with nothing in it yet is left out.
 */
export async function backupReminders(ctx: CoreContext): Promise<Array<{ vaultId: string; vaultName: string; lastBackup?: number }>> {
  const out: Array<{ vaultId: string; vaultName: string; lastBackup?: number }> = [];
  for (const v of await ctx.vaults.list()) {
    if (v.remote !== undefined) continue;
    const id = v.vaultId as VaultId;
    if ((await readPulls(ctx.storage.kv, id)).length > 0) continue;
    const history = await ctx.vaults.log(id, { limit: 2 });
    if (history.length < 2) continue;
    const last = await lastBackup(ctx, id);
    if (last?.commitId === history[0]!.commitId) continue;
    out.push(last === undefined ? { vaultId: id, vaultName: v.vaultName } : { vaultId: id, vaultName: v.vaultName, lastBackup: last.at });
  }
  return out;
}
