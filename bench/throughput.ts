/**
 * Floor versus flow: the same Plex calls made by a plain node-fetch loop, and by a deployed
 * Node-RED flow (inject -> our node -> a helper node), at 1 and at 32 calls in flight.
 *
 * Driver: the flow runs in node-red-node-test-helper's runtime (the real Node-RED runtime,
 * flows deployed as Node-RED deploys them) in this process, and each call is a press of
 * an inject node, made as the Admin API's POST /inject/:id makes it: inject.receive(msg).
 * Going through that HTTP route (or an http-in endpoint) would add a loopback round trip
 * and an Express request per call on the same two cores, so the figure would measure the
 * driver rather than our nodes. The stand-in runs in its own process for both loops.
 */
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import helper from 'node-red-node-test-helper';
import { identityHeaders } from '../src/core';
import { allNodes } from '../test/support';
import { SOURCE, type StandInProcess } from './stand-in-process';
import { round, summarise } from './stats';

helper.init(require.resolve('node-red'));

const coreNodes = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core', 'common');
const injectNode = require(path.join(coreNodes, '20-inject.js'));
const catchNode = require(path.join(coreNodes, '25-catch.js'));

export const CALLS = ['plex-transient-token', 'plex-source-info', 'plex-pin'] as const;
type CallName = (typeof CALLS)[number];
const CONCURRENCY = [1, 32];
const ROUND_MS = 500;
const ROUNDS = 3;

export interface LoadFigures {
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  calls: number;
}

export interface ThroughputResult {
  call: CallName;
  concurrency: number;
  floor: LoadFigures;
  flow: LoadFigures;
  /** flow p50 / floor p50: 1.00 means our nodes and Node-RED add nothing measurable. */
  p50Ratio: number;
  /** flow calls/s / floor calls/s. */
  rateRatio: number;
}

type Call = () => Promise<void>;
/** What the flow's msgs carry back to the helper and Catch nodes. */
type BenchMsg = { seq: number; error?: { message: string } };

/** Keeps `concurrency` calls in flight for `ms`; returns each call's latency. */
async function load(call: Call, concurrency: number, ms: number): Promise<{ latencies: number[]; elapsedMs: number }> {
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

/** The floor: node-fetch with a keep-alive agent, the same URL, headers and JSON parsing. */
async function floorCalls(standIn: StandInProcess, clientIdentifier: string): Promise<Record<CallName, Call>> {
  const { default: fetch } = await import('node-fetch');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const identity = identityHeaders({ clientIdentifier, product: 'Node-RED', deviceName: 'bench' });
  const withToken = { ...identity, 'X-Plex-Token': standIn.token };
  const call = (method: string, url: string, headers: Record<string, string>): Call => async () => {
    const response = await fetch(url, { method, headers, agent });
    if (!response.ok) throw new Error(`floor: ${url} answered ${response.status}`);
    await response.json();
  };
  return {
    'plex-transient-token': call('GET', `${standIn.url}/security/token?type=delegation&scope=all`, withToken),
    'plex-source-info': call('GET', `${standIn.url}/security/resources?source=${encodeURIComponent(SOURCE)}`, withToken),
    'plex-pin': call('POST', `${standIn.url}/api/v2/pins?strong=true`, identity),
  };
}

/** The flow: one inject -> node -> helper chain per call; a Catch node turns errors into failures. */
async function flowCalls(standIn: StandInProcess, clientIdentifier: string): Promise<Record<CallName, Call>> {
  // Flow nodes sit on a tab and have a position: Node-RED takes the others for config nodes.
  const at = { z: 'tab', x: 100, y: 100 };
  const chain = (type: CallName, extra: Record<string, unknown>) => [
    { id: `in-${type}`, type: 'inject', ...at, props: [{ p: 'payload' }], payload: '', payloadType: 'date', repeat: '', once: false, wires: [[type]] },
    { id: type, type, ...at, wires: [['out']], ...extra },
  ];
  const flow = [
    { id: 'tab', type: 'tab' },
    { id: 'acct', type: 'plex-account', clientIdentifier, product: 'Node-RED', deviceName: 'bench', plexTvUrl: standIn.url },
    { id: 'srv', type: 'plex-server', url: standIn.url, account: 'acct' },
    ...chain('plex-transient-token', { server: 'srv' }),
    ...chain('plex-source-info', { server: 'srv', source: SOURCE, sourceType: 'str', refresh: false }),
    ...chain('plex-pin', { account: 'acct', strong: true, forwardUrl: '' }),
    { id: 'out', type: 'helper', ...at },
    { id: 'catcher', type: 'catch', ...at, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', ...at },
  ];
  await helper.load([injectNode, catchNode, ...allNodes], flow, { acct: { token: standIn.token } });
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  helper.getNode('out').on('input', (msg) => waiting.get((msg as unknown as BenchMsg).seq)?.resolve());
  helper.getNode('caught').on('input', (msg) => {
    const { seq, error } = msg as unknown as BenchMsg;
    waiting.get(seq)?.reject(new Error(`flow: ${error?.message}`));
  });
  let seq = 0;
  const call = (type: CallName): Call => () => {
    const id = ++seq;
    return new Promise<void>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      helper.getNode(`in-${type}`).receive({ seq: id });
    }).finally(() => waiting.delete(id));
  };
  return Object.fromEntries(CALLS.map((type) => [type, call(type)])) as Record<CallName, Call>;
}

export async function benchThroughput(standIn: StandInProcess): Promise<ThroughputResult[]> {
  await new Promise<void>((resolve) => helper.startServer(resolve));
  const clientIdentifier = 'bench-client-0001';
  const floor = await floorCalls(standIn, clientIdentifier);
  const flow = await flowCalls(standIn, clientIdentifier);
  const results: ThroughputResult[] = [];
  try {
    for (const name of CALLS) {
      await load(floor[name], 8, 300); // warm up sockets and JIT on both paths
      await load(flow[name], 8, 300);
      for (const concurrency of CONCURRENCY) {
        const floorRuns = [];
        const flowRuns = [];
        // Alternate the two so that load from elsewhere on the machine falls on both alike.
        for (let round = 0; round < ROUNDS; round++) {
          floorRuns.push(await load(floor[name], concurrency, ROUND_MS));
          flowRuns.push(await load(flow[name], concurrency, ROUND_MS));
        }
        const floorFigures = figures(floorRuns);
        const flowFigures = figures(flowRuns);
        results.push({
          call: name,
          concurrency,
          floor: floorFigures,
          flow: flowFigures,
          p50Ratio: round(flowFigures.p50Ms / floorFigures.p50Ms, 3),
          rateRatio: round(flowFigures.callsPerSecond / floorFigures.callsPerSecond, 3),
        });
      }
    }
  } finally {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  }
  return results;
}
