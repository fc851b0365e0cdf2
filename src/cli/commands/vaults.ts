// Vaults (Polykey's `vaults` commands) and pulls queued until a vault's owner can be reached.
import type { QueuedPull } from '../../keynode/pull-queue.js';
import { describePullSource } from '../../keynode/pull-source.js';
import { change, countOption, type CommandDef, type OptionValues, withKeynode } from '../command.js';
import { table, when } from '../output.js';

const VAULT_LIST_ITEM = '{ "vaultName": string, "vaultId": string, "remote"?: { "nodeId": string, "vaultId": string } }';
const QUEUED_PULL =
  '{ "vaultId": string, "vaultName": string, "nodeId": string, "pullVault"?: string, "queuedAt": number, "attempts": number, ' +
  '"lastAttemptAt"?: number, "failed"?: { "code": string, "message": string } }';

/** `pull VAULT [NODE [PULLVAULT]]`'s optional arguments as pull's options. */
function pullOptions(args: string[]): { nodeId?: string; pullVault?: string } {
  return { nodeId: args[1], pullVault: args[2] };
}

function logOptions(options: OptionValues): { ref?: string; limit?: number } {
  return { ref: options.ref as string | undefined, limit: countOption(options, 'limit', ['vaults', 'log']) };
}

function queuedRow(p: QueuedPull): string[] {
  const state = p.failed !== undefined ? `failed: ${p.failed.code}` : p.attempts === 0 ? 'waiting' : `waiting (${p.attempts} tries)`;
  return [p.vaultName, p.nodeId, state];
}

const id = (vaultId: string): { json: { vaultId: string }; human: string } => ({ json: { vaultId }, human: vaultId });

