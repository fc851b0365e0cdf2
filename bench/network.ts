// Benchmark: clone and pull of the generated vaults (S / M / L) between two Node keynodes over real
// WebRTC (@roamhq/wrtc) through a real signaling server, side by side in the same run with native
// `git clone --bare` / `git fetch` from `git daemon` serving the very same bare repository.
//
// The owner keynode runs in a child process (this file, forked with KEYNODE_BENCH_ROLE=owner), like
// a second machine: its git server and the puller's git client do not share one JavaScript thread,
// just as git daemon's upload-pack and the native client are separate processes.
// Bytes on the channel are counted at the WebRTC seam (every data-channel send() of each side); pack
// bytes are the .pack files the puller stores (isomorphic-git keeps the received pack as it came).
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKeynode, type Keynode } from '../src/index.js';
import { startSignalingServer } from '../signaling-server/src/index.js';
import { openNodeStorage } from '../src/platform/node-storage.js';
import { countingRtc } from '../tests/utils/keynodes.js';
import {
  bytesCell,
  cell,
  fmtBytes,
  fmtMs,
  generatedRepo,
  gitRun,
  gitRunCpu,
  installGenerated,
  medianOf,
  ratio,
  reapedChildrenCpu,
  selfCpu,
  sleep,
  startGitDaemon,
  startProfile,
  table,
  timed,
  type BenchOptions,
  type GeneratedRepo,
  type Section,
  type VaultSize,
} from './fixtures.js';

// ---- the owner keynode, in its own process -------------------------------------------------------

interface OwnerRequest {
  id: number;
  cmd: 'start' | 'share' | 'write' | 'sent' | 'cpu' | 'sends' | 'profileStart' | 'profileStop' | 'stop';
  args?: unknown;
}

export interface OwnerVault {
  name: string;
  vaultId: string;
  gitdir: string;
}

