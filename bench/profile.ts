/**
 * `npm run bench:profile`: a V8 CPU profile (what --cpu-prof records) of plex-transient-token
 * at 32 msgs in flight, taken over the load alone, written to bench/results/ (open it in
 * Chrome DevTools) and summed up here: self time by who owns the code, and the top functions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { startStandInProcess } from './stand-in-process';
import { deployVariants, load, type Variant } from './throughput';
import { repoRoot } from '../dev/node-red-process';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Who owns the code a sample was in. */
function owner(url: string, functionName: string): string {
  if (!url) return ['(garbage collector)', '(idle)', '(program)'].includes(functionName) ? functionName : '(V8 / native)';
  if (url.includes('/dist/src/') || url.includes('/dist/nodes/')) return 'ours';
  if (url.includes('/dist/bench/')) return 'bench driver';
  if (url.includes('node-fetch')) return 'node-fetch';
  if (url.includes('@node-red/')) return 'Node-RED';
  if (url.startsWith('node:')) return 'Node.js';
  return 'other packages';
}

async function main(): Promise<void> {
  const variant = (process.argv[2] ?? 'ours') as Variant;
  const standIn = await startStandInProcess();
  const { red, calls } = await deployVariants(standIn);
  const session = new Session();
  try {
    await load(calls[variant], 32, 1000); // warm up
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const { latencies, elapsedMs } = await load(calls[variant], 32, 4000);
    const { profile } = await session.post('Profiler.stop');
    const dir = path.join(repoRoot, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `profile-${variant}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));

    const nodes = profile.nodes as ProfileNode[];
    const total = nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const byOwner = new Map<string, number>();
    const byFunction = new Map<string, number>();
    for (const node of nodes) {
      const hits = node.hitCount ?? 0;
      if (!hits) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const who = owner(url, functionName);
      byOwner.set(who, (byOwner.get(who) ?? 0) + hits);
      const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
      const key = `${who} | ${functionName || '(anonymous)'} ${where}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
    }
    const share = (hits: number) => `${((hits / total) * 100).toFixed(1).padStart(5)} %`;
    const calls32 = latencies.length;
    console.log(`${variant}, 32 in flight: ${calls32} calls in ${(elapsedMs / 1000).toFixed(1)} s (${Math.round((calls32 / elapsedMs) * 1000)}/s)\n`);
    console.log('self time by owner');
    for (const [who, hits] of [...byOwner].sort((a, b) => b[1] - a[1])) console.log(`  ${share(hits)}  ${who}`);
    console.log('\ntop functions (self time)');
    for (const [key, hits] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${share(hits)}  ${key}`);
    console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
  } finally {
    session.disconnect();
    await red.stop();
    await standIn.stop();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
