// Keeps our own browsers' chains in step, so that a browser restored from its recovery code gets its
// links back from any linked browser that is online (docs/gestalts.md, "Restoring"). We watch the
// members of our own gestalt; when one comes online we fetch its chain (keeping our copy fresh, and
// learning at once of a link it revoked). If it refuses us, or its chain is shorter than our copy —
// it has been restored and starts empty — we offer it our copy; it takes only claims it signed.
import { isKeynodeError, type KeynodeError } from '../errors.js';
import type { NodeId } from '../ids/index.js';
import type { CoreContext } from './context.js';
import type { Network } from './network.js';
import type { Remote } from './remote.js';

export class ChainKeeper {
  private readonly visiting = new Set<NodeId>();

  constructor(
    private readonly ctx: CoreContext,
    private readonly network: Network,
    private readonly remote: Remote,
  ) {}

  start(): void {
    this.network.addWatchSource(() => this.ctx.gestalts.ownMembers());
    this.network.onReachable((nodeId) => {
      if (nodeId !== undefined) void this.visit(nodeId);
    });
    // Our chain came back from a copy: learn the rest of our gestalt from the browsers it links.
    this.ctx.gestalts.onOwnChainAdopted((links) => {
      for (const nodeId of links) void this.remote.discover(nodeId).catch((e: unknown) => this.warn('discovery after a restore failed', nodeId, e));
    });
  }

  private async visit(nodeId: NodeId): Promise<void> {
    if (this.visiting.has(nodeId)) return;
    this.visiting.add(nodeId);
    try {
      if (!(await this.ctx.gestalts.ownMembers()).includes(nodeId)) return;
      const peer = await this.network.peer(nodeId);
      try {
        const claims = ((await peer.callUnary('sigchain.get', {})) as { claims?: unknown } | null)?.claims;
        await this.ctx.gestalts.applyChain(nodeId, claims);
        return;
      } catch (e) {
        // Refused (a restored browser knows nobody yet) or older than our copy: offer the copy back.
        if (!(isKeynodeError(e, 'ErrorNodePermissionDenied') || isKeynodeError(e, 'ErrorSigchainInvalid'))) throw e;
      }
      const copy = await this.ctx.gestalts.chainCopyOf(nodeId);
      if (copy === undefined || copy.length === 0) return;
      const answer = (await peer.callUnary('sigchain.offer', { claims: copy })) as { adopted?: unknown } | null;
      this.ctx.logger.info('offered a linked browser its chain back', { nodeId, adopted: answer?.adopted });
    } catch (e) {
      this.warn("could not check a linked browser's chain", nodeId, e);
    } finally {
      this.visiting.delete(nodeId);
    }
  }

  private warn(message: string, nodeId: NodeId, e: unknown): void {
    this.ctx.logger.warn(message, { nodeId, code: (e as KeynodeError).code });
  }
}
