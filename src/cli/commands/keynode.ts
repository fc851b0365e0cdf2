// The keynode itself: its id, staying online (`serve`), its passphrase and lock state, restoring it
// from a recovery code, and its network status.
import { done, type CommandDef, withKeynode } from '../command.js';
import { table } from '../output.js';
import { askNewPassphrase, askPassphrase } from '../passphrase.js';

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export const keynodeCommands: CommandDef[] = [
  {
    path: ['id'],
    summary: "print this keynode's NodeId",
    json: '{ "nodeId": string }',
    run: withKeynode(async ({ kn }) => ({ json: { nodeId: kn.nodeId }, human: kn.nodeId })),
  },
  {
    path: ['serve'],
    summary: 'stay online answering peers until Ctrl-C (needs --signaling); DIR stays in use meanwhile',
    details:
      'Peers can then clone and pull the vaults shared with them, notifications arrive, and queued pulls run.\n' +
      'While it runs, other keynode commands on the same DIR are refused (exit 75): stop it first.',
    needsSignaling: true,
    json: '{ "nodeId": string, "signaling": string }, printed once online; nothing more until it stops',
    run: withKeynode(async ({ kn, signalingUrl, print }) => {
      print({ json: { nodeId: kn.nodeId, signaling: signalingUrl }, human: '' });
      console.error(`keynode ${kn.nodeId} is online at ${signalingUrl}; Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      return { json: undefined, human: '' };
    }),
  },
  {
    path: ['passphrase'],
    summary: 'change the passphrase (asks for the current one, then the new one twice)',
    details: 'Off a terminal: KEYNODE_PASSPHRASE is the current one, KEYNODE_NEW_PASSPHRASE the new one.',
    json: '{}',
    run: withKeynode(async ({ kn }) => {
      const current = await askPassphrase();
      return done(kn.setPassphrase(current, await askNewPassphrase({ ...process.env, KEYNODE_PASSPHRASE: undefined })));
    }),
  },
  {
    path: ['lock-state'],
    summary: 'whether the keynode is encrypted, and its auto-lock setting',
    json: '{ "locked": boolean, "encrypted": boolean, "created": boolean, "autoLockMs": number | null, "needsRecoveryCode": boolean }',
    run: withKeynode(async ({ kn }) => {
      const s = await kn.lockState();
      const rows = [
        ['encrypted', yesNo(s.encrypted)],
        ['locked', yesNo(s.locked)],
        ['auto-lock', s.autoLockMs === null ? 'never' : `after ${s.autoLockMs / 1000} s`],
      ];
      return { json: s, human: table(rows) };
    }),
  },
  {
    path: ['restore'],
    summary: 'make this keynode again from its recovery code, in an empty DIR, with a new passphrase',
    details:
      'The recovery code is read from KEYNODE_RECOVERY_CODE, a hidden prompt on a terminal, or stdin; the new\n' +
      'passphrase from KEYNODE_NEW_PASSPHRASE (or KEYNODE_PASSPHRASE) or the terminal. The NodeId comes back;\n' +
      'vaults are not in the code: clone them again from whoever shares them.',
    opens: 'restore',
    json: '{ "nodeId": string }',
    run: withKeynode(async ({ kn, dir }) => ({
      json: { nodeId: kn.nodeId },
      human: `Restored keynode ${kn.nodeId} in ${dir}. Its vaults are not in the recovery code: clone them again from whoever shares them.`,
    })),
  },
  {
    path: ['network', 'status'],
    summary: 'whether this keynode is logged in to signaling (with --signaling), and its connected peers',
    json: '{ "signaling": "connected" | "connecting" | "offline", "peers": string[] }',
    run: withKeynode(async ({ kn }) => {
      const s = await kn.network.status();
      return { json: s, human: table([['signaling', s.signaling], ...s.peers.map((p) => ['peer', p])]) };
    }),
  },
];
