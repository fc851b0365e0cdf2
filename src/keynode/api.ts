// The keynode API declared once: every method by its dotted name, the object that implements it,
// when it may run, whether a page may repeat it, and which vault it changes. From this table come
// the Keynode's namespaces (keynode.ts), the service worker's method list and the page's proxy
// (platform/sw-rpc/), the lifecycle guard (keynode.ts, `call`) and the 'vault-changed' events
// (vault-changes.ts). Only types and vault-changes.ts come with it, so the page can import it without the core.
import type { CoreServices } from './core.js';
import type { Keynode } from './keynode.js';
import type { KeynodeLock } from './lock.js';
import { pulled, type ChangeSpec } from './vault-changes.js';

/** The objects that implement the API: the core's (core.ts), and the lock, which the keynode has from the beginning. */
export type Services = CoreServices & { lock: KeynodeLock };

export interface MethodSpec<P extends ApiPath = ApiPath> {
  via: keyof Services;
  /** Its path on that object, when it is not the dotted name without the namespace. */
  method?: string;
  /** Answered while locked (or not created yet); every other method is then ErrorKeynodeLocked. After stop() every method is ErrorKeynodeStopped. */
  whileLocked?: true;
  /** Changes nothing, so a page may repeat it when the service worker was stopped mid-call (sw-rpc/client.ts). */
  repeatable?: true;
  changes?: ChangeSpec<Awaited<ReturnType<ApiFn<P>>>, Parameters<ApiFn<P>>>;
}

type Fn = (...args: never[]) => unknown;
/** Every method of T by dotted path. */
type Paths<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends Fn ? `${Prefix}${K}` : T[K] extends object ? Paths<T[K], `${Prefix}${K}.`> : never;
}[keyof T & string];
/** The member of T at a dotted path. */
type At<T, P extends string> = P extends `${infer H}.${infer R}` ? (H extends keyof T ? At<T[H], R> : never) : P extends keyof T ? T[P] : never;
type Tail<P extends string> = P extends `${string}.${infer R}` ? R : P;
type Head<P extends string> = P extends `${infer H}.${string}` ? H : P;

/** Every API method by dotted name: all of Keynode's methods but `on` and `stop`, which stay on each side. */
export type ApiPath = Exclude<Paths<Keynode>, 'on' | 'stop'>;
type ApiFn<P extends ApiPath> = At<Keynode, P> extends (...args: infer A) => infer R ? (...args: A) => R : never;
/** The part of Keynode the table yields. */
export type Api = Pick<Keynode, Head<ApiPath>>;

const read = { repeatable: true } as const;
const locked = { whileLocked: true } as const;
/** Commits to the vault its first argument names; a call that changed nothing (a dry run, say) is not reported. */
const commits = <R extends string>(reason: R) => ({ reason, vault: 'arg', ifMoved: true }) as const;

