/**
 * What our nodes cost per msg, measured against what no node can avoid (contenders.ts), at 1
 * and at 32 msgs in flight, in two set-ups:
 * - embedded: a real Node-RED in this process (embedded-red.ts), the flow deployed as the
 *   editor deploys it; a call is a press of an inject node, made as the Admin API's
 *   POST /inject/:id makes it: inject.receive(msg);
 * - process: a real `node-red` process (process-red.ts); a call is an HTTP request to
 *   `http in` → contender → `http response`, as flows are really triggered.
 * The stand-in runs in a process of its own.
 *
 * The contenders take turns, round by round, each round starting with the next one: load from
 * elsewhere on the machine falls on all of them alike and widens the spread instead of bending a
 * ratio. Each ratio is taken within a round, then given as min / median / max over the rounds.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { StandInProcess } from './stand-in-process';
import { startEmbeddedNodeRed } from './embedded-red';
import { startProcessNodeRed } from './process-red';
import { CONTENDERS, ON_TAB, contenderFlow, type Contender, type Variant } from './contenders';
import { formatColumns, round, spread, summarise, type Spread } from './stats';

export const SET_UPS = ['embedded', 'process'] as const;
export type SetUp = (typeof SET_UPS)[number];

const CONCURRENCY = [1, 32];
/** Calls per contender before the rounds: enough for V8 to have optimised every path. */
const WARM_UP_CALLS = 6000;

export interface RoundOptions {
  rounds: number;
  roundMs: number;
}
/** Seven rounds: the median is one of them; two seconds: thousands of calls per contender and round, even at 1 in flight. */
export const DEFAULT_ROUNDS: RoundOptions = { rounds: 7, roundMs: 2000 };

export type Call = () => Promise<void>;

export interface RoundFigures {
  p50Ms: number;
  p99Ms: number;
  callsPerSecond: number;
  calls: number;
}

export interface ContenderFigures {
  p50Ms: Spread;
  p99Ms: Spread;
  callsPerSecond: Spread;
  rounds: RoundFigures[];
}

/** ours / another contender, per round: p50 and calls/s. */
export interface Ratios {
  p50: Spread;
  rate: Spread;
}

export interface LoadResult {
  concurrency: number;
  figures: Record<Contender, ContenderFigures>;
  /** ≤ 1.10 wanted for p50, ≥ 0.90 for calls/s. */
  vsBare: Ratios;
  /** ≤ 0.85 wanted for p50, ≥ 1.15 for calls/s. */
  vsHttpRequest: Ratios;
}

export interface ThroughputResult extends RoundOptions {
  setUp: SetUp;
  loads: LoadResult[];
  /** plex-transient-token with reuse on, 32 in flight, one round after the others. */
  reuseCallsPerSecond: number;
  /** The machine's 1-minute load average when the set-up started and when it ended. */
  loadAverage: { before: number; after: number };
}

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

