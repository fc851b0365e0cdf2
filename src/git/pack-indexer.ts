// Indexes a pack in memory as it arrives, as `git index-pack --fix-thin` does: every entry is
// inflated (finding where each zlib stream ends) and hashed as soon as its bytes are there, and
// an ofs-delta whose base is already known is applied then too, so that when the last byte
// comes only the trailer, the rare deltas still waiting (ref-deltas, the bases a thin pack left
// out, read from our own objects and appended so the stored pack is complete) and the v2 .idx
// remain. Anything that does not add up (truncated data, wrong object count, bad checksum, a
// delta against a missing base, a size that lies) is ErrorGitPackInvalid, thrown before a
// single byte is written anywhere. What is found wrong while the pack arrives stops the work and
// is reported at the end, after the checksum: a pack damaged on the way reads as damaged.
//
// Memory is bounded by the budgets of limits.ts, checked before each allocation: an entry's
// announced size against the per-object cap and the pack's budget before it is inflated (and it
// is never inflated past that size), a delta's announced result size — read from the delta's
// first bytes in the same pass — against both before any delta is applied, and against its
// base's real size where the base is already known. A pack over a budget is ErrorGitPackTooLarge.
import { sha1, sha1Hasher } from './sha1.js';
import { KeynodeError, isKeynodeError } from '../errors.js';
import { crc32 } from './crc32.js';
import { applyDelta, readDeltaHeader } from './delta.js';
import { EntryInflater, MORE } from './entry-inflater.js';
import { firstDuplicateId, writeIdx } from './idx-writer.js';
import { ENTRY_OVERHEAD_BYTES, InflateBudget, checkObjectSize, packLimits, type PackLimits } from './limits.js';
import { objectId } from './object-id.js';
import { PackBuffer } from './pack-buffer.js';
import { Entries, entryAt, grow } from './pack-entries.js';
import { OFS_DELTA, REF_DELTA, TYPE_CODES, TYPE_NAMES, entryHeader, readEntryHeader } from './pack-entry.js';
import type { GitObject, ObjectType } from './types.js';
import { deflate } from './zlib.js';
import { bytesEqual, fromHex, toHex } from '../utils/bytes.js';

const PACK_HEADER = 12;
/** Longest entry header: type and a 53-bit size in 8 bytes, then a ref-delta's 20-byte base id. */
const MAX_ENTRY_HEADER = 28;
const TRAILER = 20;
/**
 * Largest delta result applied as the pack arrives. A larger one waits for the end, when the
 * whole pack has been counted against the budget, so a pack of a few huge deltas is refused
 * before any of them is applied; a vault history's trees and secrets are far below it.
 */
const EAGER_RESULT_BYTES = 1 << 20;

export interface IndexPackOptions {
  /** Reads an object we already have: the base of a thin pack's ref-delta. */
  readBase?: (oid: string) => Promise<GitObject | undefined>;
  /** Budgets; DEFAULT_PACK_LIMITS (limits.ts) for whatever is not given. */
  limits?: Partial<PackLimits>;
  /**
   * Most bytes of pack taken (ErrorGitPackTooLarge past it); by default the inflated budget,
   * since a pack's entries take fewer bytes compressed than the budget counts for them inflated.
   */
  maxPackBytes?: number;
}

export interface IndexedPack {
  /** The pack to store: the one received, or it with missing thin-pack bases appended. */
  pack: Uint8Array;
  idx: Uint8Array;
  /** Hex SHA-1 trailer of `pack`, which names the files (pack-<checksum>.pack). */
  checksum: string;
  /** Number of objects in `pack`. */
  count: number;
  /** Bases appended from our own objects (non-zero only for thin packs). */
  appended: number;
  /** What the pack cost against maxPackInflatedBytes. */
  inflatedBytes: number;
  /** Object ids in the pack, for checking that what we asked for arrived. */
  has(oid: string): boolean;
}

export function invalid(why: string, cause?: unknown): KeynodeError {
  return new KeynodeError(
    'ErrorGitPackInvalid',
    `The vault data from the other keynode is not a valid git pack (${why}).`,
    cause === undefined ? undefined : { cause },
  );
}

/** Indexes a pack that has arrived whole. */
export function indexPack(received: Uint8Array, opts: IndexPackOptions = {}): Promise<IndexedPack> {
  const indexer = new PackIndexer(opts, received);
  return indexer.finish();
}

