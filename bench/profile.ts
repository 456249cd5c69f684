/**
 * `npm run bench:profile [-- <variant> ...]`: V8 CPU profiles of a real node-red process (the
 * bench's process set-up: `http in` → variant → `http response`) while this process keeps 32
 * calls of one variant in flight, each taken over its load alone and written to bench/results/
 * (open them in Chrome DevTools), summed up here as CPU time per call: by who owns the code,
 * side by side, and the top functions of each. Variants: ours (plex-transient-token), bare,
 * http-request, ours-reuse; by default ours and bare, to see what ours costs above the limit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startStandInProcess } from './stand-in-process';
import { startProcessNodeRed } from './process-red';
import { load, repeat } from './throughput';
import type { Variant } from './contenders';
import { waitForLog } from '../dev/flow-check';
import { repoRoot } from '../dev/node-red-process';
import { formatColumns } from './stats';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Who owns the code a sample was in. */
function owner(url: string, functionName: string): string {
  if (!url) return ['(garbage collector)', '(idle)', '(program)'].includes(functionName) ? functionName : '(V8 / native)';
  if (url.includes('/node-red-plex-auth/dist/src/') || url.includes('/node-red-plex-auth/dist/nodes/')) return 'ours';
  if (url.includes('/bench-bare-node/') || url.includes('/dist/bench/')) return 'bench';
  if (url.includes('node-fetch')) return 'node-fetch';
  if (url.includes('@node-red/')) return 'Node-RED';
  if (url.includes('/express/') || url.includes('/body-parser/') || url.includes('/router/')) return 'express';
  if (url.startsWith('node:')) return 'Node.js';
  return 'other packages';
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

/** CPU time per call, in µs, of each owner and of each function (by self time). */
function perCall(profile: Profile, calls: number): { byOwner: Map<string, number>; byFunction: Map<string, number> } {
  const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const usPerHit = (profile.endTime - profile.startTime) / total / calls;
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const who = owner(url, functionName);
    byOwner.set(who, (byOwner.get(who) ?? 0) + hits * usPerHit);
    const key = `${who} | ${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''}`.trimEnd();
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits * usPerHit);
  }
  return { byOwner, byFunction };
}

async function main(): Promise<void> {
  const variants = (process.argv.length > 2 ? process.argv.slice(2) : ['ours', 'bare']) as Variant[];
  const dir = path.join(repoRoot, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `profile-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  const hook = path.join(__dirname, 'cpu-profile-hook.js');
  const standIn = await startStandInProcess();
  const red = await startProcessNodeRed(standIn, {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(hook)}`,
    PLEX_BENCH_CPU_PROFILE: file,
  }).catch(async (error: unknown) => {
    await standIn.stop();
    throw error;
  });
  const profiler = async (marker: RegExp) => {
    const from = red.nodeRed.output().length;
    red.nodeRed.process.kill('SIGURG'); // see cpu-profile-hook.ts
    await waitForLog(red.nodeRed, marker, 20_000, from);
  };
  try {
    for (const variant of variants) await repeat(red.calls[variant], 8, 6000); // warm up
    const measured: Array<{ variant: Variant } & ReturnType<typeof perCall>> = [];
    for (const variant of variants) {
      await profiler(/cpu profile started/);
      const { latencies, elapsedMs } = await load(red.calls[variant], 32, 5000);
      await profiler(/cpu profile written/);
      const written = file.replace(/\.cpuprofile$/, `-${variant}.cpuprofile`);
      fs.renameSync(file, written);
      const figures = perCall(JSON.parse(fs.readFileSync(written, 'utf8')) as Profile, latencies.length);
      measured.push({ variant, ...figures });
      console.log(
        `${variant}, 32 in flight: ${latencies.length} calls in ${(elapsedMs / 1000).toFixed(1)} s (${Math.round((latencies.length / elapsedMs) * 1000)}/s); written to ${path.relative(process.cwd(), written)}`,
      );
    }
    const us = (value = 0) => value.toFixed(1);
    const owners = [...new Set(measured.flatMap((each) => [...each.byOwner.keys()]))].sort(
      (a, b) => (measured[0].byOwner.get(b) ?? 0) - (measured[0].byOwner.get(a) ?? 0),
    );
    console.log('\ntime of the node-red process per call (µs), by owner of the code it ran ((idle): waiting)');
    console.log(
      formatColumns(
        ['owner', ...variants],
        owners.map((who) => [who, ...measured.map((each) => us(each.byOwner.get(who)))]),
      ),
    );
    for (const { variant, byFunction } of measured) {
      console.log(`\ntop functions of ${variant} (self time per call, µs)`);
      for (const [key, value] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${us(value).padStart(6)}  ${key}`);
    }
  } finally {
    await red.stop();
    await standIn.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