/** Makes `count` calls, `concurrency` at a time. */
export async function repeat(call: Call, concurrency: number, count: number): Promise<void> {
  let left = count;
  const worker = async () => {
    while (left-- > 0) await call();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function measureRound(call: Call, concurrency: number, ms: number): Promise<RoundFigures> {
  const { latencies, elapsedMs } = await load(call, concurrency, ms);
  const { p50, p99 } = summarise(latencies);
  return { p50Ms: round(p50, 3), p99Ms: round(p99, 3), callsPerSecond: round((latencies.length / elapsedMs) * 1000, 0), calls: latencies.length };
}

/** The contenders in turns: round r starts with contender r (mod 3), so that none always follows the same one. */
async function interleave(calls: Record<Contender, Call>, concurrency: number, { rounds, roundMs }: RoundOptions): Promise<Record<Contender, RoundFigures[]>> {
  const measured = Object.fromEntries(CONTENDERS.map((contender) => [contender, [] as RoundFigures[]])) as Record<Contender, RoundFigures[]>;
  for (let turn = 0; turn < rounds; turn++) {
    for (let i = 0; i < CONTENDERS.length; i++) {
      const contender = CONTENDERS[(turn + i) % CONTENDERS.length];
      measured[contender].push(await measureRound(calls[contender], concurrency, roundMs));
    }
  }
  return measured;
}

function summariseRounds(concurrency: number, measured: Record<Contender, RoundFigures[]>): LoadResult {
  const of = (contender: Contender, figure: keyof RoundFigures) => measured[contender].map((each) => each[figure]);
  const figures = Object.fromEntries(
    CONTENDERS.map((contender) => [
      contender,
      {
        p50Ms: spread(of(contender, 'p50Ms'), 3),
        p99Ms: spread(of(contender, 'p99Ms'), 3),
        callsPerSecond: spread(of(contender, 'callsPerSecond'), 0),
        rounds: measured[contender],
      },
    ]),
  ) as Record<Contender, ContenderFigures>;
  const perRound = (to: Contender, figure: 'p50Ms' | 'callsPerSecond') =>
    spread(
      measured.ours.map((ours, turn) => ours[figure] / measured[to][turn][figure]),
      3,
    );
  const ratios = (to: Contender): Ratios => ({ p50: perRound(to, 'p50Ms'), rate: perRound(to, 'callsPerSecond') });
  return { concurrency, figures, vsBare: ratios('bare'), vsHttpRequest: ratios('http-request') };
}

/** An embedded Node-RED with one inject → variant → helper chain per variant; a Catch node turns errors into failures. */
async function startEmbedded(standIn: StandInProcess): Promise<{ calls: Record<Variant, Call>; stop(): Promise<void> }> {
  const { config, credentials, nodes } = contenderFlow(standIn, [['out']]);
  const variants = Object.keys(nodes) as Variant[];
  const flow = [
    ...config,
    ...variants.flatMap((variant) => [
      {
        id: `in-${variant}`,
        type: 'inject',
        ...ON_TAB,
        props: [{ p: 'payload' }],
        payload: '',
        payloadType: 'date',
        repeat: '',
        once: false,
        wires: [[variant]],
      },
      nodes[variant],
    ]),
    // Ends of the chains: an inactive debug node drops the msg; its input is where the driver listens.
    { id: 'out', type: 'debug', ...ON_TAB, active: false, tosidebar: false, console: false, wires: [] },
    { id: 'catcher', type: 'catch', ...ON_TAB, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'debug', ...ON_TAB, active: false, tosidebar: false, console: false, wires: [] },
  ];
  const red = await startEmbeddedNodeRed(flow, credentials);
  const node = (id: string) => red.nodes.getNode(id)!;
  /** What the flow's msgs carry back to the driver and Catch nodes. */
  type BenchMsg = { seq: number; error?: { message: string } };
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  node('out').on('input', (msg) => waiting.get((msg as BenchMsg).seq)?.resolve());
  node('caught').on('input', (msg) => {
    const { seq, error } = msg as BenchMsg;
    waiting.get(seq)?.reject(new Error(`flow: ${error?.message}`));
  });
  let seq = 0;
  const call =
    (variant: Variant): Call =>
    () => {
      const id = ++seq;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        node(`in-${variant}`).receive({ seq: id });
      }).finally(() => waiting.delete(id));
    };
  return { calls: Object.fromEntries(variants.map((variant) => [variant, call(variant)])) as Record<Variant, Call>, stop: () => red.stop() };
}

