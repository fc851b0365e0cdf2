// What a keynode asks of other keynodes: scan, clone and pull vaults (our git client over the peer
// RPC: `vaults.gitInfo` gives the advertisement, `vaults.gitPack` carries one fetch), and link gestalts (invite, claim, discover). The owner authorises
// every request; here we only translate its answers into this keynode's state.
import * as v from 'valibot';
import { KeynodeError, isKeynodeError } from '../errors.js';
import { assertNodeId, assertVaultId, isVaultId, type NodeId, type VaultId } from '../ids/index.js';
import { cloneBare, fetchMaster, masterInAdvertisement, type GitTransport } from '../git/index.js';
import type { RpcPeer } from '../network/rpc.js';
import type { PullResult, VaultAction } from '../types.js';
import type { CoreContext } from './context.js';
import { holdersOf, type VaultOrigin } from './holders.js';
import type { Network } from './network.js';
import { concatBytes } from '../utils/bytes.js';

const ScanReply = v.array(v.strictObject({ vaultName: v.string(), vaultId: v.string(), actions: v.array(v.picklist(['clone', 'pull'])) }));
const GitInfoHeader = v.strictObject({ vaultId: v.string(), vaultName: v.string() });
const CopyInfoHeader = v.strictObject({
  vaultId: v.string(),
  vaultName: v.string(),
  copyOf: v.strictObject({ nodeId: v.string(), vaultId: v.string() }),
});

/** Failures of the default remote after which a pull tries the vault's other holders. */
const UNREACHABLE: ReadonlySet<string> = new Set(['ErrorNodeConnectionFailed', 'ErrorKeynodeLocked']);

function reply<T extends v.GenericSchema>(schema: T, value: unknown, what: string): v.InferOutput<T> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw new KeynodeError('ErrorRpcFrameInvalid', `The other keynode sent a malformed ${what} reply.`);
  return result.output;
}

/** A body's bytes, whole. */
export async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return concatBytes(...parts);
}

interface RemoteVaultInfo {
  vaultId: VaultId;
  vaultName: string;
  advert: Uint8Array;
}

/** RPC failures that mean the channel died under us, not that the peer answered. */
const LOST: ReadonlySet<string> = new Set(['ErrorRpcTimeout', 'ErrorRpcStreamClosed']);

/**
 * Runs a request to `nodeId`; a channel that dies mid-request (a peer whose tab closed is only
 * noticed when the stream times out) is reported as ErrorNodeConnectionFailed, so callers treat it
 * like any unreachable peer (the UI then offers to queue the pull).
 */
async function overChannel<T>(nodeId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isKeynodeError(e) && LOST.has(e.code)) {
      throw new KeynodeError('ErrorNodeConnectionFailed', `The connection to ${nodeId} was lost; it may have gone offline.`, { cause: e });
    }
    throw e;
  }
}

export class Remote {
  constructor(
    private readonly ctx: CoreContext,
    private readonly network: Network,
  ) {}

  scan(nodeId: string): Promise<Array<{ vaultName: string; vaultId: string; actions: VaultAction[] }>> {
    return overChannel(nodeId, async () => {
      const peer = await this.network.peer(assertNodeId(nodeId));
      return reply(ScanReply, await peer.callUnary('vaults.scan', {}), 'scan');
    });
  }

  private async gitInfo(peer: RpcPeer, vaultNameOrId: string, action: VaultAction): Promise<RemoteVaultInfo> {
    const { header, body } = await peer.call('vaults.gitInfo', { vaultNameOrId, action });
    const info = reply(GitInfoHeader, header, 'vault');
    if (!isVaultId(info.vaultId)) throw new KeynodeError('ErrorRpcFrameInvalid', 'The other keynode sent a malformed vault id.');
    return { vaultId: info.vaultId, vaultName: info.vaultName, advert: await collect(body) };
  }

