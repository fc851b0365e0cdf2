// Gestalts (Polykey's `identities` trust and a person's linked keynodes): whom this keynode trusts,
// what each may do, and linking keynodes into one gestalt.
import type { GestaltAction } from '../../types.js';
import { change, type CommandSpec } from '../command.js';
import { table } from '../output.js';

export const gestaltCommands: CommandSpec[] = [
  {
    path: ['gestalts', 'list'],
    usage: '',
    args: [0, 0],
    summary: 'the gestalts this keynode knows (its own is marked own)',
    json: '[{ "nodes": string[], "actions": ("notify" | "scan" | "claim")[], "own": boolean }, …]',
    run:
      () =>
      async ({ kn }) => {
        const list = await kn.gestalts.list();
        return { json: list, human: table(list.map((g) => [g.nodes.join(','), g.actions.join(',') || '-', g.own ? 'own' : ''])) };
      },
  },
  {
    path: ['gestalts', 'get'],
    usage: 'NODE',
    args: [1, 1],
    summary: 'the keynodes linked with NODE into one gestalt',
    json: '{ "nodes": string[] }',
    run:
      ({ args }) =>
      async ({ kn }) => {
        const g = await kn.gestalts.get(args[0]!);
        return { json: g, human: g.nodes.join('\n') };
      },
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
    run:
      ({ args }) =>
      async ({ kn }) => {
        const p = await kn.gestalts.permissions(args[0]!);
        const rows = [['gestalt', p.gestalt.join(',') || '-'], ...Object.entries(p.vaults).map(([vaultId, actions]) => [vaultId, actions.join(',')])];
        return { json: p, human: table(rows) };
      },
  },
  change(['gestalts', 'invite'], 'NODE', [1, 1], 'invite NODE to link with this keynode (it then claims)', (kn, args) => kn.gestalts.invite(args[0]!)),
  change(['gestalts', 'claim'], 'NODE', [1, 1], 'link with NODE, which invited this keynode', (kn, args) => kn.gestalts.claim(args[0]!)),
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
