/** Many PINs polled at once by one plex-poll-token node in a real Node-RED: memory, timers, request rate, cadence. */
import { performance } from 'node:perf_hooks';
import type { StandInProcess } from './stand-in-process';
import { startEmbeddedNodeRed } from './embedded-red';
import { delay, round, summarise } from './stats';

const heap = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};
const timers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;

export async function benchPolling(standIn: StandInProcess, count = 1000, intervalS = 2, seconds = Math.max(12, intervalS * 3)) {
  const flow = [
    { id: 'tab', type: 'tab' },
    { id: 'acct', type: 'plex-account', clientIdentifier: 'bench-poll', product: 'bench', deviceName: 'bench', plexTvUrl: standIn.url },
    { id: 'poll', type: 'plex-poll-token', z: 'tab', x: 100, y: 100, account: 'acct', interval: intervalS, timeout: 0, store: false, wires: [[], []] },
  ];
  const red = await startEmbeddedNodeRed(flow);
  const ids = await standIn.makePins('bench-poll', count);
  const heapBefore = heap();
  const timersBefore = timers();
  const since = Date.now();
  const started = performance.now();
  const poll = red.nodes.getNode('poll')!;
  for (const id of ids) poll.receive({ payload: id });
  await delay(seconds * 1000);
  const heapDuring = heap();
  const timersDuring = timers();
  const elapsed = (performance.now() - started) / 1000;
  const polls = await standIn.pinPolls(since);
  await red.stop();

  const byPin = new Map<number, number[]>();
  for (const [id, at] of polls) byPin.set(id, [...(byPin.get(id) ?? []), at]);
  const drift: number[] = [];
  for (const times of byPin.values()) for (let i = 1; i < times.length; i++) drift.push(Math.abs(times[i] - times[i - 1] - intervalS * 1000));
  const { p50, p99, max } = summarise(drift);
  return {
    pins: count,
    intervalS,
    bytesPerPin: round((heapDuring - heapBefore) / count, 0),
    timersPerPin: round((timersDuring - timersBefore) / count, 2),
    requestsPerSecond: round(polls.length / elapsed, 0),
    expectedRequestsPerSecond: round(count / intervalS, 0),
    driftMs: { p50, p99, max },
  };
}
