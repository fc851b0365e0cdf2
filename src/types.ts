// The public contract of docs/api.md as TypeScript types: what the UI (through the service worker RPC),
// the command line and the tests program against. Ids cross it in their encoded text forms.

export type VaultAction = 'clone' | 'pull';
export type GestaltAction = 'notify' | 'scan' | 'claim';
export const vaultActions: readonly VaultAction[] = ['clone', 'pull'];
export const gestaltActions: readonly GestaltAction[] = ['notify', 'scan', 'claim'];

export interface VaultListItem {
  vaultName: string;
  vaultId: string;
  remote?: { nodeId: string; vaultId: string };
}

export interface LogEntry {
  commitId: string;
  parents: string[];
  author: string;
  timestamp: number;
  message: string;
}

export interface Vaults {
  create(name: string): Promise<string>;
  list(): Promise<VaultListItem[]>;
  rename(vault: string, newName: string): Promise<void>;
  delete(vault: string): Promise<void>;
  log(vault: string, opts?: { ref?: string; limit?: number }): Promise<LogEntry[]>;
  version(vault: string, ref: 'last' | string): Promise<{ latest: boolean }>;
  share(vault: string, nodeId: string): Promise<void>;
  unshare(vault: string, nodeId: string): Promise<void>;
  permissions(vault: string): Promise<Array<{ nodeId: string; actions: VaultAction[] }>>;
  shareLink(vault: string, nodeId: string, opts?: { baseUrl?: string }): Promise<string>;
  scan(nodeId: string): Promise<Array<{ vaultName: string; vaultId: string; actions: VaultAction[] }>>;
  clone(vault: string, nodeId: string): Promise<string>;
  /** Commit ids before and after, and `source`: the NodeId actually pulled from (see PullResult). */
  pull(vault: string, opts?: { nodeId?: string; pullVault?: string }): Promise<PullResult>;
  fork(vault: string, newName: string): Promise<string>;
  /** The owner's record of what each peer fetched, newest first (kept locally, never sent anywhere). */
  pullLog(vault: string): Promise<PullLogEntry[]>;
  /** Secrets `nodeId` has fetched that have not changed since: what to rotate after unsharing. */
  exposure(vault: string, nodeId: string): Promise<Array<{ path: string; since: string }>>;
}

/**
 * What `vaults.pull` did. When the vault's default remote could not be reached, the pull may have
 * come from a second holder of the same vault: `via` then says which kind ('owner-linked': another
 * browser of the owner; 'own-linked': another browser of ours). The default remote never changes
 * because of that.
 */
export interface PullResult {
  from: string;
  to: string;
  /** The NodeId actually pulled from. */
  source: string;
  via?: 'owner-linked' | 'own-linked';
}

export interface PullLogEntry {
  nodeId: string;
  commitId: string;
  at: number;
  kind: VaultAction;
}

/** What an import did (or, as a dry run, would do). */
export interface ImportReport {
  format: string;
  added: string[];
  overwritten: string[];
  skipped: Array<{ entry: string; reason: string }>;
}

export type SecretContent = string | Uint8Array;

export interface BatchOp {
  op: 'write' | 'add' | 'update' | 'delete' | 'rename' | 'mkdir';
  path: string;
  content?: SecretContent;
  to?: string;
  recursive?: boolean;
}

export interface EnvOptions {
  format?: 'dotenv' | 'json';
  invalid?: 'error' | 'warn' | 'ignore';
  duplicate?: 'keep' | 'overwrite' | 'warn' | 'error';
}

