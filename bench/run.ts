// `npm run bench`: every keynode benchmark in sequence, one plain-text report. It re-runs itself inside
// a network namespace holding only loopback (like scripts/test.mjs), because WebRTC gathers ICE
// candidates on every interface otherwise. Benchmarks never fail on timing: they print, and exit 0.
//   npm run bench                     all sizes (S, M, L), every benchmark
//   npm run bench -- --quick          S and M only, fewer runs, shorter load phases
//   npm run bench -- --only <name>    one of: vault-write, git-pack, network, signaling, browser
//   npm run bench -- --no-profile     skip the profile of the slowest keynode operation
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPressure, machineLine, VAULT_SIZES, workDir, type BenchOptions, type Section } from './fixtures.js';

const NAMES = ['vault-write', 'git-pack', 'network', 'signaling', 'browser'] as const;
type Name = (typeof NAMES)[number];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
if (only !== undefined && !NAMES.includes(only as Name)) {
  console.error(`--only takes one of: ${NAMES.join(', ')}`);
  process.exit(2);
}

if (process.env.KEYNODE_NETNS !== '1') {
  // Re-exec inside a loopback-only namespace; the load average is read here, before anything starts.
  const loadBefore = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const self = fileURLToPath(import.meta.url);
  const quoted = ['npx', 'tsx', self, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const inner = `ip link set lo up && KEYNODE_NETNS=1 KEYNODE_BENCH_LOAD='${loadBefore}' ${quoted}`;
  const r = spawnSync('unshare', [isRoot ? '-n' : '-rn', 'bash', '-c', inner], { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(
      r.error
        ? `Could not create a loopback-only network namespace (${r.error.message}); install util-linux and iproute2.`
        : `The benchmark run ended with status ${r.status}.`,
    );
  }
  process.exit(0);
}

const selected: Name[] = only !== undefined ? [only as Name] : [...NAMES];
const work = workDir('run');
const opts: BenchOptions = {
  quick,
  sizes: VAULT_SIZES.filter((s) => (process.env.KEYNODE_BENCH_SIZES ?? (quick ? 'S,M' : 'S,M,L')).split(',').includes(s.name)),
  work,
  profile: !argv.includes('--no-profile'),
  log: (line) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`),
};

const started = Date.now();
const sections: Section[] = [];

/** Runs one existing script (bench/vault-write.ts, bench/git-pack.ts) as it prints on its own. */
function script(file: string, args: string[]): Section {
  const r = spawnSync('npx', ['tsx', join(import.meta.dirname, file), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const out = `${r.stdout ?? ''}`.trim().split('\n');
  if (r.status !== 0) out.push(`(exited with ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')})`);
  return { title: '', lines: out };
}

for (const name of selected) {
  const t = Date.now();
  opts.log(`${name}…`);
  try {
    switch (name) {
      case 'vault-write': {
        const s = script(
          'vault-write.ts',
          opts.sizes.map((x) => String(x.secrets)),
        );
        sections.push({ ...s, title: 'One secret write and read vs native git plumbing (bench/vault-write.ts)' });
        break;
      }
      case 'git-pack': {
        for (const size of opts.sizes) {
          const s = script('git-pack.ts', [size.name]);
          sections.push({ ...s, title: `Our pack writer and HTTP clone vs native git, ${size.name} (bench/git-pack.ts)` });
        }
        break;
      }
      case 'network': {
        const { runNetwork } = await import('./network.js');
        sections.push(await runNetwork(opts));
        break;
      }
      case 'signaling': {
        const { runSignalingLoad } = await import('./signaling-load.js');
        sections.push(await runSignalingLoad(opts));
        break;
      }
      case 'browser': {
        const { runBrowser } = await import('./browser.js');
        sections.push(await runBrowser(opts));
        break;
      }
    }
  } catch (e) {
    sections.push({ title: `${name}: did not complete`, lines: [`${e instanceof Error ? (e.stack ?? e.message) : String(e)}`] });
  }
  opts.log(`${name} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

fs.rmSync(work, { recursive: true, force: true });

const out: string[] = [
  '# keynode benchmarks',
  '',
  `Machine: ${machineLine()}`,
  `Load average before starting: ${process.env.KEYNODE_BENCH_LOAD ?? '?'}; CPU pressure at the end: ${cpuPressure()}.`,
  `Run: ${new Date(started).toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s, ${quick ? 'quick (S and M, fewer runs)' : 'full (S, M, L)'}${only ? `, only ${only}` : ''}; working dirs on /dev/shm; inside a loopback-only network namespace.`,
];
for (const s of sections) out.push('', `## ${s.title}`, '', ...s.lines);
console.log(out.join('\n'));
process.exit(0);
