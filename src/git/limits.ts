// What a pack from another keynode may make us allocate. A pack is a few hundred bytes that can
// announce gigabytes (a delta's result size, an entry's inflated size, a zlib stream's output),
// so every allocation is checked against these budgets *before* it is made, and a pack that
// asks for more is refused with ErrorGitPackTooLarge (malformed input stays ErrorGitPackInvalid).
import { KeynodeError } from '../errors.js';

export interface PackLimits {
  /** Largest single object (a blob, tree or commit, a delta's result, or a delta's own bytes). */
  maxObjectBytes: number;
  /**
   * Everything indexing one pack may hold at once: each entry's inflated bytes, each delta's
   * result, the bases a thin pack borrows from us, and ENTRY_OVERHEAD_BYTES per entry for the
   * bookkeeping, so a pack of a million empty objects is bounded too.
   */
  maxPackInflatedBytes: number;
}

/**
 * Defaults sized for a secrets vault, not for a source tree. The project's spec (docs/spec.md §6.4) asks that
 * a 10 MB secret clones; passwords, keys, certificates and dotenv files are kilobytes, so 32 MiB
 * per object is three times the largest secret we promise to carry. A full clone of the
 * 10,000-secret, 1,000-commit benchmark vault (bench/git-pack.ts, size L: 48,508 objects, a
 * 5 MB pack) counts 27 MiB this way, so 256 MiB leaves room for ten times that history or a
 * couple of dozen 10 MB secrets, while a hostile pack cannot take more than a browser tab can
 * spare. A pack that is refused says which budget it passed (ErrorGitPackTooLarge, `data.limit`).
 */
export const DEFAULT_PACK_LIMITS: Readonly<PackLimits> = Object.freeze({
  maxObjectBytes: 32 * 1024 * 1024,
  maxPackInflatedBytes: 256 * 1024 * 1024,
});

/**
 * What the indexer keeps per entry besides its bytes (offsets, crc, id, links, a view object):
 * indexing packs of 0.5–2 million empty blobs grew the process by 190–230 bytes per entry.
 */
export const ENTRY_OVERHEAD_BYTES = 256;

export function packLimits(given: Partial<PackLimits> = {}): PackLimits {
  return { ...DEFAULT_PACK_LIMITS, ...given };
}

function mib(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB` : `${n} bytes`;
}

/** `what` is the object as a person would name it: "an object", "a delta's result". */
export function objectTooLarge(what: string, bytes: number, max: number): KeynodeError {
  return new KeynodeError('ErrorGitPackTooLarge', `The vault data is too large: ${what} of ${mib(bytes)} is more than the ${mib(max)} a vault object may be.`, {
    data: { limit: 'object', bytes, max },
  });
}

/** Checks one object size against the per-object cap, before anything of that size is allocated. */
export function checkObjectSize(what: string, bytes: number, max: number): void {
  if (!(bytes <= max)) throw objectTooLarge(what, bytes, max);
}

/** The running total of what indexing one pack holds, refused as soon as it would pass the budget. */
export class InflateBudget {
  /** Bytes taken so far (tests and benchmarks read it to see what a pack cost). */
  used = 0;

  constructor(private readonly limits: PackLimits) {}

  /** Counts `bytes` that are about to be allocated; throws instead when they would not fit. */
  take(bytes: number): void {
    const next = this.used + bytes;
    if (!(next <= this.limits.maxPackInflatedBytes)) {
      throw new KeynodeError(
        'ErrorGitPackTooLarge',
        `The vault data is too large: unpacking it would take more than the ${mib(this.limits.maxPackInflatedBytes)} a vault may hold in one transfer.`,
        { data: { limit: 'pack', bytes: next, max: this.limits.maxPackInflatedBytes } },
      );
    }
    this.used = next;
  }

  /** Gives back bytes taken for an allocation that was not kept (an entry not all arrived yet). */
  give(bytes: number): void {
    this.used -= bytes;
  }
}