/** Indexes a pack while it arrives: `push` each piece as it comes, then `finish`. */
export class PackIndexer {
  private readonly limits: PackLimits;
  private readonly budget: InflateBudget;
  private readonly buffer: PackBuffer;
  private readonly hash = sha1Hasher();
  private hashed = 0; // bytes hashed so far: all but the last 20 seen, which may be the trailer
  private readonly inflater = new EntryInflater();
  private es = new Entries(0);
  private readonly refChildren = new Map<string, number[]>();
  private declared = -1; // the object count, once the pack header is in
  private pos = PACK_HEADER; // where the next entry starts
  private retryAt = 0; // the entry at `pos` was cut short: try again once this many bytes are in
  private headerError: KeynodeError | undefined;
  private entryError: KeynodeError | undefined;
  private known = 0;

  constructor(
    private readonly opts: IndexPackOptions = {},
    whole?: Uint8Array,
  ) {
    this.limits = packLimits(opts.limits);
    this.budget = new InflateBudget(this.limits);
    this.buffer = whole ? PackBuffer.of(whole) : new PackBuffer(opts.maxPackBytes ?? this.limits.maxPackInflatedBytes);
  }

  /** Entries whose object id is known so far (tests and benchmarks read how much is left). */
  get resolved(): number {
    return this.known;
  }

  /** Takes the next bytes of the pack and indexes what they complete. Only the byte bound throws here. */
  push(data: Uint8Array): void {
    this.buffer.push(data);
    this.receive(false);
  }

  private receive(final: boolean): void {
    const bytes = this.buffer.bytes();
    const hashTo = bytes.length - TRAILER;
    if (hashTo > this.hashed) {
      this.hash.update(bytes.subarray(this.hashed, hashTo));
      this.hashed = hashTo;
    }
    if (this.headerError || this.entryError) return;
    try {
      if (this.declared < 0) {
        if (bytes.length < PACK_HEADER) return;
        this.readHeader(bytes);
      }
      this.readEntries(bytes, final);
    } catch (e) {
      if (!isKeynodeError(e)) throw e;
      if (this.declared < 0) this.headerError = e;
      else this.entryError = e;
    }
  }