export const API = {
  'vaults.create': { via: 'vaults', changes: { reason: 'create', vault: 'result' } },
  'vaults.list': { via: 'vaults', ...read },
  'vaults.rename': { via: 'vaults', changes: { reason: 'rename', vault: 'arg' } },
  'vaults.delete': { via: 'tools', method: 'deleteVault', changes: { reason: 'delete', vault: 'arg' } },
  'vaults.log': { via: 'vaults', ...read },
  'vaults.version': { via: 'vaults', changes: { reason: 'version', vault: 'arg' } },
  'vaults.share': { via: 'sharing' },
  'vaults.unshare': { via: 'sharing' },
  'vaults.permissions': { via: 'sharing', ...read },
  'vaults.shareLink': { via: 'sharing', ...read },
  'vaults.scan': { via: 'remote', ...read },
  'vaults.clone': { via: 'tools', changes: { reason: 'clone', vault: 'result' } },
  'vaults.pull': { via: 'tools', changes: { reason: 'pull', vault: 'arg', report: pulled } },
  'vaults.fork': { via: 'vaults', changes: { reason: 'fork', vault: 'result' } },
  'vaults.queuePull': { via: 'pulls', method: 'queue' },
  'vaults.queuedPulls': { via: 'pulls', method: 'list', ...read },
  'vaults.cancelQueuedPull': { via: 'pulls', method: 'cancel' },
  'vaults.pullLog': { via: 'tools', ...read },
  'vaults.exposure': { via: 'tools', ...read },
  'vaults.transfers': { via: 'tools', method: 'transfers.list', ...read },
  'vaults.cancelTransfer': { via: 'tools', method: 'transfers.cancel' },
  'vaults.backup': { via: 'tools' },
  'vaults.restoreBackup': { via: 'tools', changes: { reason: 'restore', vault: 'result' } },
  'vaults.backupReminders': { via: 'tools', ...read },
  'secrets.add': { via: 'secrets', changes: commits('add') },
  'secrets.update': { via: 'secrets', changes: commits('update') },
  'secrets.write': { via: 'secrets', changes: commits('write') },
  'secrets.get': { via: 'secrets', ...read },
  'secrets.getText': { via: 'secrets', ...read },
  'secrets.stat': { via: 'secrets', ...read },
  'secrets.list': { via: 'secrets', ...read },
  'secrets.mkdir': { via: 'secrets', changes: commits('mkdir') },
  'secrets.rename': { via: 'secrets', changes: commits('rename') },
  'secrets.delete': { via: 'secrets', changes: commits('delete') },
  'secrets.batch': { via: 'secrets', changes: commits('batch') },
  'secrets.env': { via: 'secrets', ...read },
  'secrets.find': { via: 'tools', ...read },
  'secrets.import': { via: 'tools', method: 'importSecrets', changes: commits('import') },
  'gestalts.trust': { via: 'contacts' },
  'gestalts.untrust': { via: 'contacts' },
  'gestalts.allow': { via: 'contacts' },
  'gestalts.disallow': { via: 'contacts' },
  'gestalts.permissions': { via: 'gestalts', ...read },
  'gestalts.get': { via: 'gestalts', ...read },
  'gestalts.list': { via: 'gestalts', ...read },
  'gestalts.invite': { via: 'remote' },
  'gestalts.claim': { via: 'remote' },
  'gestalts.discover': { via: 'remote' },
  'gestalts.unlink': { via: 'contacts' },
  'gestalts.nicknames': { via: 'contacts', ...read },
  'gestalts.setNickname': { via: 'contacts' },
  'gestalts.pairingCode': { via: 'pairing', method: 'code' },
  'gestalts.pairingStatus': { via: 'pairing', method: 'status', ...read },
  'gestalts.cancelPairing': { via: 'pairing', method: 'cancel' },
  'gestalts.pair': { via: 'contacts' },
  'notifications.send': { via: 'inbox' },
  // Marks items read, but doing that twice is the same as once.
  'notifications.read': { via: 'inbox', ...read },
  'notifications.remove': { via: 'notifications' },
  'notifications.clear': { via: 'notifications' },
  'notifications.outbox.read': { via: 'notifications', ...read },
  'notifications.outbox.remove': { via: 'notifications' },
  'notifications.outbox.clear': { via: 'notifications' },
  'notifications.openLink': { via: 'inbox' },
  'notifications.unreadCount': { via: 'notifications', ...read },
  'notifications.requests.read': { via: 'inbox', ...read },
  'notifications.requests.accept': { via: 'inbox' },
  'notifications.requests.block': { via: 'notifications' },
  // Answered while locked too: a locked keynode stays online, and the status pill says so.
  'network.status': { via: 'net', ...locked, ...read },
  'network.connect': { via: 'net', ...read },
  'network.disconnect': { via: 'net' },
  lock: { via: 'lock', ...locked },
  unlock: { via: 'lock', ...locked },
  unlockWithRecoveryCode: { via: 'lock', ...locked },
  setPassphrase: { via: 'lock', ...locked },
  lockState: { via: 'lock', method: 'state', ...locked, ...read },
  setAutoLock: { via: 'lock', ...locked },
  noteActivity: { via: 'lock', ...locked, ...read },
} as const satisfies { [P in ApiPath]: MethodSpec<P> };

/** The path of `name`'s implementation on its `via` object (a name without a namespace is its own). */
export function methodOf(name: ApiPath): string {
  const spec: MethodSpec = API[name];
  return spec.method ?? name.slice(name.indexOf('.') + 1);
}

// Fails to compile when an implementation does not take a method's arguments or give its result
// (a promise of it, or the value itself: the facade is async either way).
type Table = typeof API;
type ImplOf<P extends ApiPath> = At<Services[Table[P]['via']], Table[P] extends { method: infer M extends string } ? M : Tail<P>>;
type Fits<I, F> = F extends (...args: infer A) => infer R ? (I extends (...args: A) => R | Awaited<R> ? true : false) : false;
type Mismatched = { [P in ApiPath]: Fits<ImplOf<P>, ApiFn<P>> extends true ? never : P }[ApiPath];
export const implementationsFit: [Mismatched] extends [never] ? true : { mismatched: Mismatched } = true;

/** Every API method, by dotted name. */
export const METHODS = Object.keys(API) as ApiPath[];

/** The function (bound to its object) at a dotted path of `root`, or undefined. */
export function functionAt(root: object, path: string): ((...args: unknown[]) => unknown) | undefined {
  const keys = path.split('.');
  let target: unknown = root;
  for (const key of keys.slice(0, -1)) target = (target as Record<string, unknown> | undefined)?.[key];
  const fn = (target as Record<string, unknown> | undefined)?.[keys[keys.length - 1]!];
  return typeof fn === 'function' ? (fn as (...args: unknown[]) => unknown).bind(target) : undefined;
}

/** The namespaces and methods of the API, each method answered by `run`. */
export function buildApi(run: (name: ApiPath, args: unknown[]) => Promise<unknown>): Api {
  const api: Record<string, unknown> = {};
  for (const name of METHODS) {
    const keys = name.split('.');
    let target = api;
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[keys[keys.length - 1]!] = (...args: unknown[]) => run(name, args);
  }
  // Its shape is the table's, which the checks above keep equal to Keynode's.
  return api as unknown as Api;
}
