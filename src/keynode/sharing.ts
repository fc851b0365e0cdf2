// share, unshare, permissions and share links (docs/spec.md §4): the ACL, the gestalt graph and the outbox
// change together in one transaction, and the notifications are signed before it opens (IndexedDB
// commits a transaction that awaits anything but its own requests).
import { KeynodeError } from '../errors.js';
import { prepareClone } from '../git/index.js';
import { assertNodeId, type NodeId, type VaultId } from '../ids/index.js';
import { buildShareLink } from '../notifications/share-link.js';
import type { OutboxRecord } from '../notifications/types.js';
import type { NotificationData, VaultAction } from '../types.js';
import type { CoreContext } from './context.js';

const SHARED_ACTIONS: VaultAction[] = ['clone', 'pull'];

function notInGraph(nodeId: NodeId): KeynodeError {
  return new KeynodeError('ErrorGestaltsGraphNodeIdMissing', `${nodeId} is not one of your contacts yet: trust it first, then share.`, { data: { nodeId } });
}

export class Sharing {
  constructor(
    private readonly ctx: CoreContext,
    /** Called after the outbox gained something: delivery is attempted without holding up the caller. */
    private readonly outboxChanged: () => void,
  ) {}

  private notSelf(nodeId: string): NodeId {
    const target = assertNodeId(nodeId);
    if (target === this.ctx.nodeId) {
      throw new KeynodeError('ErrorInvalidArgument', 'A vault cannot be shared with this keynode itself; share it with your other keynode instead.');
    }
    return target;
  }

  private async target(nodeId: string): Promise<{ target: NodeId; members: NodeId[] }> {
    const target = this.notSelf(nodeId);
    const members = await this.ctx.storage.kv.read((tx) => this.ctx.graph.getGestalt(tx, target));
    if (members === undefined) throw notInGraph(target);
    // The whole gestalt gets the permission; every member we know of hears about it.
    return { target, members: members.filter((m) => m !== this.ctx.nodeId) };
  }

  private async sign(members: NodeId[], data: NotificationData): Promise<OutboxRecord[]> {
    const out: OutboxRecord[] = [];
    for (const member of members) out.push(await this.ctx.notifications.createOutgoing(member, data));
    return out;
  }

  async share(vault: string, nodeId: string): Promise<void> {
    const vaultId = await this.ctx.vaults.resolve(vault);
    const meta = await this.ctx.vaults.getMeta(vaultId);
    const { target, members } = await this.target(nodeId);
    const records = await this.sign(members, { type: 'VaultShare', vaultId, vaultName: meta.name, actions: SHARED_ACTIONS });
    const { acl, graph, notifications } = this.ctx;
    await this.ctx.storage.kv.write(async (tx) => {
      if (!(await graph.hasNode(tx, target))) throw notInGraph(target);
      for (const action of SHARED_ACTIONS) await acl.setVaultAction(tx, vaultId, target, action);
      await acl.setNodeAction(tx, target, 'scan');
      for (const record of records) await notifications.putOutbox(tx, record);
    });
    this.outboxChanged();
    // The other side's clone usually follows: have its pack ready (a failure only loses the head
    // start). Under the vault's read lock, as a clone is served: no write or delete interleaves.
    const { vaults } = this.ctx;
    vaults.withReadLock(vaultId, () => prepareClone(vaults.repo(vaultId))).catch(() => undefined);
  }

  async unshare(vault: string, nodeId: string): Promise<void> {
    const vaultId = await this.ctx.vaults.resolve(vault);
    const meta = await this.ctx.vaults.getMeta(vaultId);
    const { target, members } = await this.target(nodeId);
    const records = await this.sign(members, { type: 'VaultUnshare', vaultId, vaultName: meta.name });
    const { acl, graph, notifications } = this.ctx;
    const removed = await this.ctx.storage.kv.write(async (tx) => {
      if (!(await graph.hasNode(tx, target))) throw notInGraph(target);
      // Unsharing what was never shared is a no-op success that tells nobody anything (B5).
      if (!(await acl.unshareVault(tx, vaultId, target))) return false;
      for (const record of records) await notifications.putOutbox(tx, record);
      return true;
    });
    if (removed) this.outboxChanged();
  }

  /** Who can clone or pull this vault now. Emptied entries are left out, so the list means "can pull". */
  async permissions(vault: string): Promise<Array<{ nodeId: string; actions: VaultAction[] }>> {
    const vaultId = await this.ctx.vaults.resolve(vault);
    const perms = await this.ctx.storage.kv.read((tx) => this.ctx.acl.getVaultPerms(tx, vaultId));
    return Object.entries(perms)
      .filter(([node]) => node !== this.ctx.nodeId)
      .map(([node, actions]) => ({ nodeId: node, actions }))
      .sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  }

  /**
   * A URL of the app whose fragment carries a signed VaultShare addressed to `nodeId`. It grants
   * nothing by itself: the owner's ACL decides every clone and pull.
   */
  async shareLink(vault: string, nodeId: string, opts: { baseUrl?: string } = {}): Promise<string> {
    const vaultId: VaultId = await this.ctx.vaults.resolve(vault);
    const meta = await this.ctx.vaults.getMeta(vaultId);
    // Like share: a link to ourselves would only put our own VaultShare in our own inbox.
    const target = this.notSelf(nodeId);
    const record = await this.ctx.notifications.createOutgoing(target, {
      type: 'VaultShare',
      vaultId,
      vaultName: meta.name,
      actions: SHARED_ACTIONS,
    });
    return buildShareLink(opts.baseUrl ?? this.ctx.baseUrl, record.token);
  }
}
