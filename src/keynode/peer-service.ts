// What this keynode answers over the peer RPC (docs/design.md §5). Every handler learns who is asking
// only from ctx.remoteNodeId — the NodeId the handshake authenticated — and every request is
// authorised on its own (docs/spec.md §6.1: info and pack are checked separately).
import * as v from 'valibot';
import { KeynodeError, isKeynodeError } from '../errors.js';
import { isNodeId, isVaultId, type NodeId, type VaultId } from '../ids/index.js';
import { advertiseRefs, uploadPack } from '../git/index.js';
import type { RpcHandlers } from '../network/rpc-handlers.js';
import type { VaultAction } from '../types.js';
import type { CoreContext } from './context.js';
import { isOwnLinked, localCopyOf, type VaultOrigin } from './holders.js';
import { recordWhenServed } from './pull-log.js';
import { collect } from './remote.js';

/** A vault named by where its history comes from: "your copy of the owner's vault" (holders.ts). */
const encodedId = (is: (s: string) => boolean) => v.pipe(v.string(), v.maxLength(64), v.check(is));
const Origin = v.strictObject({ nodeId: encodedId(isNodeId), vaultId: encodedId(isVaultId) });
const GitInfoRequest = v.union([
  v.strictObject({
    vaultNameOrId: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
    action: v.picklist(['clone', 'pull']),
  }),
  // A second holder is only ever pulled from: a clone always comes from the owner.
  v.strictObject({ copyOf: Origin, action: v.literal('pull') }),
]);
const GitPackRequest = v.strictObject({
  vaultId: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  action: v.picklist(['clone', 'pull']),
  copyOf: v.optional(Origin),
});
const TokenRequest = v.strictObject({ token: v.pipe(v.string(), v.maxLength(64 * 1024)) });
/** A claim's token is a signed object; the handlers' header limit bounds its size. */
const ClaimRequest = v.strictObject({ token: v.unknown() });
const Empty = v.strictObject({});

function parse<T extends v.GenericSchema>(schema: T, value: unknown): v.InferOutput<T> {
  const result = v.safeParse(schema, value ?? {});
  if (!result.success) {
    throw new KeynodeError('ErrorRpcFrameInvalid', `The request is malformed: ${result.issues[0]?.message ?? 'unexpected shape'}.`);
  }
  return result.output;
}

/**
 * The refusal for a vault the asker holds no action on, whether or not it exists (see authorise).
 * It does not even repeat the name or id asked for, so two refusals are the same bytes whatever
 * was guessed.
 */
function noSuchVaultForYou(action: VaultAction): KeynodeError {
  return new KeynodeError(
    'ErrorVaultsPermissionDenied',
    `The other keynode has no vault by that name or id that you may ${action}: either it does not exist there, or it is not shared with you.`,
    { data: { action } },
  );
}

/** The largest upload-pack request (wants and haves) we read: thousands of haves fit easily. */
const MAX_PACK_REQUEST_BYTES = 4 * 1024 * 1024;

