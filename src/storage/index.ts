// Opens one keynode's storage: the KV stores and the filesystem its bare git vaults live on.
// 'indexeddb' is the browser's (idb + lightning-fs); Node adds 'memory' and { dir } through
// src/platform/node-storage.ts, so this file stays free of Node imports for the service worker.
import FS from '@isomorphic-git/lightning-fs';
import type { KV } from './kv.js';
import { openIdbKV } from './idb-kv.js';

/** The fs object isomorphic-git takes: a lightning-fs instance or Node's `fs` module. */
export interface GitFs {
  /** Every writeFile leaves the file whole or untouched (the encrypted filesystem's do). */
  readonly atomicWrites?: boolean;
  promises: {
    readFile(path: string, opts?: unknown): Promise<Uint8Array | string>;
    writeFile(path: string, data: Uint8Array | string, opts?: unknown): Promise<void>;
    unlink(path: string): Promise<void>;
    readdir(path: string): Promise<string[]>;
    mkdir(path: string, opts?: unknown): Promise<unknown>;
    rmdir(path: string, opts?: unknown): Promise<void>;
    stat(path: string): Promise<{ isDirectory(): boolean; isFile(): boolean; size: number }>;
    lstat(path: string): Promise<{ isDirectory(): boolean; isFile(): boolean; size: number }>;
    rename?(from: string, to: string): Promise<void>;
    readlink?(path: string): Promise<string>;
    symlink?(target: string, path: string): Promise<void>;
  };
}

export interface Storage {
  kv: KV;
  fs: GitFs;
  /** Folder holding one bare repository per vault: `${vaultsRoot}/<VaultId>`. */
  vaultsRoot: string;
  /** Makes file writes durable (lightning-fs keeps its directory table in memory between flushes). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export type StorageSpec = 'indexeddb' | 'memory' | { dir: string } | Storage;

export async function openIndexedDbStorage(name: string): Promise<Storage> {
  const kv = await openIdbKV(`keynode-${name}`);
  const fs = new FS(`keynode-git-${name}`) as unknown as GitFs & { promises: { flush(): Promise<void> } };
  return {
    kv,
    fs,
    vaultsRoot: '/vaults',
    flush: () => fs.promises.flush(),
    async close() {
      await fs.promises.flush();
      await kv.close();
    },
  };
}

export function isStorage(spec: StorageSpec): spec is Storage {
  return typeof spec === 'object' && 'kv' in spec && 'fs' in spec;
}

export type { KV, Tx, StoreName, RangeOptions } from './kv.js';