  /** A second holder's copy of `origin`'s vault; it must say it answers for that very vault. */
  private async copyInfo(peer: RpcPeer, origin: VaultOrigin): Promise<RemoteVaultInfo> {
    const { header, body } = await peer.call('vaults.gitInfo', { copyOf: origin, action: 'pull' });
    const info = reply(CopyInfoHeader, header, 'vault');
    if (!isVaultId(info.vaultId) || info.copyOf.nodeId !== origin.nodeId || info.copyOf.vaultId !== origin.vaultId) {
      throw new KeynodeError('ErrorRpcFrameInvalid', 'The other keynode answered for a different vault than the one asked for.');
    }
    return { vaultId: info.vaultId, vaultName: info.vaultName, advert: await collect(body) };
  }

  private transport(peer: RpcPeer, info: RemoteVaultInfo, action: VaultAction, copyOf?: VaultOrigin): GitTransport {
    return {
      advertisement: info.advert,
      pack: (request) => {
        // Opened only when the fetch asks for a pack: an up-to-date pull sends no request.
        const header = copyOf === undefined ? { vaultId: info.vaultId, action } : { vaultId: info.vaultId, action, copyOf };
        const call = peer.call('vaults.gitPack', header, request);
        // Its failure reaches whoever reads the pack; one never read must not be left unhandled.
        call.catch(() => undefined);
        return (async function* () {
          yield* (await call).body;
        })();
      },
    };
  }

  /** Clones `vault` (its name or id on the remote) from `nodeId`: a new local, read-only vault. */
  clone(vault: string, nodeId: string): Promise<VaultId> {
    return overChannel(nodeId, async () => {
      const owner = assertNodeId(nodeId);
      if (typeof vault !== 'string' || vault.length === 0) {
        throw new KeynodeError('ErrorVaultsVaultUndefined', 'Say which vault to clone (its name or id on the other keynode).');
      }
      const peer = await this.network.peer(owner);
      const info = await this.gitInfo(peer, vault, 'clone');
      const transport = this.transport(peer, info, 'clone');
      return this.ctx.vaults.importVault({
        name: info.vaultName,
        remote: { nodeId: owner, vaultId: info.vaultId },
        populate: async (gitdir) => {
          await cloneBare({ fs: this.ctx.storage.fs, gitdir, transport });
        },
      });
    });
  }

  /**
   * Fast-forwards a clone from its stored remote, or from another keynode's copy
   * ({nodeId, pullVault}), which then becomes the stored remote. Up to date moves no pack.
   * When the stored remote cannot be reached (offline, locked, its channel died), the vault's
   * second holders are tried in turn (holders.ts); their history must fast-forward ours like any
   * other, and the stored remote stays as it was. Other answers of the remote (refused, diverged)
   * are final: a holder is no way around the owner's no.
   */
  async pull(vault: string, opts: { nodeId?: string; pullVault?: string } = {}): Promise<PullResult> {
    const vaultId = await this.ctx.vaults.resolve(vault);
    const meta = await this.ctx.vaults.getMeta(vaultId);
    if (meta.remote === undefined && opts.nodeId === undefined) {
      throw new KeynodeError('ErrorVaultRemoteUndefined', `Vault "${meta.name}" was not cloned from another keynode, so there is nothing to pull it from.`);
    }
    const owner = assertNodeId(opts.nodeId ?? meta.remote!.nodeId);
    const remoteVault = opts.pullVault ?? meta.remote?.vaultId;
    if (remoteVault === undefined) {
      throw new KeynodeError('ErrorVaultRemoteUndefined', 'Say which vault of that keynode to pull from.');
    }
    const isDefault = meta.remote !== undefined && owner === meta.remote.nodeId && remoteVault === meta.remote.vaultId;
    try {
      const { info, remoteHead } = await this.fetchFrom(vaultId, owner, (peer) => this.gitInfo(peer, remoteVault, 'pull'));
      const remote = { nodeId: owner, vaultId: assertVaultId(info.vaultId) };
      // Master moves only if that fast-forwards: the check that keeps out any other history.
      return { ...(await this.ctx.vaults.fastForward(vaultId, remoteHead, remote)), source: owner };
    } catch (e) {
      if (!isDefault || !isKeynodeError(e) || !UNREACHABLE.has(e.code)) throw e;
      return this.pullFromHolders(vaultId, { nodeId: owner, vaultId: assertVaultId(remoteVault) }, e);
    }
  }