export interface Secrets {
  add(vault: string, path: string, content: SecretContent): Promise<void>;
  update(vault: string, path: string, content: SecretContent): Promise<void>;
  write(vault: string, path: string, content: SecretContent): Promise<void>;
  get(vault: string, path: string): Promise<Uint8Array>;
  getText(vault: string, path: string): Promise<string>;
  stat(vault: string, path: string): Promise<{ type: 'file' | 'directory'; size: number }>;
  list(vault: string, dir?: string): Promise<Array<{ path: string; type: 'file' | 'directory' }>>;
  mkdir(vault: string, path: string, opts?: { recursive?: boolean }): Promise<void>;
  rename(vault: string, from: string, to: string): Promise<void>;
  delete(vault: string, paths: string | string[], opts?: { recursive?: boolean }): Promise<void>;
  batch(vault: string, ops: BatchOp[]): Promise<void>;
  env(vault: string, paths?: string[], opts?: EnvOptions): Promise<string>;
}

export interface Gestalts {
  trust(nodeId: string): Promise<void>;
  untrust(nodeId: string): Promise<void>;
  allow(nodeId: string, action: GestaltAction): Promise<void>;
  disallow(nodeId: string, action: GestaltAction): Promise<void>;
  permissions(nodeId: string): Promise<{ gestalt: GestaltAction[]; vaults: Record<string, VaultAction[]> }>;
  invite(nodeId: string): Promise<void>;
  claim(nodeId: string): Promise<void>;
  discover(nodeId: string): Promise<void>;
  /** Revokes this keynode's link with `nodeId` (either end of a link may): its part of the gestalt leaves with nothing (docs/gestalts.md). */
  unlink(nodeId: string): Promise<void>;
  get(nodeId: string): Promise<{ nodes: string[] }>;
  list(): Promise<Array<{ nodes: string[]; actions: GestaltAction[] }>>;
  /** On the keynode to be linked: a signed code for the person's other keynode to scan (valid 10 minutes; a new one replaces it). */
  pairingCode(): Promise<{ code: string; expiresAt: number }>;
  /** What became of the code shown: waiting, expired, or the keynode that scanned it and whether linking with it worked. */
  pairingStatus(): Promise<PairingStatus>;
  /** The code is no longer shown: it is not taken any more. */
  cancelPairing(): Promise<void>;
  /** On the person's other keynode: checks a scanned code, trusts the keynode it names and invites it; that keynode then links by itself. */
  pair(code: string): Promise<{ nodeId: string }>;
}

export type PairingStatus =
  | { state: 'none' }
  | { state: 'waiting' | 'expired'; expiresAt: number }
  | { state: 'linking' | 'linked'; nodeId: string }
  | { state: 'failed'; nodeId: string; error: { code: string; message: string } };

export type NotificationData =
  | { type: 'VaultShare'; vaultId: string; vaultName: string; actions: VaultAction[] }
  | { type: 'VaultUnshare'; vaultId: string; vaultName: string }
  /** `pairing`: set when the inviter scanned our pairing code (gestalts.pair): the code's nonce. */
  | { type: 'GestaltInvite'; pairing?: string }
  | { type: 'General'; message: string };

export interface InboxItem {
  id: string;
  from: string;
  data: NotificationData;
  isRead: boolean;
  iat: number;
}

/**
 * pending: not tried yet; not-delivered-yet: tried, not handed over, tried again at nextAttemptAt
 * (and when the recipient comes online); refused: the recipient said no, not tried again.
 */
export type OutboxState = 'pending' | 'not-delivered-yet' | 'refused';

export interface OutboxItem {
  id: string;
  to: string;
  data: NotificationData;
  state: OutboxState;
  attempts: number;
  /** When it is tried next (ms since 1970); meaningless once refused. */
  nextAttemptAt?: number;
  lastError?: { code: string; message: string };
  /** True exactly when refused (kept for callers that read it). */
  failed?: boolean;
}

export interface Notifications {
  send(nodeId: string, message: string): Promise<void>;
  read(opts?: { unread?: boolean; order?: 'asc' | 'desc'; limit?: number }): Promise<InboxItem[]>;
  remove(id: string): Promise<void>;
  clear(): Promise<void>;
  outbox: { read(): Promise<OutboxItem[]>; remove(id: string): Promise<void>; clear(): Promise<void> };
  openLink(urlOrToken: string): Promise<{ id: string; from: string; data: NotificationData }>;
}

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
