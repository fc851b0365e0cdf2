// Gestalts (Polykey's `identities` trust and a person's linked keynodes): whom this keynode trusts,
// what each may do, and linking keynodes into one gestalt.
import type { GestaltAction } from '../../types.js';
import { done, type CommandSpec } from '../command.js';
import { table } from '../output.js';

export const gestaltCommands: CommandSpec[] = [
  {
    path: ['gestalts', 'list'],
    usage: '',
    args: [0, 0],
    summary: 'the gestalts this keynode knows (its own is marked own)',
    json: '[{ "nodes": string[], "actions": ("notify" | "scan" | "claim")[], "own": boolean }, …]',
    run: () => async ({ kn }) => {
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
    run: ({ args }) => async ({ kn }) => {
      const g = await kn.gestalts.get(args[0]!);
      return { json: g, human: g.nodes.join('\n') };
    },
  },
  {
    path: ['gestalts', 'trust'],
    usage: 'NODE',
    args: [1, 1],
    summary: 'add NODE as a contact and let it notify this keynode',
    json: '{}',
    run: ({ args }) => ({ kn }) => done(kn.gestalts.trust(args[0]!)),
  },
  {
    path: ['gestalts', 'untrust'],
    usage: 'NODE',
    args: [1, 1],
    summary: 'take back what trust gave',
    json: '{}',
    run: ({ args }) => ({ kn }) => done(kn.gestalts.untrust(args[0]!)),
  },
  {
    path: ['gestalts', 'allow'],
    usage: 'NODE notify|scan|claim',
    args: [2, 2],
    summary: "let NODE's gestalt notify, scan (list the vaults it may clone) or claim (link with this keynode)",
    json: '{}',
    run: ({ args }) => ({ kn }) => done(kn.gestalts.allow(args[0]!, args[1] as GestaltAction)),
  },
  {
    path: ['gestalts', 'disallow'],
    usage: 'NODE notify|scan|claim',
    args: [2, 2],
    summary: 'take back what allow gave',
    json: '{}',
    run: ({ args }) => ({ kn }) => done(kn.gestalts.disallow(args[0]!, args[1] as GestaltAction)),
  },
  {
    path: ['gestalts', 'permissions'],
    usage: 'NODE',
    args: [1, 1],
    summary: "what NODE's gestalt may do, and on which vaults",
    json: '{ "gestalt": ("notify" | "scan" | "claim")[], "vaults": { "VAULTID": ("clone" | "pull")[], … } }',
    run: ({ args }) => async ({ kn }) => {
      const p = await kn.gestalts.permissions(args[0]!);
      const rows = [['gestalt', p.gestalt.join(',') || '-'], ...Object.entries(p.vaults).map(([vaultId, actions]) => [vaultId, actions.join(',')])];
      return { json: p, human: table(rows) };
    },
  },
  {
    path: ['gestalts', 'invite'],
    usage: 'NODE',
    args: [1, 1],
    summary: 'invite NODE to link with this keynode (it then claims)',
    json: '{}',
    run: ({ args }) => ({ kn }) => done(kn.gestalts.invite(args[0]!)),
  },
  {
    path: ['gestalts', 'claim'],
    usage: 'NODE',
    args: [1, 1],
    summary: 'link with NODE, which invited this keynode',
    json: '{}',
    run: ({ args }) => ({ kn }) => done(kn.gestalts.claim(args[0]!)),
  },
  {
    path: ['gestalts', 'discover'],
    usage: 'NODE',
    args: [1, 1],
    summary: "fetch and check NODE's sigchain, learning the keynodes linked with it",
    json: '{}',
    run: ({ args }) => ({ kn }) => done(kn.gestalts.discover(args[0]!)),
  },
];