  /** The default remote failed with `unreachable`: each second holder in turn, until one serves. */
  private async pullFromHolders(vaultId: VaultId, origin: VaultOrigin, unreachable: KeynodeError): Promise<PullResult> {
    const tried: Array<{ nodeId: string; code: string }> = [];
    for (const holder of await holdersOf(this.ctx, origin)) {
      try {
        const { remoteHead } = await this.fetchFrom(vaultId, holder.nodeId, (peer) => this.copyInfo(peer, origin), origin);
        // No remote given: the default remote stays the owner's vault (changed only on request).
        const source = { source: holder.nodeId, via: holder.relation };
        return { ...(await this.ctx.vaults.fastForward(vaultId, remoteHead)), ...source };
      } catch (e) {
        const code = isKeynodeError(e) ? e.code : 'ErrorInternal';
        tried.push({ nodeId: holder.nodeId, code });
        // A holder that answered and was refused (another vault's history, a malformed reply) is
        // worth a warning: it may be hostile. One that is offline is not.
        if (code !== 'ErrorNodeConnectionFailed') this.ctx.logger.warn('a second holder of a vault could not be pulled from', { nodeId: holder.nodeId, code });
      }
    }
    if (tried.length === 0) throw unreachable;
    throw new KeynodeError(
      unreachable.code,
      `${unreachable.message} None of the ${tried.length} other keynodes known to hold this vault could be pulled from either.`,
      { cause: unreachable, data: { tried } },
    );
  }

  /** Fetches `from`'s master into the vault's objects (nothing moves yet); `open` names the vault there. */
  private fetchFrom(
    vaultId: VaultId,
    from: NodeId,
    open: (peer: RpcPeer) => Promise<RemoteVaultInfo>,
    copyOf?: VaultOrigin,
  ): Promise<{ info: RemoteVaultInfo; remoteHead: string }> {
    return overChannel(from, async () => {
      const peer = await this.network.peer(from);
      const info = await open(peer);
      const remoteHead = masterInAdvertisement(info.advert);
      if (remoteHead === undefined) throw new KeynodeError('ErrorGitProtocol', 'The other keynode advertised no master branch.');
      if (remoteHead !== (await this.ctx.vaults.masterOf(vaultId))) {
        // A thin pack (deltas against objects we already hold): a one-secret pull of a 10,000-secret
        // vault is a few hundred bytes instead of the changed folder's whole tree.
        await fetchMaster({ ...this.ctx.vaults.repo(vaultId), transport: this.transport(peer, info, 'pull', copyOf), thinPack: true });
      }
      return { info, remoteHead };
    });
  }

  // ---- gestalt links ---------------------------------------------------------------------------

  /**
   * Grants `nodeId` the right to claim us and tells it so (a GestaltInvite). `pairing`: the nonce of
   * its pairing code we scanned (pairing.ts), with which it claims us by itself.
   */
  async invite(nodeId: string, pairing?: string): Promise<void> {
    const target = assertNodeId(nodeId);
    const record = await this.ctx.notifications.createOutgoing(target, pairing === undefined ? { type: 'GestaltInvite' } : { type: 'GestaltInvite', pairing });
    await this.ctx.gestalts.grantClaim(target);
    await this.ctx.storage.kv.write((tx) => this.ctx.notifications.putOutbox(tx, record));
    this.network.flushSoon(target);
  }

  /** Links this keynode with `nodeId` (which invited us): a ClaimLinkNode both sign, on both chains. */
  claim(nodeId: string): Promise<void> {
    return overChannel(nodeId, async () => {
      const target = assertNodeId(nodeId);
      const peer = await this.network.peer(target);
      const request = await this.ctx.gestalts.createClaimRequest(target);
      const answer = await peer.callUnary('gestalts.claim', { token: request });
      const doublySigned = await this.ctx.gestalts.completeClaim(target, answer);
      await peer.callUnary('gestalts.claimFinish', { token: doublySigned });
      // Keep a copy of the other's chain now, so that we can give it back should it be restored.
      await this.discover(target).catch((e: unknown) => {
        this.ctx.logger.warn('linked, but its chain could not be fetched yet', { code: (e as KeynodeError).code });
      });
    });
  }

