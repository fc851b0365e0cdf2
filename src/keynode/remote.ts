// What a keynode asks of other keynodes: scan, clone and pull vaults (git over the peer RPC with
// isomorphic-git's http plugin), and link gestalts (invite, claim, discover). The owner authorises
// every request; here we only translate its answers into this keynode's state.
import * as v from 'valibot';
import { KeynodeError, isKeynodeError } from '../errors.js';
import { assertNodeId, assertVaultId, isVaultId, type NodeId, type VaultId } from '../ids/index.js';
import { cloneBare, fetchMaster, httpPlugin, masterInAdvertisement } from '../git/index.js';
import { concatBytes } from '../keys/crypto.js';
import type { RpcPeer } from '../network/rpc.js';
import type { VaultAction } from '../types.js';
import type { CoreContext } from './context.js';
import type { Network } from './network.js';

const ScanReply = v.array(
  v.strictObject({ vaultName: v.string(), vaultId: v.string(), actions: v.array(v.picklist(['clone', 'pull'])) }),
);
const GitInfoHeader = v.strictObject({ vaultId: v.string(), vaultName: v.string() });

function reply<T extends v.GenericSchema>(schema: T, value: unknown, what: string): v.InferOutput<T> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw new KeynodeError('ErrorRpcFrameInvalid', `The other keynode sent a malformed ${what} reply.`);
  return result.output;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
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
    return overChannel(nodeId, () => this.scanOnce(nodeId));
  }

  private async scanOnce(nodeId: string): Promise<Array<{ vaultName: string; vaultId: string; actions: VaultAction[] }>> {
    const peer = await this.network.peer(assertNodeId(nodeId));
    return reply(ScanReply, await peer.callUnary('vaults.scan', {}), 'scan');
  }

  private async gitInfo(peer: RpcPeer, vaultNameOrId: string, action: VaultAction): Promise<RemoteVaultInfo> {
    const { header, body } = await peer.call('vaults.gitInfo', { vaultNameOrId, action });
    const info = reply(GitInfoHeader, header, 'vault');
    if (!isVaultId(info.vaultId)) throw new KeynodeError('ErrorRpcFrameInvalid', 'The other keynode sent a malformed vault id.');
    return { vaultId: info.vaultId, vaultName: info.vaultName, advert: await collect(body) };
  }

  private http(peer: RpcPeer, info: RemoteVaultInfo, action: VaultAction): ReturnType<typeof httpPlugin> {
    return httpPlugin({
      info: async () => info.advert,
      pack: (request) => {
        // Opened lazily: isomorphic-git asks for the pack only when it needs one.
        const call = peer.call('vaults.gitPack', { vaultId: info.vaultId, action }, request);
        // Its failure reaches whoever reads the pack; one never read must not be left unhandled.
        call.catch(() => undefined);
        return (async function* () {
          yield* (await call).body;
        })();
      },
    // A pull asks for a thin pack (deltas against objects we already hold): a one-secret pull of a
    // 10,000-secret vault is a few hundred bytes instead of the changed folder's whole tree.
    }, { thinPack: action === 'pull' });
  }

  /** Clones `vault` (its name or id on the remote) from `nodeId`: a new local, read-only vault. */
  clone(vault: string, nodeId: string): Promise<VaultId> {
    return overChannel(nodeId, () => this.cloneOnce(vault, nodeId));
  }

  private async cloneOnce(vault: string, nodeId: string): Promise<VaultId> {
    const owner = assertNodeId(nodeId);
    if (typeof vault !== 'string' || vault.length === 0) {
      throw new KeynodeError('ErrorVaultsVaultUndefined', 'Say which vault to clone (its name or id on the other keynode).');
    }
    const peer = await this.network.peer(owner);
    const info = await this.gitInfo(peer, vault, 'clone');
    const http = this.http(peer, info, 'clone');
    const vaultId = await this.ctx.vaults.importVault({
      name: info.vaultName,
      remote: { nodeId: owner, vaultId: info.vaultId },
      populate: async (gitdir) => {
        await cloneBare({ fs: this.ctx.storage.fs as never, gitdir, http });
      },
    });
    this.ctx.events.emit('vault-changed', { vaultId, reason: 'clone' });
    return vaultId;
  }

  /**
   * Fast-forwards a clone from its stored remote, or from another keynode's copy
   * ({nodeId, pullVault}), which then becomes the stored remote. Up to date moves no pack.
   */
  async pull(vault: string, opts: { nodeId?: string; pullVault?: string } = {}): Promise<{ from: string; to: string }> {
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
    const { info, remoteHead } = await overChannel(owner, async () => {
      const peer = await this.network.peer(owner);
      const info = await this.gitInfo(peer, remoteVault, 'pull');
      const remoteHead = masterInAdvertisement(info.advert);
      if (remoteHead === undefined) throw new KeynodeError('ErrorGitProtocol', 'The other keynode advertised no master branch.');
      if (remoteHead !== (await this.ctx.vaults.masterOf(vaultId))) {
        await fetchMaster({ ...this.ctx.vaults.repo(vaultId), http: this.http(peer, info, 'pull') });
      }
      return { info, remoteHead };
    });
    const remote = { nodeId: owner, vaultId: assertVaultId(info.vaultId) };
    const result = await this.ctx.vaults.fastForward(vaultId, remoteHead, remote);
    if (result.from !== result.to) this.ctx.events.emit('vault-changed', { vaultId, reason: 'pull' });
    return result;
  }

  // ---- gestalt links ---------------------------------------------------------------------------

  /** Grants `nodeId` the right to claim us and tells it so (a GestaltInvite). */
  async invite(nodeId: string): Promise<void> {
    const target = assertNodeId(nodeId);
    const record = await this.ctx.notifications.createOutgoing(target, { type: 'GestaltInvite' });
    await this.ctx.gestalts.grantClaim(target);
    await this.ctx.storage.kv.write((tx) => this.ctx.notifications.putOutbox(tx, record));
    this.network.flushSoon(target);
  }

  /** Links this keynode with `nodeId` (which invited us): a ClaimLinkNode both sign, on both chains. */
  claim(nodeId: string): Promise<void> {
    return overChannel(nodeId, () => this.claimOnce(nodeId));
  }

  private async claimOnce(nodeId: string): Promise<void> {
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
        const claims = next === this.ctx.nodeId ? undefined : await this.fetchSigchain(next);
        partners = (await this.ctx.gestalts.applyChain(next, claims)).partners;
      } catch (e) {
        if (next === start) throw e;
        // Offline, or it does not know us (gestalts-manager.ts, sigchainFor): the chain that named it proved its link.
        if (!(isKeynodeError(e, 'ErrorNodeConnectionFailed') || isKeynodeError(e, 'ErrorNodePermissionDenied') || isKeynodeError(e, 'ErrorSigchainInvalid'))) throw e;
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

  private fetchSigchain(nodeId: NodeId): Promise<unknown> {
    return overChannel(nodeId, async () => {
      const peer = await this.network.peer(nodeId);
      return ((await peer.callUnary('sigchain.get', {})) as { claims?: unknown } | null)?.claims;
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
        const claims = await overChannel(nodeId, async () => {
          const peer = await this.network.peer(nodeId);
          return ((await peer.callUnary('sigchain.copy', {})) as { claims?: unknown } | null)?.claims;
        });
        await this.ctx.gestalts.adoptOwnChain(claims);
      } catch (e) {
        this.ctx.logger.warn('could not take back our chain from a linked keynode', { nodeId, code: (e as KeynodeError).code });
      }
      for (const n of await this.ctx.gestalts.ownLinks()) own.add(n);
    }
  }
}

/** Most keynodes one discovery visits: a person's browsers, with room to spare; a hostile gestalt costs no more. */
export const MAX_WALK = 64;