/** The owner process as the bench sees it. */
export interface Owner {
  nodeId: string;
  vaults: Record<string, OwnerVault>;
  vaultsRoot: string;
  share(vault: string, nodeId: string): Promise<void>;
  write(vault: string, path: string, value: string): Promise<void>;
  /** Bytes the owner has sent on its data channels so far. */
  sent(): Promise<number>;
  /** CPU time (ms) the owner process has used so far. */
  cpu(): Promise<number>;
  /** Wall-clock times (Date.now) of the owner's first and last data-channel send since `since`. */
  sends(since: number): Promise<{ first: number; last: number }>;
  profileStart(): Promise<void>;
  profileStop(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Forks the owner: a { dir } keynode whose vaults `bench-<size>` hold the generated repositories. */
export async function startOwner(dir: string, signalingUrl: string, repos: Array<{ name: string; repo: GeneratedRepo }>): Promise<Owner> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, KEYNODE_BENCH_ROLE: 'owner' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(`owner: ${m.error}`));
    else w?.resolve(m.result);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`the owner process exited (${code})`));
    waiting.clear();
  });
  const call = <T>(cmd: OwnerRequest['cmd'], args?: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, cmd, args } satisfies OwnerRequest);
    });
  const started = await call<{ nodeId: string; vaults: Record<string, OwnerVault>; vaultsRoot: string }>('start', {
    dir,
    signalingUrl,
    repos: repos.map((r) => ({ name: r.name, repo: r.repo })),
  });
  return {
    ...started,
    share: (vault, nodeId) => call('share', { vault, nodeId }),
    write: (vault, path, value) => call('write', { vault, path, value }),
    sent: () => call('sent'),
    cpu: () => call('cpu'),
    sends: (since) => call('sends', since),
    profileStart: () => call('profileStart'),
    profileStop: () => call('profileStop'),
    async stop() {
      await call('stop').catch(() => undefined);
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

async function ownerMain(): Promise<void> {
  let keynode: Keynode | undefined;
  let counter: { bytes: number } = { bytes: 0 };
  // When the owner sent (wall clock, shared with the puller's process): splits a clone into phases.
  let sendTimes: number[] = [];
  let profile: { stop(): Promise<string[]> } | undefined;
  const handle = async (req: OwnerRequest): Promise<unknown> => {
    switch (req.cmd) {
      case 'start': {
        const { dir, signalingUrl, repos } = req.args as { dir: string; signalingUrl: string; repos: Array<{ name: string; repo: GeneratedRepo }> };
        // Create the vaults through the API, stopped, then give them the generated history. The
        // owner's store is unencrypted (a Storage given as is) so the generated repositories can be
        // put in place as files; encryption at rest is measured on the pullers.
        const plainDir = () => openNodeStorage({ dir }, 'bench-owner');
        const setup = await createKeynode({ storage: await plainDir() });
        const vaults: Record<string, OwnerVault> = {};
        for (const { name } of repos) {
          const vaultId = await setup.vaults.create(name);
          vaults[name] = { name, vaultId, gitdir: join(dir, 'vaults', vaultId) };
        }
        await setup.stop();
        for (const { name, repo } of repos) installGenerated(repo, vaults[name]!.gitdir);
        const counting = countingRtc();
        counter = counting.sent;
        counting.sent.onSend = () => {
          if (sendTimes.length > 100_000) sendTimes = sendTimes.slice(-1000);
          sendTimes.push(Date.now());
        };
        keynode = await createKeynode({ storage: await plainDir(), signalingUrl, rtc: counting.rtc });
        return { nodeId: keynode.nodeId, vaults, vaultsRoot: join(dir, 'vaults') };
      }
      case 'share': {
        const { vault, nodeId } = req.args as { vault: string; nodeId: string };
        await keynode!.gestalts.trust(nodeId);
        await keynode!.vaults.share(vault, nodeId);
        return null;
      }
      case 'write': {
        const { vault, path, value } = req.args as { vault: string; path: string; value: string };
        await keynode!.secrets.write(vault, path, value);
        return null;
      }
      case 'sent':
        return counter.bytes;
      case 'cpu':
        return selfCpu();
      case 'sends': {
        const since = req.args as number;
        return { first: sendTimes.find((t) => t >= since) ?? NaN, last: sendTimes[sendTimes.length - 1] ?? NaN };
      }
      case 'profileStart':
        profile = await startProfile();
        return null;
      case 'profileStop': {
        const lines = (await profile?.stop()) ?? [];
        profile = undefined;
        return lines;
      }
      case 'stop':
        await keynode?.stop();
        setImmediate(() => process.exit(0));
        return null;
    }
  };
  process.on('message', (req: OwnerRequest) => {
    handle(req).then(
      (result) => process.send!({ id: req.id, result }),
      (e: unknown) => process.send!({ id: req.id, error: e instanceof Error ? `${e.message}` : String(e) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.env.KEYNODE_BENCH_ROLE === 'owner') await ownerMain();

// ---- the puller side and the report -------------------------------------------------------------

function packBytesIn(gitdir: string): Map<string, number> {
  const dir = join(gitdir, 'objects', 'pack');
  const out = new Map<string, number>();
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir)) if (name.endsWith('.pack')) out.set(name, fs.statSync(join(dir, name)).size);
  return out;
}
function newPackBytes(before: Map<string, number>, after: Map<string, number>): number {
  let sum = 0;
  for (const [name, size] of after) if (!before.has(name)) sum += size;
  return sum;
}
function fileSize(path: string): number {
  return fs.existsSync(path) ? fs.statSync(path).size : 0;
}

interface SizeResult {
  size: VaultSize;
  repo: GeneratedRepo;
  nativeClone: number[];
  nativeCloneCpu: number[];
  knCloneCpu: number[];
  /** Clones into a puller encrypted at rest ({ dir }, 'memory'). */
  knCloneEnc: number[];
  memCloneEnc: number[];
  /** { dir } clone phases: request → owner's first send; first → last send; last send → clone done. */
  phaseUntilFirst: number[];
  phaseSending: number[];
  phaseAfterLast: number[];
  memCloneCpu: number[];
  nativeFetchCpu: number[];
  knPullCpu: number[];
  nativeCloneBytes: number[];
  knClone: number[];
  knCloneChannel: number[];
  knClonePack: number[];
  memClone: number[];
  nativeFetch: number[];
  nativeFetchBytes: number[];
  knPull: number[];
  knPullChannel: number[];
  /** Of knPullChannel: what the owner sent (advertisement, acks, the pack in side-band, RPC frames). */
  knPullFromOwner: number[];
  knPullPack: number[];
  memPull: number[];
  nativeNoop: number[];
  knNoop: number[];
  knNoopChannel: number[];
}

export async function runNetwork(opts: BenchOptions): Promise<Section> {
  const lines: string[] = [];
  const root = join(opts.work, 'network');
  fs.mkdirSync(root, { recursive: true });
  const repos = opts.sizes.map((size) => ({ size, repo: generatedRepo(opts.work, size) }));
  for (const { size, repo } of repos) {
    opts.log(`network: ${size.name} generated (${repo.objects} objects, pack ${fmtBytes(repo.packBytes)}, ${fmtMs(repo.genMs)})`);
  }
  const signaling = await startSignalingServer({ port: 0 });
  const owner = await startOwner(
    join(root, 'owner'),
    signaling.url,
    repos.map(({ size, repo }) => ({ name: `bench-${size.name}`, repo })),
  );
  const peerCounting = countingRtc();
  const peerDir = join(root, 'peer');
  // Each puller twice: unencrypted (a Storage given as is; its pack files can be measured) and
  // encrypted at rest, as every persistent keynode is (docs/encryption.md).
  const peer = await createKeynode({ storage: await openNodeStorage({ dir: peerDir }, 'bench-peer'), signalingUrl: signaling.url, rtc: peerCounting.rtc });
  const peerEnc = await createKeynode({ storage: { dir: join(root, 'peer-enc') }, passphrase: 'bench passphrase', signalingUrl: signaling.url });
  const mem = await createKeynode({ storage: 'memory', name: `bench-mem-${process.pid}`, signalingUrl: signaling.url });
  const memEnc = await createKeynode({ storage: 'memory', name: `bench-mem-enc-${process.pid}`, passphrase: 'bench passphrase', signalingUrl: signaling.url });
  const daemon = await startGitDaemon(owner.vaultsRoot);
  const results: SizeResult[] = [];
  try {
    for (const { size } of repos) {
      for (const puller of [peer, peerEnc, mem, memEnc]) await owner.share(`bench-${size.name}`, puller.nodeId);
    }
    await peerEnc.vaults.scan(owner.nodeId);
    await memEnc.vaults.scan(owner.nodeId);
    // The first call opens the WebRTC connection (signaling, ICE, DTLS, handshake); later calls reuse it.
    const connectPeer = await timed(() => peer.vaults.scan(owner.nodeId));
    const connectMem = await timed(() => mem.vaults.scan(owner.nodeId));
    lines.push(
      `First contact (WebRTC connect + authenticated handshake + scan): { dir } puller ${fmtMs(connectPeer.ms)}, memory puller ${fmtMs(connectMem.ms)}. Later operations reuse the open connection.`,
    );

    const sentBoth = async () => (await owner.sent()) + peerCounting.sent.bytes;
    // CPU of both sides: the puller process and the owner process (keynode); git and the daemon's upload-pack (native).
    const keynodeCpu = async <T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; result: T }> => {
      const [c0, o0] = [selfCpu(), await owner.cpu()];
      const { ms, result } = await timed(fn);
      const [c1, o1] = [selfCpu(), await owner.cpu()];
      return { ms, cpuMs: c1 - c0 + (o1 - o0), result };
    };
    const nativeCpu = async (fn: () => Promise<{ ms: number; cpuMs: number }>): Promise<{ ms: number; cpuMs: number }> => {
      const d0 = reapedChildrenCpu(daemon.pid);
      const { ms, cpuMs } = await fn();
      await sleep(30); // let the daemon reap its upload-pack child
      return { ms, cpuMs: cpuMs + (reapedChildrenCpu(daemon.pid) - d0) };
    };
    for (const { size, repo } of repos) {
      const vault = `bench-${size.name}`;
      const ownerVault = owner.vaults[vault]!;
      const url = `${daemon.url}/${ownerVault.vaultId}`;
      const runs = opts.quick ? 3 : size.name === 'L' ? 3 : 5;
      const memRuns = opts.quick ? 2 : size.name === 'L' ? 1 : 3;
      const r: SizeResult = {
        size,
        repo,
        nativeClone: [],
        nativeCloneCpu: [],
        knCloneCpu: [],
        knCloneEnc: [],
        memCloneEnc: [],
        phaseUntilFirst: [],
        phaseSending: [],
        phaseAfterLast: [],
        memCloneCpu: [],
        nativeFetchCpu: [],
        knPullCpu: [],
        nativeCloneBytes: [],
        knClone: [],
        knCloneChannel: [],
        knClonePack: [],
        memClone: [],
        nativeFetch: [],
        nativeFetchBytes: [],
        knPull: [],
        knPullChannel: [],
        knPullFromOwner: [],
        knPullPack: [],
        memPull: [],
        nativeNoop: [],
        knNoop: [],
        knNoopChannel: [],
      };
      opts.log(`network ${size.name}: clones (${runs} runs each, interleaved)…`);

      // Native clone: one traced run for the pack bytes on the wire, then timed runs.
      const trace = join(root, `trace-${size.name}.pack`);
      await gitRun(['clone', '-q', '--bare', url, join(root, `native-warm-${size.name}.git`)], { env: { GIT_TRACE_PACKFILE: trace } });
      r.nativeCloneBytes.push(fileSize(trace));
      fs.rmSync(trace, { force: true });
      fs.rmSync(join(root, `native-warm-${size.name}.git`), { recursive: true, force: true });

      let lastClone = '';
      for (let i = 0; i < runs; i++) {
        const target = join(root, `native-${size.name}-${i}.git`);
        const n = await nativeCpu(() => gitRunCpu(['clone', '-q', '--bare', url, target]));
        r.nativeClone.push(n.ms);
        r.nativeCloneCpu.push(n.cpuMs);
        fs.rmSync(target, { recursive: true, force: true });

        const before = await sentBoth();
        const wall0 = Date.now();
        const { ms, cpuMs, result: id } = await keynodeCpu(() => peer.vaults.clone(vault, owner.nodeId));
        const wall1 = Date.now();
        const sends = await owner.sends(wall0);
        r.knClone.push(ms);
        r.knCloneCpu.push(cpuMs);
        r.phaseUntilFirst.push(sends.first - wall0);
        r.phaseSending.push(sends.last - sends.first);
        r.phaseAfterLast.push(wall1 - sends.last);
        r.knCloneChannel.push((await sentBoth()) - before);
        r.knClonePack.push(newPackBytes(new Map(), packBytesIn(join(peerDir, 'vaults', id))));
        if (lastClone !== '') await peer.vaults.delete(lastClone);
        lastClone = id;

        const enc = await timed(() => peerEnc.vaults.clone(vault, owner.nodeId));
        r.knCloneEnc.push(enc.ms);
        await peerEnc.vaults.delete(enc.result);
      }
      let lastMem = '';
      for (let i = 0; i < memRuns; i++) {
        const { ms, cpuMs, result: id } = await keynodeCpu(() => mem.vaults.clone(vault, owner.nodeId));
        r.memClone.push(ms);
        r.memCloneCpu.push(cpuMs);
        if (lastMem !== '') await mem.vaults.delete(lastMem);
        lastMem = id;

        const enc = await timed(() => memEnc.vaults.clone(vault, owner.nodeId));
        r.memCloneEnc.push(enc.ms);
        await memEnc.vaults.delete(enc.result);
      }

      // Pulls after one changed secret: the owner writes through the API, then each side fetches.
      opts.log(`network ${size.name}: pulls…`);
      const nativePull = join(root, `native-pull-${size.name}.git`);
      await gitRun(['clone', '-q', '--bare', url, nativePull]);
      const pullRuns = opts.quick ? 3 : 5;
      const paths = (await gitRun(['ls-tree', '-r', '--name-only', 'master'], { cwd: repo.dir })).trim().split('\n');
      for (let i = 0; i < pullRuns; i++) {
        const path = paths[(i * 7919 + 13) % paths.length]!;
        await owner.write(vault, path, `changed-${i}-${'p'.repeat(40 + i)}`);
        const t = join(root, `trace-fetch-${size.name}-${i}.pack`);
        const n = await nativeCpu(() =>
          gitRunCpu(['fetch', '-q', url, '+refs/heads/master:refs/heads/master'], { cwd: nativePull, env: { GIT_TRACE_PACKFILE: t } }),
        );
        r.nativeFetch.push(n.ms);
        r.nativeFetchCpu.push(n.cpuMs);
        r.nativeFetchBytes.push(fileSize(t));
        fs.rmSync(t, { force: true });

        const gitdir = join(peerDir, 'vaults', lastClone);
        const packsBefore = packBytesIn(gitdir);
        const before = await sentBoth();
        const ownerBefore = await owner.sent();
        const pulled = await keynodeCpu(() => peer.vaults.pull(lastClone));
        if (pulled.result.from === pulled.result.to) throw new Error('the pull did not move master');
        r.knPull.push(pulled.ms);
        r.knPullCpu.push(pulled.cpuMs);
        r.knPullChannel.push((await sentBoth()) - before);
        r.knPullFromOwner.push((await owner.sent()) - ownerBefore);
        r.knPullPack.push(newPackBytes(packsBefore, packBytesIn(gitdir)));
        r.memPull.push((await timed(() => mem.vaults.pull(lastMem))).ms);
      }
      for (let i = 0; i < (opts.quick ? 2 : 3); i++) {
        r.nativeNoop.push((await timed(() => gitRun(['fetch', '-q', url, '+refs/heads/master:refs/heads/master'], { cwd: nativePull }))).ms);
        const before = await sentBoth();
        r.knNoop.push((await timed(() => peer.vaults.pull(lastClone))).ms);
        r.knNoopChannel.push((await sentBoth()) - before);
      }
      fs.rmSync(nativePull, { recursive: true, force: true });
      results.push(r);
    }

    // Where does the slowest operation's time go? One extra clone of the largest vault, profiled on both sides.
    if (opts.profile && results.length > 0) {
      const big = results[results.length - 1]!;
      opts.log(`network: profiling one clone of ${big.size.name} (both processes)…`);
      await owner.profileStart();
      const local = await startProfile();
      const { ms, result: id } = await timed(() => peer.vaults.clone(`bench-${big.size.name}`, owner.nodeId));
      const pullerLines = await local.stop();
      const ownerLines = await owner.profileStop();
      await peer.vaults.delete(id);
      lines.push(
        '',
        `Profile of one { dir } clone of ${big.size.name} (${fmtMs(ms)}, profiler on):`,
        '',
        '```',
        'puller (our fetch client, indexPack, storage):',
        ...pullerLines,
        '',
        'owner (our upload-pack and pack writer):',
        ...ownerLines,
        '```',
      );
    }
  } finally {
    await daemon.stop();
    await Promise.all([peer.stop(), peerEnc.stop(), mem.stop(), memEnc.stop()]).catch(() => undefined);
    await owner.stop();
    await signaling.close();
  }
  return { title: 'Clone and pull between two Node keynodes over WebRTC vs native git daemon', lines: [...report(results, opts), ...lines] };
}

function report(results: SizeResult[], opts: BenchOptions): string[] {
  const col = results.map((r) => r.size.name);
  const row = (label: string, f: (r: SizeResult) => string): string[] => [label, ...results.map(f)];
  const med = medianOf;
  const lines: string[] = [];
  lines.push(
    `Vaults: ${results.map((r) => `${r.size.name} = ${r.size.secrets} secrets / ${r.size.commits} commits / ${r.repo.objects} objects`).join('; ')}.`,
    `Cells are min / median (clone: ${opts.quick ? 3 : '5 (L: 3)'} runs, interleaved with native; memory clone ${opts.quick ? 2 : '3 (L: 1)'}; pulls ${opts.quick ? 3 : 5}). Ratios are medians, keynode / native, from this run.`,
    '',
  );
  lines.push(
    ...table(
      ['clone', ...col],
      [
        row('native `git clone --bare` (git daemon, git://127.0.0.1)', (r) => cell(r.nativeClone)),
        row('keynode clone → { dir } (Node fs), WebRTC', (r) => cell(r.knClone)),
        row('  ratio keynode / native', (r) => ratio(med(r.knClone), med(r.nativeClone))),
        // The owner prepares master's whole-history pack when it shares the vault and keeps it
        // (upload-pack.ts prepareClone): the first clone follows the share, as in use; both
        // processes still run their code for the first time. The owner's pack from scratch is
        // measured by bench/git-pack.ts ("full pack").
        row('  first { dir } clone alone (right after the share, which prepared the pack)', (r) => (r.knClone[0] === undefined ? '–' : fmtMs(r.knClone[0]))),
        row('  ratio first clone / native', (r) => (r.knClone[0] === undefined ? '–' : ratio(r.knClone[0], med(r.nativeClone)))),
        row('keynode clone → { dir } encrypted at rest', (r) => cell(r.knCloneEnc)),
        row('  ratio encrypted / unencrypted { dir }', (r) => ratio(med(r.knCloneEnc), med(r.knClone))),
        row("keynode clone → 'memory' (lightning-fs on fake-indexeddb), WebRTC", (r) => cell(r.memClone)),
        row('  ratio memory / native', (r) => ratio(med(r.memClone), med(r.nativeClone))),
        row("keynode clone → 'memory' encrypted at rest", (r) => cell(r.memCloneEnc)),
        row("  ratio encrypted / unencrypted 'memory'", (r) => ratio(med(r.memCloneEnc), med(r.memClone))),
        row('CPU user+sys, both sides: native (git + upload-pack)', (r) => cell(r.nativeCloneCpu)),
        row('CPU user+sys, both sides: keynode { dir } (puller + owner process)', (r) => cell(r.knCloneCpu)),
        row("CPU user+sys, both sides: keynode 'memory'", (r) => cell(r.memCloneCpu)),
        row('  CPU ratio keynode { dir } / native', (r) => ratio(med(r.knCloneCpu), med(r.nativeCloneCpu))),
        row("{ dir } clone phase: request → owner's first send (connect reuse, gitInfo)", (r) => cell(r.phaseUntilFirst)),
        row("{ dir } clone phase: owner's first → last send (advertisement, negotiation, pack)", (r) => cell(r.phaseSending)),
        row('{ dir } clone phase: last byte sent → clone done (index pack, write, vault record)', (r) => cell(r.phaseAfterLast)),
        row('native pack on the wire (GIT_TRACE_PACKFILE)', (r) => bytesCell(r.nativeCloneBytes)),
        row('keynode pack stored by the puller', (r) => bytesCell(r.knClonePack)),
        row('keynode bytes on the channel (both directions)', (r) => bytesCell(r.knCloneChannel)),
        row('  ratio pack bytes keynode / native', (r) => ratio(med(r.knClonePack), med(r.nativeCloneBytes))),
      ],
    ),
    '',
    ...table(
      ['pull after one changed secret', ...col],
      [
        row('native `git fetch` (git daemon)', (r) => cell(r.nativeFetch)),
        row('keynode pull → { dir }', (r) => cell(r.knPull)),
        row('  ratio keynode / native', (r) => ratio(med(r.knPull), med(r.nativeFetch))),
        row("keynode pull → 'memory'", (r) => cell(r.memPull)),
        row('CPU user+sys, both sides: native / keynode { dir }', (r) => `${cell(r.nativeFetchCpu)} vs ${cell(r.knPullCpu)}`),
        row('native pack on the wire (GIT_TRACE_PACKFILE)', (r) => bytesCell(r.nativeFetchBytes)),
        row('keynode owner → puller on the channel (pack + advertisement, acks, side-band and RPC framing)', (r) => bytesCell(r.knPullFromOwner)),
        row('  ratio keynode owner → puller bytes / native pack', (r) => ratio(med(r.knPullFromOwner), med(r.nativeFetchBytes))),
        row('keynode puller → owner on the channel (request: wants, haves)', (r) => bytesCell(r.knPullChannel.map((b, i) => b - r.knPullFromOwner[i]!))),
        row('keynode pack stored by the puller (after completing a thin pack, if the client does)', (r) => bytesCell(r.knPullPack)),
      ],
    ),
    '',
    ...table(
      ['up-to-date pull', ...col],
      [
        row('native `git fetch`', (r) => cell(r.nativeNoop)),
        row('keynode pull (no pack moves)', (r) => cell(r.knNoop)),
        row('keynode bytes on the channel', (r) => bytesCell(r.knNoopChannel)),
      ],
    ),
    '',
  );
  const L = results.find((r) => r.size.name === 'L');
  const goals: string[] = [];
  if (L) {
    const x = med(L.knClone) / med(L.nativeClone);
    const c = med(L.knCloneCpu) / med(L.nativeCloneCpu);
    goals.push(`- Goal "clone of L within 2× of native git's time": ${x.toFixed(1)}× wall (${c.toFixed(1)}× CPU) → ${x <= 2 ? 'met' : 'NOT met'}.`);
    const e = med(L.knCloneEnc) / med(L.knClone);
    const m = med(L.memCloneEnc) / med(L.memClone);
    goals.push(
      `- Goal "encrypted clone of L ≤ 1.15× the unencrypted one": { dir } ${e.toFixed(2)}×, 'memory' ${m.toFixed(2)}× → ${e <= 1.15 && m <= 1.15 ? 'met' : 'NOT met'}.`,
    );
  } else {
    goals.push('- Goal "clone of L within 2× of native": L not run (--quick).');
  }
  for (const r of results) {
    // Upper bound of our pack on the wire: everything the owner sent during the pull.
    const x = med(r.knPullFromOwner) / med(r.nativeFetchBytes);
    goals.push(
      `- Goal "one-secret pull's pack within 2× of git's bytes", ${r.size.name}: all the owner sent ${fmtBytes(med(r.knPullFromOwner))} (pack + protocol) vs git's pack ${fmtBytes(med(r.nativeFetchBytes))} = ${x.toFixed(2)}× → ${x <= 2 ? 'met' : 'NOT met'}.`,
    );
  }
  lines.push('Goals (reported, not asserted):', ...goals);
  return lines;
}
