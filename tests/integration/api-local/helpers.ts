// Shared helpers for the API-level suite: keynodes made only through createKeynode (memory storage,
// told apart by a fresh name per test, or { dir } in a temp directory), stopped after each test,
// and a way to read the KeynodeError code of a call that must fail.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createKeynode, type CreateKeynodeOptions, type Keynode } from '../../../src/index.js';
import type { Logger } from '../../../src/types.js';

let counter = 0;

/** The passphrase of the suite's { dir } keynodes. */
export const TEST_PASSPHRASE = 'test passphrase, long enough';

/** A storage name no other test in this process uses. */
export function freshName(label: string): string {
  counter += 1;
  return `api-local-${label}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Tracks every keynode a test starts so afterEach can stop them (stop is idempotent). */
export class Keynodes {
  private readonly started: Keynode[] = [];
  private readonly dirs: string[] = [];

  async memory(label: string, extra: Omit<CreateKeynodeOptions, 'storage' | 'name'> = {}): Promise<Keynode> {
    return this.start({ storage: 'memory', name: freshName(label), ...extra });
  }

  /** A { dir } keynode is always encrypted: it gets TEST_PASSPHRASE unless the options say otherwise. */
  async start(options: CreateKeynodeOptions): Promise<Keynode> {
    const persistent = typeof options.storage === 'object' && 'dir' in options.storage;
    const k = await createKeynode(persistent && !('passphrase' in options) ? { ...options, passphrase: TEST_PASSPHRASE } : options);
    this.started.push(k);
    return k;
  }

  /** Stops `k` with the others after the test. */
  track<K extends { stop(): Promise<void> }>(k: K): K {
    this.started.push(k as unknown as Keynode);
    return k;
  }

  tempDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keynode-api-local-'));
    this.dirs.push(dir);
    return dir;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.map((k) => k.stop()));
    this.started.length = 0;
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
    this.dirs.length = 0;
  }
}

/** The `code` of the KeynodeError a call rejects with (shared with the peer suites). */
export { codeOf } from '../../utils/keynodes.js';

/** A logger that keeps warnings (the env `warn` policies report through it). */
export function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (m) => void warnings.push(m), error() {} };
}

/** A syntactically valid NodeId of a keynode that exists only in name (for trust/share tests). */
export async function strangerNodeId(keynodes: Keynodes): Promise<string> {
  return (await keynodes.memory('stranger')).nodeId;
}
