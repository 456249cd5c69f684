/**
 * plex-events in a real Node-RED (embedded), the stand-in in a process of its own sending the
 * notifications: how long from a notification sent to the msg out of the node (loopback, p50
 * and p99), whether 1,000 notifications a second are kept up with, how many msgs a second one
 * node sustains at most, and the memory each live session costs.
 *
 * Every notification is a change of one session's state (playing ↔ paused), so each is one
 * msg; its viewOffset numbers it, and its send time is taken in the stand-in's process on the
 * same clock (performance.timeOrigin + now).
 */
import { performance } from 'node:perf_hooks';
import type { StandInProcess } from './stand-in-process';
import { startEmbeddedNodeRed } from './embedded-red';
import { delay, round, summarise } from './stats';

const heap = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};

/** Notifications sent as fast as they go. */
const BLAST = 50_000;

export interface EventsResult {
  /** At a gentle pace (100 a second): what one notification costs, end to end. */
  latencyMs: { p50: number; p99: number; max: number };
  /** At 1,000 a second for five seconds. */
  atThousand: { sent: number; received: number; perSecond: number; p50Ms: number; p99Ms: number; keptUp: boolean };
  /** As fast as the stand-in sends them: msgs a second, and how many of those sent came out. */
  maxMsgsPerSecond: number;
  blast: { sent: number; received: number };
  /** Heap per live session, with who and what kept, and the sessions it was measured with. */
  bytesPerSession: number;
  sessions: number;
}

export async function benchEvents(standIn: StandInProcess, sessions = 1000): Promise<EventsResult> {
  const at = { z: 'tab', x: 100, y: 100 };
  const flow = [
    { id: 'tab', type: 'tab' },
    { id: 'acct', type: 'plex-account', clientIdentifier: 'bench-events', product: 'Node-RED', deviceName: 'bench', plexTvUrl: standIn.url },
    { id: 'srv', type: 'plex-server', url: standIn.url, account: 'acct' },
    { id: 'events', type: 'plex-events', ...at, server: 'srv', events: 'playback', progress: 0, wires: [['out']] },
    // An inactive debug node drops each msg; its input is where the bench listens.
    { id: 'out', type: 'debug', ...at, active: false, tosidebar: false, console: false, wires: [] },
  ];
  const red = await startEmbeddedNodeRed(flow, { acct: { token: standIn.token } });
  const arrivedAt = new Map<number, number>();
  let received = 0;
  red.nodes.getNode('out')!.on('input', (msg) => {
    received += 1;
    const offset = (msg as { payload?: { viewOffset?: number } }).payload?.viewOffset;
    if (typeof offset === 'number') arrivedAt.set(offset, performance.timeOrigin + performance.now());
  });
  const until = async (check: () => boolean, what: string, ms = 30_000) => {
    for (const end = Date.now() + ms; !check(); await delay(5)) if (Date.now() > end) throw new Error(`bench events: no ${what}`);
  };
  /** Numbers the notifications; a playing session's viewOffset stays within its duration (596 s of the stand-in's movie). */
  let seq = 1;
  /** Sends `count` changes at `perSecond` and waits for their msgs; each one's latency, and how long the run took. */
  const run = async (keys: string[], count: number, perSecond: number) => {
    arrivedAt.clear();
    const firstSeq = seq;
    seq += count;
    const started = performance.now();
    const sentAt = await standIn.flip(keys, count, perSecond, firstSeq);
    await until(() => arrivedAt.size >= count, `${count} msgs`, 60_000).catch(() => undefined);
    const elapsedMs = Math.max(...arrivedAt.values()) - (performance.timeOrigin + started);
    const latencies = sentAt.flatMap((sent, i) => (arrivedAt.has(firstSeq + i) ? [arrivedAt.get(firstSeq + i)! - sent] : []));
    return { latencies, received: arrivedAt.size, elapsedMs };
  };

  try {
    await delay(500); // connected, and the start-up look at what plays settled
    const keys = await standIn.play(20);
    await until(() => received >= keys.length, 'the first sessions');
    await run(keys, 2000, 0); // warm-up: JIT, sockets

    const gentle = await run(keys, 2000, 100);
    const thousand = await run(keys, 5000, 1000);
    const blast = await run(keys, BLAST, 0);
    const beforeStops = received;
    await standIn.stopAll();
    await until(() => received - beforeStops >= keys.length, 'the sessions stopped');

    const before = heap();
    const receivedBefore = received;
    await standIn.play(sessions);
    await until(() => received - receivedBefore >= sessions, `${sessions} sessions playing`, 60_000);
    await delay(200);
    const during = heap();
    await standIn.stopAll();

    const t = summarise(thousand.latencies);
    return {
      latencyMs: mapValues(summarise(gentle.latencies), 3),
      atThousand: {
        sent: 5000,
        received: thousand.received,
        perSecond: round((thousand.received / thousand.elapsedMs) * 1000, 0),
        p50Ms: round(t.p50, 3),
        p99Ms: round(t.p99, 3),
        // Kept up: every msg came, and even the slow ones within a tenth of a second.
        keptUp: thousand.received === 5000 && t.p99 < 100,
      },
      maxMsgsPerSecond: round((blast.received / blast.elapsedMs) * 1000, 0),
      blast: { sent: BLAST, received: blast.received },
      bytesPerSession: round((during - before) / sessions, 0),
      sessions,
    };
  } finally {
    await red.stop();
  }
}

function mapValues({ p50, p99, max }: { p50: number; p99: number; max: number }, digits: number) {
  return { p50: round(p50, digits), p99: round(p99, digits), max: round(max, digits) };
}