  /**
   * Discovery is a full walk (docs/gestalts.md): starting at `nodeId`, every member's chain is
   * fetched from that member and applied, and the walk follows every link of every member — the
   * links its chain proves and the links our graph already holds for it, known or new — so a link
   * made later between members of two gestalts we know is found and their records merge (B1), and
   * a revocation anywhere in the gestalt splits it. Bounded: at most MAX_WALK keynodes, each chain
   * within the sigchain's bounds. A member that is offline or does not know us is skipped (the chain
   * that named it proves its link); a member whose chain is refused is skipped too, and the walk
   * then ends with that refusal, after applying everything else.
   */
  async discover(nodeId: string): Promise<void> {
    const start = assertNodeId(nodeId);
    const visited = new Set<NodeId>();
    const queue: NodeId[] = [start];
    const refused: Array<{ nodeId: NodeId; error: KeynodeError }> = [];
    const linkedToUs: NodeId[] = [];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (visited.has(next)) continue;
      if (visited.size >= MAX_WALK) {
        throw new KeynodeError('ErrorSigchainInvalid', `The gestalt of ${start} has more than ${MAX_WALK} keynodes; discovery stopped there.`, {
          data: { limit: MAX_WALK },
        });
      }
      visited.add(next);
      let partners: NodeId[] = [];
      try {
        const claims = next === this.ctx.nodeId ? undefined : await this.chainFrom(next, 'sigchain.get');
        partners = (await this.ctx.gestalts.applyChain(next, claims)).partners;
      } catch (e) {
        if (next === start) throw e;
        // Offline, or it does not know us (gestalts-manager.ts, sigchainFor): the chain that named it proved its link.
        if (!(isKeynodeError(e, 'ErrorNodeConnectionFailed') || isKeynodeError(e, 'ErrorNodePermissionDenied') || isKeynodeError(e, 'ErrorSigchainInvalid')))
          throw e;
        if (isKeynodeError(e, 'ErrorSigchainInvalid')) refused.push({ nodeId: next, error: e });
      }
      if (partners.includes(this.ctx.nodeId)) linkedToUs.push(next);
      for (const n of [...partners, ...(await this.ctx.gestalts.neighbours(next))]) if (!visited.has(n)) queue.push(n);
    }
    await this.recoverOwnChain(linkedToUs);
    if (refused.length > 0) {
      const first = refused[0]!;
      throw new KeynodeError('ErrorSigchainInvalid', `The sigchain of ${first.nodeId} was refused: ${first.error.message}`, {
        cause: first.error,
        data: { nodeIds: refused.map((r) => r.nodeId) },
      });
    }
  }

  /** `nodeId`'s own chain ('sigchain.get'), or the copy it keeps of ours ('sigchain.copy'). */
  private chainFrom(nodeId: NodeId, method: 'sigchain.get' | 'sigchain.copy'): Promise<unknown> {
    return overChannel(nodeId, async () => {
      const peer = await this.network.peer(nodeId);
      return ((await peer.callUnary(method, {})) as { claims?: unknown } | null)?.claims;
    });
  }

  /**
   * A keynode restored from its recovery code starts with an empty chain. When keynodes linked with
   * us prove links our own chain lacks, we ask each for the copy of our chain it keeps and take the
   * longest that verifies as ours (adoptOwnChain refuses anything we did not sign).
   */
  private async recoverOwnChain(candidates: NodeId[]): Promise<void> {
    const own = new Set(await this.ctx.gestalts.ownLinks());
    for (const nodeId of candidates) {
      if (own.has(nodeId)) continue;
      try {
        await this.ctx.gestalts.adoptOwnChain(await this.chainFrom(nodeId, 'sigchain.copy'));
      } catch (e) {
        this.ctx.logger.warn('could not take back our chain from a linked keynode', { nodeId, code: (e as KeynodeError).code });
      }
      for (const n of await this.ctx.gestalts.ownLinks()) own.add(n);
    }
  }
}

/** Most keynodes one discovery visits: a person's browsers, with room to spare; a hostile gestalt costs no more. */
export const MAX_WALK = 64;
