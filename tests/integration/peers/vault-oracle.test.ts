// No vault-existence oracle: whoever holds no action on a vault — a stranger, a trusted contact, a
// former recipient after unshare, a recipient of another vault — gets byte-for-byte the same refusal
// for a vault that exists and for one that does not, by name and by VaultId, for gitInfo and
// gitPack alike. Only a current recipient is told more (and only about its own vault).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { generateVaultId } from '../../../src/ids/index.js';
import type { RpcPeer } from '../../../src/network/rpc.js';
import { Net, rawPeer, type RawPeer } from '../../utils/keynodes.js';

let net: Net;
let owner: Keynode;
let hidden: string;
beforeAll(async () => {
  net = await Net.start();
  owner = await net.node('owner');
  hidden = await owner.vaults.create('hidden');
  await owner.vaults.create('other');
});
afterAll(() => net?.stopAll());

/** The refusal exactly as it crossed the channel (code, message, data), as JSON text. */
async function refusal(rpc: RpcPeer, method: 'vaults.gitInfo' | 'vaults.gitPack', header: unknown): Promise<string> {
  try {
    const { body } = await rpc.call(method, header, method === 'vaults.gitPack' ? (async function* () {})() : undefined);
    for await (const _ of body) void _;
  } catch (e) {
    const { code, message, data } = e as { code: string; message: string; data?: unknown };
    return JSON.stringify({ code, message, data });
  }
  return 'served';
}

/** Every probe a guesser can make about "hidden": by name and by id, the real ones and made-up ones. */
async function probes(rpc: RpcPeer): Promise<Record<string, string>> {
  const madeUpId = generateVaultId();
  const out: Record<string, string> = {};
  for (const action of ['clone', 'pull'] as const) {
    out[`gitInfo ${action} existing name`] = await refusal(rpc, 'vaults.gitInfo', { vaultNameOrId: 'hidden', action });
    out[`gitInfo ${action} missing name`] = await refusal(rpc, 'vaults.gitInfo', { vaultNameOrId: 'no-such-vault', action });
    out[`gitInfo ${action} existing id`] = await refusal(rpc, 'vaults.gitInfo', { vaultNameOrId: hidden, action });
    out[`gitInfo ${action} missing id`] = await refusal(rpc, 'vaults.gitInfo', { vaultNameOrId: madeUpId, action });
    out[`gitPack ${action} existing id`] = await refusal(rpc, 'vaults.gitPack', { vaultId: hidden, action });
    out[`gitPack ${action} missing id`] = await refusal(rpc, 'vaults.gitPack', { vaultId: madeUpId, action });
  }
  return out;
}

function expectOneRefusalPerAction(seen: Record<string, string>): void {
  for (const action of ['clone', 'pull']) {
    const answers = new Set(
      Object.entries(seen)
        .filter(([k]) => k.includes(` ${action} `))
        .map(([, v]) => v),
    );
    expect([...answers], action).toHaveLength(1);
    const [only] = [...answers];
    const parsed = JSON.parse(only!) as { code: string; message: string; data: unknown };
    expect(parsed.code).toBe('ErrorVaultsPermissionDenied');
    expect(parsed.message).toMatch(/does not exist there, or it is not shared with you/);
    // Nothing in it names the vault or its id.
    expect(only).not.toContain(hidden);
    expect(only).not.toContain('hidden');
  }
}

describe('refusals that do not tell whether a vault exists', () => {
  let guesser: RawPeer;
  let rpc: RpcPeer;
  beforeAll(async () => {
    guesser = await rawPeer(net);
    rpc = await guesser.connect(owner.nodeId);
  });

  it('a stranger', async () => {
    expectOneRefusalPerAction(await probes(rpc));
  });

  it('a trusted contact (notify only)', async () => {
    await owner.gestalts.trust(guesser.nodeId);
    expectOneRefusalPerAction(await probes(rpc));
  });

  it('a recipient of another vault, and the same node as a former recipient after unshare', async () => {
    await owner.vaults.share('other', guesser.nodeId);
    const whileSharedElsewhere = await probes(rpc);
    expectOneRefusalPerAction(whileSharedElsewhere);
    await owner.vaults.share('hidden', guesser.nodeId);
    expect(await refusal(rpc, 'vaults.gitInfo', { vaultNameOrId: 'hidden', action: 'clone' })).toBe('served');
    await owner.vaults.unshare('hidden', guesser.nodeId);
    await owner.vaults.unshare('other', guesser.nodeId);
    const former = await probes(rpc);
    expectOneRefusalPerAction(former);
    // And the same bytes as before it was ever shared.
    expect(former).toEqual(whileSharedElsewhere);
  });
});
