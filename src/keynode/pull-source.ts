// Where a pull came from, in the words the app and the command line both use. A pull from the
// vault's default remote names that keynode; one from a second holder (holders.ts) also says how
// it relates, so nobody wonders why "Alice's vault" came from a NodeId they do not recognise.
import type { PullResult } from '../types.js';

export function describePullSource(result: Pick<PullResult, 'source' | 'via'>, nameOf: (nodeId: string) => string, ownerName: string): string {
  const who = nameOf(result.source);
  if (result.via === 'owner-linked') return `${who} (another of ${ownerName}’s browsers)`;
  if (result.via === 'own-linked') return `${who} (another of your browsers)`;
  return who;
}
