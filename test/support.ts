/** Shared by the tests: the node modules under test, and small waiting helpers. */
import fs from 'node:fs';
import path from 'node:path';
import { after, before, mock } from 'node:test';

const root = path.resolve(__dirname, '..', '..');

/** The package's node types and their compiled modules, as package.json lists them for Node-RED: a new node is tested everywhere at once. */
export const nodeModules: Readonly<Record<string, string>> = (
  JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } }
)['node-red'].nodes;

/** Every node type of the package: config nodes first, as package.json lists them. */
export const nodeTypes = Object.keys(nodeModules);

/** Every node module of the package, compiled, as node-red-node-test-helper wants them. */
export const allNodes = Object.values(nodeModules).map((main) => require(path.join(root, main)));

/**
 * The real timers, taken before a test mocks them (mock.timers): a test's own time limits and
 * pauses for I/O stay real while the code under test runs on the mocked clock.
 */
const { setTimeout: realSetTimeout, clearTimeout: realClearTimeout } = globalThis;

/** Resolves with the first value `register` hands to its callback, or rejects after `ms` (real time). */
export function nextEvent<T>(register: (callback: (value: T) => void) => void, ms = 5000, what = 'event'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = realSetTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    register((value) => {
      realClearTimeout(timer);
      resolve(value);
    });
  });
}

/** Waits `ms` of real time, also while the clock is mocked. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

/**
 * Runs the tests of the calling describe on a mocked clock (mock.timers: the timers and Date,
 * from the real now), moved on with advance(), advanceUntil() and advanceUntilSettled()). Call it
 * after the describe's before hooks and before its after hooks (hooks run in that order): servers
 * start and stop on the real clock. One clock for the whole describe, not one per test: a timer
 * made on one clock and cleared while the next runs (a request that ends after its test) would
 * take another timer off that clock. For the same reason a describe on a mocked clock calls the
 * stand-in directly, never through fetch(): undici's keep-alive sockets set their timers on the
 * clock and clear them when they close, maybe under the clock of the next file in the process
 * (test/core/shared-process checks).
 */
export function mockedClock(): void {
  before(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: Date.now() }));
  after(() => mock.timers.reset());
}

/** How a mocked clock is moved on (advance, advanceUntil, advanceUntilSettled). */
export interface ClockSteps {
  /** Mocked ms per step; default 100. */
  stepMs?: number;
  /**
   * While it holds, the clock stands still and only real I/O runs: e.g. while a request is in
   * flight, so that plex.tv sees each poll at the very time it was due.
   */
  busy?: () => boolean;
  /** advanceUntil fails after this much mocked time; default 120 s. */
  limitMs?: number;
}

/** How long (real time) the clock may stand still for `busy`: a hang is a failure, not a stuck test. */
const BUSY_LIMIT_MS = 10_000;

/** Moves the clock on by `ms` and lets I/O run; or, while `busy`, only lets I/O run. Returns the ms moved. */
async function step(ms: number, busy?: () => boolean): Promise<number> {
  if (busy?.()) {
    const until = performance.now() + BUSY_LIMIT_MS;
    while (busy()) {
      if (performance.now() > until) throw new Error(`still busy after ${BUSY_LIMIT_MS} ms of real time`);
      await delay(1);
    }
    return 0; // the caller looks again before the clock moves
  }
  mock.timers.tick(ms);
  await delay(1);
  return ms;
}

/**
 * Moves a mocked clock on by `ms`, step by step, letting real I/O (loopback answers) run between
 * the steps. Without `busy`, a request in flight sees a few steps: short next to HTTP time limits.
 */
export async function advance(ms: number, { stepMs = 100, busy }: ClockSteps = {}): Promise<void> {
  for (let moved = 0; moved < ms;) moved += await step(Math.min(stepMs, ms - moved), busy);
}

/** Moves a mocked clock on, as advance() does, until `done()` holds. */
export async function advanceUntil(done: () => boolean, { stepMs = 100, busy, limitMs = 120_000 }: ClockSteps = {}): Promise<void> {
  for (let moved = 0; !done();) {
    if (moved >= limitMs) throw new Error(`still not done after ${limitMs} ms on the mocked clock`);
    moved += await step(stepMs, busy);
  }
}

/** Moves a mocked clock on, as advance() does, until `promise` settles; resolves or rejects as it does. */
export async function advanceUntilSettled<T>(promise: Promise<T>, steps: ClockSteps = {}): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  watched.catch(() => undefined); // its rejection is the caller's, below
  await advanceUntil(() => settled, steps);
  return watched;
}