export function registerPeerService(ctx: CoreContext, handlers: RpcHandlers): void {
  const { acl, vaults, storage } = ctx;

  /**
   * The vault, if `requester` may do `action` on it; else the refusal the requester sees. Whoever
   * holds no action on the vault — a stranger, a trusted contact, a former recipient — gets the one
   * refusal, word for word, whether a vault of that name or id exists or not: the answer is no
   * oracle for guessing vault names or learning VaultIds.
   */
  async function authorise(requester: NodeId, vaultNameOrId: string, action: VaultAction): Promise<VaultId> {
    const perm = await storage.kv.read((tx) => acl.getNodePerm(tx, requester));
    // Looked up for strangers too, so a refusal costs the same work whoever asks.
    const vaultId = await vaults.resolve(vaultNameOrId).catch((e: unknown) => {
      if (isKeynodeError(e, 'ErrorVaultsVaultUndefined')) return undefined;
      throw e;
    });
    const granted = vaultId === undefined ? [] : (perm?.vaults[vaultId] ?? []);
    if (vaultId === undefined || granted.length === 0) throw noSuchVaultForYou(action);
    if (!granted.includes(action)) {
      // A recipient of this vault knows it exists; it may only be told what it lacks.
      throw new KeynodeError(
        'ErrorVaultsPermissionDenied',
        `You may not ${action} this vault: the owner shares it with you for ${granted.join(' and ')} only.`,
        { data: { vaultId, action } },
      );
    }
    return vaultId;
  }

  /**
   * Our copy of `origin`'s vault, if `requester` may pull it from us (holders.ts): our own ACL
   * grants it `pull` on that copy, or it is another browser of our own gestalt. Anyone else gets
   * the one refusal, as in authorise.
   */
  async function authoriseCopy(requester: NodeId, origin: VaultOrigin): Promise<VaultId> {
    const vaultId = await localCopyOf(ctx, origin);
    if (vaultId !== undefined) {
      const perm = await storage.kv.read((tx) => acl.getNodePerm(tx, requester));
      if ((perm?.vaults[vaultId] ?? []).includes('pull') || (await isOwnLinked(ctx, requester))) return vaultId;
    }
    throw noSuchVaultForYou('pull');
  }

  handlers.handle(
    'vaults.gitInfo',
    async ({ remoteNodeId }, header) => {
      const req = parse(GitInfoRequest, header);
      const vaultId =
        'copyOf' in req ? await authoriseCopy(remoteNodeId, req.copyOf as VaultOrigin) : await authorise(remoteNodeId, req.vaultNameOrId, req.action);
      const vaultName = (await vaults.getMeta(vaultId)).name;
      const advert = await vaults.withReadLock(vaultId, () => advertiseRefs(vaults.repo(vaultId)));
      // A copy says whose history it holds, so the puller can check it asked the right vault.
      const reply = 'copyOf' in req ? { vaultId, vaultName, copyOf: req.copyOf } : { vaultId, vaultName };
      return { header: reply, body: advert };
    },
    { maxRequestBytes: 0 },
  );

  handlers.handle(
    'vaults.gitPack',
    async ({ remoteNodeId }, header, body) => {
      const req = parse(GitPackRequest, header);
      // A copy is authorised again on its own (SPEC §6.1), by the same rule as the copy's gitInfo.
      const vaultId =
        req.copyOf === undefined ? await authorise(remoteNodeId, req.vaultId, req.action) : await authoriseCopy(remoteNodeId, req.copyOf as VaultOrigin);
      if (req.copyOf !== undefined && (vaultId !== req.vaultId || req.action !== 'pull')) throw noSuchVaultForYou('pull');
      const request = await collect(body);
      // Every pack served is recorded for its owner (src/keynode/pull-log.ts: who has what).
      const served = { nodeId: remoteNodeId, vaultId: req.vaultId, action: req.action, request };
      return { body: recordWhenServed(ctx, streamUnderReadLock(ctx, vaultId, request), served) };
    },
    { maxRequestBytes: MAX_PACK_REQUEST_BYTES },
  );

  handlers.handleUnary('vaults.scan', async ({ remoteNodeId }, header) => {
    parse(Empty, header);
    const perm = await storage.kv.read((tx) => acl.getNodePerm(tx, remoteNodeId));
    // One refusal whether or not the asker has a permission record here at all.
    if (perm === undefined || !perm.gestalt.includes('scan')) {
      throw new KeynodeError('ErrorVaultsPermissionDenied', 'Scanning is not allowed: the other keynode has not shared any vault with you.');
    }
    const listed = new Map((await vaults.list()).map((item) => [item.vaultId, item.vaultName]));
    const out: Array<{ vaultName: string; vaultId: string; actions: VaultAction[] }> = [];
    for (const [vaultId, actions] of Object.entries(perm.vaults)) {
      const vaultName = listed.get(vaultId);
      // A vault deleted on this side is simply absent (B4); an emptied entry grants nothing.
      if (vaultName === undefined || actions.length === 0) continue;
      out.push({ vaultName, vaultId, actions: [...actions] });
    }
    return out.sort((a, b) => (a.vaultName < b.vaultName ? -1 : 1));
  });

  handlers.handleUnary(
    'notifications.send',
    async ({ remoteNodeId }, header) => {
      const { token } = parse(TokenRequest, header);
      const result = await ctx.notifications.receive(token, { via: 'peer', authenticatedPeer: remoteNodeId });
      return { status: result.status };
    },
    { maxHeaderBytes: 80 * 1024 },
  );

  handlers.handleUnary(
    'gestalts.claim',
    async ({ remoteNodeId }, header) => {
      const { token } = parse(ClaimRequest, header);
      return ctx.gestalts.handleClaimRequest(remoteNodeId, token);
    },
    { maxHeaderBytes: 64 * 1024 },
  );

  handlers.handleUnary(
    'gestalts.claimFinish',
    async ({ remoteNodeId }, header) => {
      const { token } = parse(ClaimRequest, header);
      await ctx.gestalts.finishClaim(remoteNodeId, token);
      // A screen waiting for this link (the pairing flow on the inviting keynode) reloads.
      ctx.events.emit('contacts', { nodeId: remoteNodeId });
      return {};
    },
    { maxHeaderBytes: 64 * 1024 },
  );

  handlers.handleUnary('sigchain.get', async ({ remoteNodeId }, header) => {
    parse(Empty, header);
    return { claims: await ctx.gestalts.sigchainFor(remoteNodeId) };
  });

  // Restoring a keynode's chain (docs/gestalts.md). The copy we keep of the asker's own chain goes to
  // the asker alone: it only tells a keynode what it signed itself.
  handlers.handleUnary('sigchain.copy', async ({ remoteNodeId }, header) => {
    parse(Empty, header);
    return { claims: await ctx.gestalts.chainCopyFor(remoteNodeId) };
  });

  // A linked keynode offering back a copy of our own chain. Anyone may offer; only claims that verify
  // as ours and extend our chain are taken (adoptOwnChain), so an offer can add nothing we did not sign.
  handlers.handleUnary(
    'sigchain.offer',
    async (_ctx, header) => {
      const { claims } = parse(v.strictObject({ claims: v.unknown() }), header);
      const { adopted } = await ctx.gestalts.adoptOwnChain(claims);
      return { adopted };
    },
    { maxHeaderBytes: 64 * 1024 },
  );
}

/** Streams the upload-pack response while holding the vault's read lock, so no write interleaves. */
async function* streamUnderReadLock(ctx: CoreContext, vaultId: VaultId, request: Uint8Array): AsyncGenerator<Uint8Array> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let acquired!: () => void;
  const ready = new Promise<void>((resolve) => (acquired = resolve));
  const lock = ctx.vaults.withReadLock(vaultId, async () => {
    acquired();
    await held;
  });
  await ready;
  try {
    yield* uploadPack(ctx.vaults.repo(vaultId), request);
  } finally {
    release();
    await lock;
  }
}
