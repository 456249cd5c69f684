/**
 * What our nodes cost per msg, measured against what no node can avoid: in one Node-RED
 * runtime, the same transient-token call made by
 * - plex-transient-token (ours), and ours with `reuse` on;
 * - a bare node kept in bench/ (node-fetch, the same headers, JSON.parse, send: the limit);
 * - the core `http request` node (keep-alive on, JSON out), as a user would build it by hand;
 * each at 1 and at 32 msgs in flight.
 *
 * Driver: a real Node-RED embedded in this process (embedded-red.ts), the flow deployed as the
 * editor deploys it; each call is a press of an inject node, made as the Admin API's
 * POST /inject/:id makes it: inject.receive(msg). The stand-in runs in its own process.
 */
import { performance } from 'node:perf_hooks';
import { identityHeaders } from '../src/core';
import type { StandInProcess } from './stand-in-process';
import { startEmbeddedNodeRed, type EmbeddedNodeRed } from './embedded-red';
import { round, summarise } from './stats';

/** The type bare-node.ts registers. */
const BARE_TYPE = 'bench-bare-transient-token';

export const VARIANTS = ['ours', 'ours-reuse', 'bare', 'http-request'] as const;
export type Variant = (typeof VARIANTS)[number];
const CONCURRENCY = [1, 32];
const ROUND_MS = 600;
const ROUNDS = 4;

export interface LoadFigures {
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  calls: number;
}

export interface ThroughputResult {
  concurrency: number;
  figures: Record<Variant, LoadFigures>;
  /** ours / bare: p50 (≤ 1.10 wanted) and calls/s (≥ 0.90 wanted). */
  vsBare: { p50: number; rate: number };
  /** ours / http request: p50 (≤ 0.85 wanted) and calls/s (≥ 1.15 wanted). */
  vsHttpRequest: { p50: number; rate: number };
}

type Call = () => Promise<void>;
/** What the flow's msgs carry back to the helper and Catch nodes. */
type BenchMsg = { seq: number; error?: { message: string } };

/** Keeps `concurrency` calls in flight for `ms`; returns each call's latency. */
export async function load(call: Call, concurrency: number, ms: number): Promise<{ latencies: number[]; elapsedMs: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await call();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, elapsedMs: performance.now() - started };
}

function figures(runs: Array<{ latencies: number[]; elapsedMs: number }>): LoadFigures {
  const latencies = runs.flatMap((run) => run.latencies);
  const elapsed = runs.reduce((sum, run) => sum + run.elapsedMs, 0);
  const { p50, p99 } = summarise(latencies);
  return { callsPerSecond: round((latencies.length / elapsed) * 1000, 0), p50Ms: round(p50, 3), p99Ms: round(p99, 3), calls: latencies.length };
}

/** One inject -> node -> helper chain per variant, in one flow; a Catch node turns errors into failures. */
export async function deployVariants(standIn: StandInProcess): Promise<{ red: EmbeddedNodeRed; calls: Record<Variant, Call> }> {
  const clientIdentifier = 'bench-client-0001';
  const url = `${standIn.url}/security/token?type=delegation&scope=all`;
  const headers = { ...identityHeaders({ clientIdentifier, product: 'Node-RED', deviceName: 'bench' }), 'X-Plex-Token': standIn.token };
  // Flow nodes sit on a tab and have a position: Node-RED takes the others for config nodes.
  const at = { z: 'tab', x: 100, y: 100 };
  const chain = (variant: Variant, node: { type: string } & Record<string, unknown>) => [
    { id: `in-${variant}`, type: 'inject', ...at, props: [{ p: 'payload' }], payload: '', payloadType: 'date', repeat: '', once: false, wires: [[variant]] },
    { id: variant, ...at, wires: [['out']], ...node, type: node.type },
  ];
  const flow = [
    { id: 'tab', type: 'tab' },
    { id: 'acct', type: 'plex-account', clientIdentifier, product: 'Node-RED', deviceName: 'bench', plexTvUrl: standIn.url },
    { id: 'srv', type: 'plex-server', url: standIn.url, account: 'acct' },
    ...chain('ours', { type: 'plex-transient-token', server: 'srv' }),
    ...chain('ours-reuse', { type: 'plex-transient-token', server: 'srv', reuse: true }),
    ...chain('bare', { type: BARE_TYPE, url, headers }),
    ...chain('http-request', {
      type: 'http request', method: 'GET', ret: 'obj', paytoqs: 'ignore', url, persist: true, senderr: true, tls: '', proxy: '', authType: '',
      headers: Object.entries(headers).map(([name, value]) => ({ keyType: 'other', keyValue: name, valueType: 'other', valueValue: value })),
    }),
    // Ends of the chains: an inactive debug node drops the msg; its input is where the driver listens.
    { id: 'out', type: 'debug', ...at, active: false, tosidebar: false, console: false, wires: [] },
    { id: 'catcher', type: 'catch', ...at, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'debug', ...at, active: false, tosidebar: false, console: false, wires: [] },
  ];
  const red = await startEmbeddedNodeRed(flow, { acct: { token: standIn.token } });
  const node = (id: string) => red.nodes.getNode(id)!;
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  node('out').on('input', (msg) => waiting.get((msg as unknown as BenchMsg).seq)?.resolve());
  node('caught').on('input', (msg) => {
    const { seq, error } = msg as unknown as BenchMsg;
    waiting.get(seq)?.reject(new Error(`flow: ${error?.message}`));
  });
  let seq = 0;
  const call = (variant: Variant): Call => () => {
    const id = ++seq;
    return new Promise<void>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      node(`in-${variant}`).receive({ seq: id });
    }).finally(() => waiting.delete(id));
  };
  return { red, calls: Object.fromEntries(VARIANTS.map((variant) => [variant, call(variant)])) as Record<Variant, Call> };
}

export async function benchThroughput(standIn: StandInProcess): Promise<ThroughputResult[]> {
  const { red, calls } = await deployVariants(standIn);
  const results: ThroughputResult[] = [];
  try {
    for (const variant of VARIANTS) await load(calls[variant], 8, 400); // warm up sockets and JIT on every path
    for (const concurrency of CONCURRENCY) {
      const runs = Object.fromEntries(VARIANTS.map((variant) => [variant, [] as Array<{ latencies: number[]; elapsedMs: number }>])) as Record<Variant, Array<{ latencies: number[]; elapsedMs: number }>>;
      // Take turns, so that load from elsewhere on the machine falls on every variant alike.
      for (let turn = 0; turn < ROUNDS; turn++) {
        for (const variant of VARIANTS) runs[variant].push(await load(calls[variant], concurrency, ROUND_MS));
      }
      const measured = Object.fromEntries(VARIANTS.map((variant) => [variant, figures(runs[variant])])) as Record<Variant, LoadFigures>;
      const ratio = (of: Variant, to: Variant) => ({
        p50: round(measured[of].p50Ms / measured[to].p50Ms, 3),
        rate: round(measured[of].callsPerSecond / measured[to].callsPerSecond, 3),
      });
      results.push({ concurrency, figures: measured, vsBare: ratio('ours', 'bare'), vsHttpRequest: ratio('ours', 'http-request') });
    }
  } finally {
    await red.stop();
  }
  return results;
}
