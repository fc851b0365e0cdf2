// Gestalts (Polykey's `identities` trust and a person's linked keynodes): whom this keynode trusts,
// what each may do, and linking keynodes into one gestalt.
import type { Keynode } from '../../keynode/keynode.js';
import type { GestaltAction, PairingStatus } from '../../types.js';
import { change, type CommandDef, withKeynode } from '../command.js';
import { table } from '../output.js';

export const gestaltCommands: CommandDef[] = [
  {
    path: ['gestalts', 'list'],
    summary: 'the gestalts this keynode knows (its own is marked own)',
    json: '[{ "nodes": string[], "actions": ("notify" | "scan" | "claim")[], "own": boolean }, …]',
    run: withKeynode(async ({ kn }) => {
      const list = await kn.gestalts.list();
      return { json: list, human: table(list.map((g) => [g.nodes.join(','), g.actions.join(',') || '-', g.own ? 'own' : ''])) };
    }),
  },
  {
    path: ['gestalts', 'get'],
    usage: 'NODE',
    args: [1, 1],
    summary: 'the keynodes linked with NODE into one gestalt',
    json: '{ "nodes": string[] }',
    run: withKeynode(async ({ kn }, args) => {
      const g = await kn.gestalts.get(args[0]!);
      return { json: g, human: g.nodes.join('\n') };
    }),
  },
  change(['gestalts', 'trust'], 'NODE', [1, 1], 'add NODE as a contact and let it notify this keynode', (kn, args) => kn.gestalts.trust(args[0]!)),
  change(['gestalts', 'untrust'], 'NODE', [1, 1], 'take back what trust gave', (kn, args) => kn.gestalts.untrust(args[0]!)),
  change(
    ['gestalts', 'allow'],
    'NODE notify|scan|claim',
    [2, 2],
    "let NODE's gestalt notify, scan (list the vaults it may clone) or claim (link with this keynode)",
    (kn, args) => kn.gestalts.allow(args[0]!, args[1] as GestaltAction),
  ),
  change(['gestalts', 'disallow'], 'NODE notify|scan|claim', [2, 2], 'take back what allow gave', (kn, args) =>
    kn.gestalts.disallow(args[0]!, args[1] as GestaltAction),
  ),
  {
    path: ['gestalts', 'permissions'],
    usage: 'NODE',
    args: [1, 1],
    summary: "what NODE's gestalt may do, and on which vaults",
    json: '{ "gestalt": ("notify" | "scan" | "claim")[], "vaults": { "VAULTID": ("clone" | "pull")[], … } }',
    run: withKeynode(async ({ kn }, args) => {
      const p = await kn.gestalts.permissions(args[0]!);
      const rows = [['gestalt', p.gestalt.join(',') || '-'], ...Object.entries(p.vaults).map(([vaultId, actions]) => [vaultId, actions.join(',')])];
      return { json: p, human: table(rows) };
    }),
  },
  change(['gestalts', 'invite'], 'NODE', [1, 1], 'invite NODE to link with this keynode (it then claims)', (kn, args) => kn.gestalts.invite(args[0]!)),
  change(['gestalts', 'claim'], 'NODE', [1, 1], 'link with NODE, which invited this keynode', (kn, args) => kn.gestalts.claim(args[0]!)),
  {
    path: ['gestalts', 'pairing-code'],
    summary: 'show a pairing code for your other keynode to scan or paste, and stay online until it links (needs --signaling)',
    details:
      'On your other keynode: Contacts → Scan a pairing code, or `keynode gestalts pair CODE`. The code works once, for 10 minutes,\n' +
      'and only while this command runs. It ends when a keynode has linked (exit 0) or the code expired or linking failed (exit 1).',
    needsSignaling: true,
    json: '{ "code": string, "expiresAt": number }, printed at once; then { "linked": string } or { "error": { "code": string, "message": string } }',
    run: withKeynode(async ({ kn, print }) => {
      const { code, expiresAt } = await kn.gestalts.pairingCode();
      const { default: QRCode } = await import('qrcode');
      const qr = await QRCode.toString(code, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
      print({
        json: { code, expiresAt },
        human: `${qr}\n${code}\n\nValid until ${new Date(expiresAt).toLocaleTimeString()}. Waiting for your other keynode…\n`,
      });
      const status = await pairingOutcome(kn, expiresAt);
      if (status.state === 'linked')
        return {
          json: { linked: status.nodeId },
          human: `Linked with ${status.nodeId}. If that is not your keynode: keynode gestalts unlink ${status.nodeId}`,
        };
      const error =
        status.state === 'failed' ? status.error : { code: 'ErrorGestaltsPairingCodeExpired', message: 'The pairing code expired before a keynode took it.' };
      return { json: { error }, human: error.message, exitCode: 1 };
    }),
  },
  {
    path: ['gestalts', 'pair'],
    usage: 'CODE',
    args: [1, 1],
    summary: 'link with the keynode whose pairing code this is: trust it and invite it; it links by itself (needs --signaling)',
    details: 'Waits until the other keynode has linked, at most until the code expires (exit 1 then: it may link once it gets the invitation).',
    needsSignaling: true,
    json: '{ "nodeId": string, "linked": boolean }',
    run: withKeynode(async ({ kn }, args) => {
      const { nodeId } = await kn.gestalts.pair(args[0]!);
      const linked = await linkedWithin(kn, nodeId, PAIRING_WAIT_MS);
      return {
        json: { nodeId, linked },
        human: linked ? `Linked with ${nodeId}.` : `Invited ${nodeId}, which has not linked yet; it links when it gets the invitation.`,
        ...(linked ? {} : { exitCode: 1 }),
      };
    }),
  },
  change(['gestalts', 'discover'], 'NODE', [1, 1], "fetch and check NODE's sigchain, learning the keynodes linked with it", (kn, args) =>
    kn.gestalts.discover(args[0]!),
  ),
  change(
    ['gestalts', 'unlink'],
    'NODE',
    [1, 1],
    'remove NODE, a browser linked with this keynode, from your devices: it loses what your devices were given once other keynodes rediscover you',
    (kn, args) => kn.gestalts.unlink(args[0]!),
  ),
];

/** How long `pair` waits for the other keynode to link: a code is valid at most this long. */
const PAIRING_WAIT_MS = 10 * 60_000;

/** Resolves when `check` is true, checking again at every `contacts` event and at the deadline. */
function until<T>(kn: Keynode, deadline: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (value: T | undefined): void => {
      if (settled) return;
      settled = true;
      off();
      clearTimeout(timer);
      resolve(value);
    };
    const probe = (): void =>
      void check().then(
        (v) => v !== undefined && finish(v),
        () => undefined,
      );
    const off = kn.on('contacts', probe);
    const timer = setTimeout(() => void check().then(finish, () => finish(undefined)), Math.max(0, deadline - Date.now()));
    probe();
  });
}

/** The shown code's outcome: linked, failed, or (at its expiry) expired. */
async function pairingOutcome(kn: Keynode, expiresAt: number): Promise<PairingStatus> {
  const final = (s: PairingStatus): PairingStatus | undefined => (s.state === 'linked' || s.state === 'failed' || s.state === 'expired' ? s : undefined);
  const status = await until(kn, expiresAt + 1000, async () => final(await kn.gestalts.pairingStatus()));
  if (status !== undefined) return status;
  // Taken just before it expired: the link is under way, and the claim has its own time limits.
  const now = await kn.gestalts.pairingStatus();
  if (now.state !== 'linking') return now;
  return (await until(kn, Date.now() + 120_000, async () => final(await kn.gestalts.pairingStatus()))) ?? (await kn.gestalts.pairingStatus());
}

async function linkedWithin(kn: Keynode, nodeId: string, ms: number): Promise<boolean> {
  const linked = await until(kn, Date.now() + ms, async () => ((await kn.gestalts.get(kn.nodeId)).nodes.includes(nodeId) ? true : undefined));
  return linked === true;
}