export async function benchThroughput(standIn: StandInProcess, setUp: SetUp, options: RoundOptions = DEFAULT_ROUNDS): Promise<ThroughputResult> {
  const loadBefore = os.loadavg()[0];
  const { calls, stop } = setUp === 'embedded' ? await startEmbedded(standIn) : await startProcessNodeRed(standIn);
  try {
    // Warm up sockets and JIT on every path, in turns too; by calls, not time: a busy machine makes fewer calls a second.
    for (let turn = 0; turn < 3; turn++) for (const contender of CONTENDERS) await repeat(calls[contender], 8, WARM_UP_CALLS / 3);
    const loads: LoadResult[] = [];
    for (const concurrency of CONCURRENCY) loads.push(summariseRounds(concurrency, await interleave(calls, concurrency, options)));
    const reuse = await measureRound(calls['ours-reuse'], 32, options.roundMs);
    return { setUp, ...options, loads, reuseCallsPerSecond: reuse.callsPerSecond, loadAverage: { before: round(loadBefore), after: round(os.loadavg()[0]) } };
  } finally {
    await stop();
  }
}

const SET_UP_TITLES: Record<SetUp, string> = { embedded: 'embedded Node-RED, inject', process: 'node-red process, http in' };

/** Both set-ups side by side: each figure as the median of its rounds, with their min–max. */
export function formatThroughput(results: ThroughputResult[]): string {
  const at = (result: ThroughputResult, concurrency: number) => result.loads.find((each) => each.concurrency === concurrency)!;
  const shown = ({ min, median, max }: Spread, digits: number, prefix = '') =>
    `${prefix}${median.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;
  type Line = { measure: string; cell: (result: ThroughputResult) => string; target?: string; met?: (result: ThroughputResult) => boolean };
  const ratio = (measure: string, concurrency: number, pick: (load: LoadResult) => Spread, target: string, met: (median: number) => boolean): Line => ({
    measure,
    cell: (result) => shown(pick(at(result, concurrency)), 3, '×'),
    target,
    met: (result) => met(pick(at(result, concurrency)).median),
  });
  const lines: Line[] = [
    ratio(
      'ours / bare node, p50 at 1 in flight',
      1,
      (load) => load.vsBare.p50,
      '≤ ×1.10',
      (median) => median <= 1.1,
    ),
    ratio(
      'ours / bare node, calls/s at 32 in flight',
      32,
      (load) => load.vsBare.rate,
      '≥ ×0.90',
      (median) => median >= 0.9,
    ),
    ratio(
      'ours / http request node, p50 at 1 in flight',
      1,
      (load) => load.vsHttpRequest.p50,
      '≤ ×0.85',
      (median) => median <= 0.85,
    ),
    ratio(
      'ours / http request node, calls/s at 32 in flight',
      32,
      (load) => load.vsHttpRequest.rate,
      '≥ ×1.15',
      (median) => median >= 1.15,
    ),
    ...CONTENDERS.map((contender): Line => ({
      measure: `p50 at 1 in flight, ms: ${contender}`,
      cell: (result) => shown(at(result, 1).figures[contender].p50Ms, 3),
    })),
    ...CONTENDERS.map((contender): Line => ({
      measure: `calls/s at 32 in flight: ${contender}`,
      cell: (result) => shown(at(result, 32).figures[contender].callsPerSecond, 0),
    })),
    { measure: 'calls/s at 32 in flight: ours with reuse on (one round)', cell: (result) => String(result.reuseCallsPerSecond) },
    { measure: 'load average (1 min) at start → end', cell: ({ loadAverage }) => `${loadAverage.before} → ${loadAverage.after}` },
  ];
  const cells = lines.map(({ measure, cell, target, met }) => {
    const missed = met ? results.filter((result) => !met(result)).map((result) => result.setUp) : [];
    return [measure, ...results.map(cell), target ?? '', !met ? '' : missed.length ? `MISSED (${missed.join(', ')})` : 'met'];
  });
  const { rounds, roundMs } = results[0];
  return [
    `ours against the bare node and the http request node: median of ${rounds} rounds of ${roundMs / 1000} s each (min–max), the contenders in turns`,
    formatColumns(['measure', ...results.map((result) => SET_UP_TITLES[result.setUp]), 'target', ''], cells),
  ].join('\n');
}
