// How many sockets this process can hold: its file-descriptor limit less what the process needs for
// itself. Every TCP connection costs one descriptor from accept on, before any upgrade or login;
// past the limit accept() fails and clients see connection resets, legitimate ones included. So
// the connection budget is derived from the limit (read from /proc/self/limits on Linux) instead of
// being a number that may exceed it.
import { readFileSync } from 'node:fs';

/** Descriptors kept for the process itself: stdio, the listening socket, libuv, files, a store's connections. */
export const FD_RESERVE = 64;

/** Assumed when the limit cannot be read (no /proc): the common default soft limit, so we err low. */
export const FD_FALLBACK = 1024;

/** The soft "Max open files" limit in the text of /proc/self/limits; Infinity when unlimited. */
export function parseFdLimit(text: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === 'unlimited') return Infinity;
  const n = Number(soft);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** This process's descriptor limit, or FD_FALLBACK where it cannot be read. */
export function readFdLimit(path = '/proc/self/limits'): number {
  try {
    return parseFdLimit(readFileSync(path, 'utf8')) ?? FD_FALLBACK;
  } catch {
    return FD_FALLBACK;
  }
}

/** Sockets the server may hold at once under `fdLimit` (at least one, so a tiny limit still serves). */
export function socketBudget(fdLimit: number): number {
  return Math.max(1, fdLimit - FD_RESERVE);
}
