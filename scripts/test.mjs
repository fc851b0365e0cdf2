#!/usr/bin/env node
// `npm test`: runs every test inside a network namespace that holds only loopback, because the
// WebRTC tests must never reach anything but 127.0.0.1 (ICE gathers on every interface otherwise).
// Extra arguments go to vitest (e.g. `npm test -- tests/unit`).
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const vitest = ['npx', 'vitest', 'run', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');

if (process.env.KEYNODE_NETNS === '1') {
  const r = spawnSync('sh', ['-c', vitest], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const inner = `ip link set lo up && KEYNODE_NETNS=1 ${vitest}`;
const r = spawnSync('unshare', [isRoot ? '-n' : '-rn', 'bash', '-c', inner], { stdio: 'inherit' });
if (r.error) {
  console.error(`Could not create a loopback-only network namespace (${r.error.message}); install util-linux and iproute2.`);
  process.exit(1);
}
process.exit(r.status ?? 1);