  private readHeader(bytes: Uint8Array): void {
    if (bytes[0] !== 0x50 || bytes[1] !== 0x41 || bytes[2] !== 0x43 || bytes[3] !== 0x4b) throw invalid('no PACK signature');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, PACK_HEADER);
    const version = dv.getUint32(4);
    if (version !== 2 && version !== 3) throw invalid(`version ${version}`);
    const declared = dv.getUint32(8);
    // The per-entry tables grow with the entries that arrive, but the count is paid for now.
    this.budget.take(declared * ENTRY_OVERHEAD_BYTES);
    this.declared = declared;
  }

  /**
   * Reads the entries the bytes so far hold, never the last 20 (they may be the trailer), so an
   * entry reads the same whether the pack came in one piece or many. Until the last byte
   * (`final`), an entry cut short waits; it is tried again once the bytes after its start have
   * doubled, so a large entry arriving in many pieces is inflated a few times, not once a piece.
   */
  private readEntries(bytes: Uint8Array, final: boolean): void {
    const limit = bytes.length - TRAILER;
    const maxObject = this.limits.maxObjectBytes;
    const budget = this.budget;
    while (this.es.count < this.declared) {
      const i = this.es.count;
      const start = this.pos;
      if (!final && (limit < this.retryAt || limit - start < MAX_ENTRY_HEADER)) return;
      if (start >= limit) throw invalid(`it ends after ${i} of ${this.declared} objects`);
      const head = readEntryHeader(bytes, start, limit, invalid);
      const isDelta = head.typeCode === OFS_DELTA || head.typeCode === REF_DELTA;
      checkObjectSize(isDelta ? 'a delta' : 'an object', head.size, maxObject);
      budget.take(head.size);
      let base = -1;
      if (head.baseOffset !== undefined) {
        base = entryAt(this.es.offsets, i, head.baseOffset);
        if (base < 0) throw invalid('a delta points at no entry');
      }
      const got = this.inflater.inflate(bytes, head.dataStart, limit, head.size, !final);
      if (got === MORE) {
        budget.give(head.size);
        this.retryAt = 2 * limit - start;
        return;
      }
      if (!got) throw invalid('an entry does not decompress to its recorded size');
      let size = head.size;
      if (isDelta) {
        // The result is paid for now, before any delta is applied: a few bytes of delta can
        // announce gigabytes.
        const sizes = readDeltaHeader(got.data);
        if (!sizes) throw invalid('a delta has an unreadable header');
        if (base >= 0 && sizes.baseSize !== this.es.sizes[base]) throw invalid('a delta does not fit its base');
        checkObjectSize("a delta's result", sizes.resultSize, maxObject);
        budget.take(sizes.resultSize);
        size = sizes.resultSize;
      }
      if (i === this.es.offsets.length) this.es = grow(this.es, this.declared);
      const es = this.es;
      es.offsets[i] = start;
      es.crcs[i] = crc32(bytes, start, got.end);
      es.sizes[i] = size;
      es.data[i] = got.data;
      es.count = i + 1;
      this.pos = got.end;
      this.onArrival(i, head.typeCode, base, head.baseOid);
    }
  }

  /** Resolves a new entry now if it can be: an object, or a small ofs-delta on a known base. */
  private onArrival(i: number, typeCode: number, base: number, baseOid: string | undefined): void {
    const es = this.es;
    if (baseOid !== undefined) {
      // Its base may come later in the pack, or be one of ours (a thin pack): at the end.
      let kids = this.refChildren.get(baseOid);
      if (!kids) this.refChildren.set(baseOid, (kids = []));
      kids.push(i);
    } else if (base < 0) {
      es.types[i] = typeCode;
      this.setOid(i, TYPE_NAMES[typeCode] as ObjectType, es.data[i] as Uint8Array);
      this.resolveFrom([i], false);
    } else if (es.done[base] && (es.sizes[i] as number) <= EAGER_RESULT_BYTES) {
      const stack: number[] = [];
      this.applyTo(base, i, stack);
      this.resolveFrom(stack, false);
    } else {
      es.nextSibling[i] = es.firstChild[base] as number;
      es.firstChild[base] = i;
    }
  }

  private setOid(i: number, type: ObjectType, content: Uint8Array): void {
    const es = this.es;
    objectId(type, content, es.oids, i * 20);
    es.done[i] = 1;
    this.known++;
    if (this.refChildren.size > 0) es.hex[i] = toHex(es.oids, i * 20, i * 20 + 20);
  }

  private applyTo(j: number, k: number, stack: number[]): void {
    const es = this.es;
    let out: Uint8Array;
    try {
      // Carved from the inflater's slabs, like the entries: one ArrayBuffer per resolved tree
      // (26,887 for L) added to a cold clone's garbage collection, and every result is kept (and
      // counted against the budget) while the pack arrives, so the slabs fill, none held for one.
      out = applyDelta(es.data[j] as Uint8Array, es.data[k] as Uint8Array, this.limits.maxObjectBytes, (n) => this.inflater.alloc(n));
    } catch (e) {
      if (isKeynodeError(e, 'ErrorGitPackTooLarge')) throw e;
      throw invalid('a delta does not apply to its base', e);
    }
    const type = es.types[j] as number;
    es.types[k] = type;
    es.data[k] = out;
    this.setOid(k, TYPE_NAMES[type] as ObjectType, out);
    stack.push(k);
  }

  /**
   * Applies every delta waiting on the resolved entries of `stack`, and on theirs in turn. While
   * the pack arrives an entry's content is kept (a later ofs-delta may name it); at the end
   * (`drop`) it is let go once its deltas are applied.
   */
  private resolveFrom(stack: number[], drop: boolean): void {
    const es = this.es;
    while (stack.length > 0) {
      const j = stack.pop() as number;
      for (let k = es.firstChild[j] as number; k >= 0; k = es.nextSibling[k] as number) this.applyTo(j, k, stack);
      es.firstChild[j] = -1;
      const hex = es.hex[j];
      if (hex !== undefined) {
        const kids = this.refChildren.get(hex);
        this.refChildren.delete(hex);
        if (kids) for (const k of kids) this.applyTo(j, k, stack);
      }
      if (drop) es.data[j] = undefined;
    }
  }

  /** Checks the whole pack once its last byte is in, resolves what waited, and writes the .idx. */
  async finish(): Promise<IndexedPack> {
    const received = this.buffer.bytes();
    if (received.length < 32) throw invalid('too short');
    this.receive(true);
    if (this.headerError) throw this.headerError;
    const bodyEnd = received.length - TRAILER;
    if (!bytesEqual(this.hash.digest(), received.subarray(bodyEnd))) throw invalid('checksum mismatch');
    // Every entry takes at least 2 bytes (header + a zlib stream); a count beyond that is a lie.
    if (this.declared > (bodyEnd - PACK_HEADER) / 2) throw invalid('object count larger than the pack');
    if (this.entryError) throw this.entryError;
    if (this.pos !== bodyEnd) throw invalid('data after the last object');
    this.resolveWaiting();
    const appended = await this.completeThin(bodyEnd);
    for (let i = 0; i < this.es.count; i++) if (!this.es.done[i]) throw invalid('a delta could not be resolved');
    return this.result(received, bodyEnd, appended);
  }

  /**
   * The deltas that waited for the end: large ofs-deltas on known bases, and ref-deltas whose
   * base came earlier in the pack (resolved before the delta was seen).
   */
  private resolveWaiting(): void {
    const es = this.es;
    for (let i = 0; i < es.count; i++) {
      if (!es.done[i]) continue;
      if (this.refChildren.size > 0) es.hex[i] ??= toHex(es.oids, i * 20, i * 20 + 20);
      const hex = es.hex[i];
      if (es.firstChild[i] !== -1 || (hex !== undefined && this.refChildren.has(hex))) this.resolveFrom([i], true);
    }
  }

  /**
   * Ref-deltas still waiting name bases the pack left out: a thin pack's deltas against objects
   * we already hold. Those bases are appended to the pack so it stands on its own, as git does.
   * A base we do not hold may still be in the pack, as a delta on another thin base: it is
   * passed over until a round appends nothing more. Returns the appended entries.
   */
  private async completeThin(bodyEnd: number): Promise<Uint8Array[]> {
    const parts: Uint8Array[] = [];
    let appendAt = bodyEnd;
    const append = (baseOid: string, base: GitObject): void => {
      // Our own object, already in memory, and its compressed copy that joins the pack.
      this.budget.take(ENTRY_OVERHEAD_BYTES + 2 * base.content.length);
      const body = deflate(base.content);
      const head = entryHeader(TYPE_CODES[base.type], base.content.length);
      const entry = new Uint8Array(head.length + body.length);
      entry.set(head);
      entry.set(body, head.length);
      if (this.es.count === this.es.offsets.length) this.es = grow(this.es, Infinity);
      const es = this.es;
      const i = es.count++;
      es.offsets[i] = appendAt;
      es.crcs[i] = crc32(entry);
      es.types[i] = TYPE_CODES[base.type];
      es.sizes[i] = base.content.length;
      es.data[i] = base.content;
      this.setOid(i, base.type, base.content);
      if (toHex(es.oids, i * 20, i * 20 + 20) !== baseOid) throw invalid(`our copy of ${baseOid} does not match its id`);
      parts.push(entry);
      appendAt += entry.length;
      this.resolveFrom([i], true);
    };
    const notHere = new Set<string>();
    for (let appended = true; appended;) {
      appended = false;
      for (const baseOid of [...this.refChildren.keys()]) {
        if (!this.refChildren.has(baseOid) || notHere.has(baseOid)) continue;
        const base = this.opts.readBase ? await this.opts.readBase(baseOid) : undefined;
        if (base) append(baseOid, base);
        else notHere.add(baseOid);
        appended ||= base !== undefined;
      }
    }
    const missing = this.refChildren.keys().next();
    if (!missing.done) throw invalid(`a delta's base ${missing.value} is neither in the pack nor here`);
    return parts;
  }

  /** The pack to store (with any appended bases and its new checksum) and its .idx. */
  private result(received: Uint8Array, bodyEnd: number, appendedParts: Uint8Array[]): IndexedPack {
    const es = this.es;
    let pack = received;
    let checksum = received.subarray(bodyEnd);
    if (appendedParts.length > 0) {
      const appendAt = bodyEnd + appendedParts.reduce((n, p) => n + p.length, 0);
      pack = new Uint8Array(appendAt + TRAILER);
      pack.set(received.subarray(0, bodyEnd));
      let at = bodyEnd;
      for (const part of appendedParts) {
        pack.set(part, at);
        at += part.length;
      }
      new DataView(pack.buffer).setUint32(8, es.count);
      checksum = sha1(pack.subarray(0, appendAt));
      pack.set(checksum, appendAt);
    }
    const idx = writeIdx({ count: es.count, oids: es.oids, offsets: es.offsets, crcs: es.crcs }, checksum);
    // git writes no pack with an object twice (its --strict index-pack refuses one), and a ref-delta
    // to its own id, resolved here through the twin, would be a loop for a reader that finds it.
    const twice = firstDuplicateId(idx);
    if (twice !== undefined) throw invalid(`the object ${twice} appears twice in it`);
    es.data.fill(undefined);
    return {
      pack,
      idx,
      checksum: toHex(checksum),
      count: es.count,
      appended: appendedParts.length,
      inflatedBytes: this.budget.used,
      has: (oid) => {
        const want = fromHex(oid);
        for (let i = 0; i < es.count; i++) {
          let k = 0;
          while (k < 20 && es.oids[i * 20 + k] === want[k]) k++;
          if (k === 20) return true;
        }
        return false;
      },
    };
  }
}