export const vaultCommands: CommandDef[] = [
  {
    path: ['vaults', 'list'],
    summary: 'list the vaults',
    json: `[${VAULT_LIST_ITEM}, …]`,
    run: withKeynode(async ({ kn }) => {
      const vaults = await kn.vaults.list();
      const rows = vaults.map((v) => [v.vaultName, v.vaultId, v.remote === undefined ? '' : `cloned from ${v.remote.nodeId}`]);
      return { json: vaults, human: table(rows) };
    }),
  },
  {
    path: ['vaults', 'create'],
    usage: 'NAME',
    args: [1, 1],
    summary: 'create a vault; prints its id',
    json: '{ "vaultId": string, "vaultName": string }',
    run: withKeynode(async ({ kn }, args) => {
      const vaultId = await kn.vaults.create(args[0]!);
      return { json: { vaultId, vaultName: args[0] }, human: vaultId };
    }),
  },
  change(['vaults', 'rename'], 'VAULT NEWNAME', [2, 2], 'rename a vault', (kn, args) => kn.vaults.rename(args[0]!, args[1]!)),
  change(['vaults', 'delete'], 'VAULT', [1, 1], 'delete a vault and every permission on it', (kn, args) => kn.vaults.delete(args[0]!)),
  {
    path: ['vaults', 'log'],
    usage: 'VAULT',
    args: [1, 1],
    summary: "a vault's history, newest first",
    options: {
      limit: { type: 'string', value: 'N', description: 'at most N commits' },
      ref: { type: 'string', value: 'REF', description: 'start from this commit instead of the latest' },
    },
    json: '[{ "commitId": string, "parents": string[], "author": string, "timestamp": number, "message": string }, …]',
    run: ({ args, options }) => {
      const opts = logOptions(options);
      return async ({ kn }) => {
        const log = await kn.vaults.log(args[0]!, opts);
        const human = log.map((c) => `commit ${c.commitId}\nAuthor: ${c.author}\nDate:   ${when(c.timestamp)}\n\n    ${c.message}\n`).join('\n');
        return { json: log, human };
      };
    },
  },
  {
    path: ['vaults', 'version'],
    usage: 'VAULT REF',
    args: [2, 2],
    summary: "show the vault as of commit REF ('last' for the latest)",
    json: '{ "latest": boolean }',
    run: withKeynode(async ({ kn }, args) => {
      const result = await kn.vaults.version(args[0]!, args[1]!);
      return { json: result, human: result.latest ? `${args[0]} is at its latest version.` : `${args[0]} now shows commit ${args[1]}.` };
    }),
  },
  change(['vaults', 'share'], 'VAULT NODE', [2, 2], 'let NODE (and its gestalt) clone and pull VAULT, and tell it so', (kn, args) =>
    kn.vaults.share(args[0]!, args[1]!),
  ),
  change(['vaults', 'unshare'], 'VAULT NODE', [2, 2], 'take back what share gave', (kn, args) => kn.vaults.unshare(args[0]!, args[1]!)),
  {
    path: ['vaults', 'permissions'],
    usage: 'VAULT',
    args: [1, 1],
    summary: 'who may clone or pull VAULT',
    json: '[{ "nodeId": string, "actions": ("clone" | "pull")[] }, …]',
    run: withKeynode(async ({ kn }, args) => {
      const perms = await kn.vaults.permissions(args[0]!);
      return { json: perms, human: table(perms.map((p) => [p.nodeId, p.actions.join(',')])) };
    }),
  },
  {
    path: ['vaults', 'link'],
    usage: 'VAULT NODE',
    args: [2, 2],
    summary: 'a share link for NODE (a URL carrying the signed share notification)',
    json: '{ "link": string }',
    run: withKeynode(async ({ kn }, args) => {
      const link = await kn.vaults.shareLink(args[0]!, args[1]!);
      return { json: { link }, human: link };
    }),
  },
  {
    path: ['vaults', 'scan'],
    usage: 'NODE',
    args: [1, 1],
    summary: 'the vaults NODE lets this keynode clone or pull',
    json: '[{ "vaultName": string, "vaultId": string, "actions": ("clone" | "pull")[] }, …]',
    run: withKeynode(async ({ kn }, args) => {
      const found = await kn.vaults.scan(args[0]!);
      return { json: found, human: table(found.map((v) => [v.vaultName, v.vaultId, v.actions.join(',')])) };
    }),
  },
  {
    path: ['vaults', 'clone'],
    usage: 'VAULT NODE',
    args: [2, 2],
    summary: "clone NODE's vault (by its name or id there); prints the local vault's id",
    json: '{ "vaultId": string }',
    run: withKeynode(async ({ kn }, args) => id(await kn.vaults.clone(args[0]!, args[1]!))),
  },
  {
    path: ['vaults', 'pull'],
    usage: 'VAULT [NODE [PULLVAULT]]',
    args: [1, 3],
    summary: 'bring a cloned vault up to date (from NODE, or where it was cloned from)',
    json: '{ "from": string, "to": string, "source": string, "via"?: "owner-linked" | "own-linked" }',
    run: withKeynode(async ({ kn }, args) => {
      const r = await kn.vaults.pull(args[0]!, pullOptions(args));
      // Said every time: when the owner was offline, the pull may have come from a second holder.
      const names = await kn.gestalts.nicknames();
      const nameOf = (nodeId: string): string => names[nodeId] ?? nodeId;
      const owner = (await kn.vaults.list()).find((v) => v.vaultId === args[0] || v.vaultName === args[0])?.remote?.nodeId;
      const from = describePullSource(r, nameOf, owner === undefined ? 'the owner' : nameOf(owner));
      const what = r.from === r.to ? 'Already up to date.' : `${r.from.slice(0, 12)}..${r.to.slice(0, 12)}`;
      return { json: r, human: `${what}\npulled from ${from}` };
    }),
  },
  {
    path: ['vaults', 'fork'],
    usage: 'VAULT NEWNAME',
    args: [2, 2],
    summary: 'a writable copy of a vault (e.g. of a clone); prints its id',
    json: '{ "vaultId": string }',
    run: withKeynode(async ({ kn }, args) => id(await kn.vaults.fork(args[0]!, args[1]!))),
  },
  {
    path: ['pulls', 'queue'],
    usage: 'VAULT [NODE [PULLVAULT]]',
    args: [1, 3],
    summary: 'pull VAULT by itself once its owner can be reached (one per vault; replaces an earlier one)',
    details: 'A queued pull runs while this keynode is online: under `keynode serve`, or during any command given --signaling.',
    json: QUEUED_PULL,
    run: withKeynode(async ({ kn }, args) => {
      const queued = await kn.vaults.queuePull(args[0]!, pullOptions(args));
      return { json: queued, human: `Queued: ${queued.vaultName} will be pulled from ${queued.nodeId} once it can be reached.` };
    }),
  },
  {
    path: ['pulls', 'list'],
    summary: 'the queued pulls',
    json: `[${QUEUED_PULL}, …]`,
    run: withKeynode(async ({ kn }) => {
      const queued = await kn.vaults.queuedPulls();
      return { json: queued, human: table(queued.map(queuedRow)) };
    }),
  },
  change(['pulls', 'cancel'], 'VAULT', [1, 1], "forget VAULT's queued pull", (kn, args) => kn.vaults.cancelQueuedPull(args[0]!)),
];
