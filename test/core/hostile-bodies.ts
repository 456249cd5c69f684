/**
 * Bodies a hostile peer can send to make a backtracking reader scan the text once per "<",
 * and how long the event loop stalls while HttpClient reads one. Shared by the core tests
 * and `npm run bench`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HttpClient } from '../../src/core';
import { serve, answer } from './loopback';

/** Each about 900 KB, under the default 1 MiB body limit, so that all of it is read. */
const BODY_BYTES = 900_000;
const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>';

function filled(head: string, unit: string, tail = ''): string {
  return head + unit.repeat(Math.floor((BODY_BYTES - head.length - tail.length) / unit.length)) + tail;
}

export const HOSTILE_BODIES: ReadonlyArray<{ name: string; body: string }> = [
  { name: '"<title" never closed by ">"', body: filled('<html>', '<title') },
  { name: '"<h1>" never closed', body: filled('<html>', '<h1>') },
  // Each "<title" reaches the one ">" before a legit title far behind the junk.
  { name: 'a title after 900 KB of junk', body: filled('<html>', '<title', '><br><title>Real title</title>') },
  { name: '"<!--" never closed', body: filled(PROLOG, '<!--') },
  { name: '"<?" never closed', body: filled(PROLOG, '<?') },
  { name: '"<!DOCTYPE" never closed', body: filled(PROLOG, '<!DOCTYPE') },
  { name: 'attribute values never closed (<a x=")', body: filled(PROLOG, '<a x="') },
  { name: 'quoted values that nest', body: filled(`${PROLOG}<a x='`, '<a y="') },
];

/** The longest the event loop stood still while `run` ran, in milliseconds. */
export async function longestStallMs(run: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  try {
    await run();
    // The monitor's timer records a stall only when it next fires, after the loop is free again.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    histogram.disable();
  }
  return histogram.max / 1e6;
}

/** Serves `body` once from a loopback server and reads it with `client`: the stall, and the error it ended with. */
export async function stallReading(client: HttpClient, body: string, status: number, contentType: string): Promise<{ stallMs: number; error: unknown }> {
  const peer = await serve(answer(status, body, contentType));
  let error: unknown;
  try {
    const request = { method: 'GET', url: new URL(`${peer.url}/hostile`), headers: {}, peer: 'Hostile peer' } as const;
    const stallMs = await longestStallMs(() => client.request(request).catch((caught: unknown) => void (error = caught)));
    return { stallMs, error };
  } finally {
    await peer.close();
  }
}

/** As an error (401, text/html) and as a success (200, application/xml). */
export const HOSTILE_ANSWERS = [[401, 'text/html'], [200, 'application/xml']] as const;

/** The stall for every hostile body and answer, for the benchmark. */
export async function measureHostileBodies(): Promise<Array<{ name: string; status: number; stallMs: number }>> {
  const client = new HttpClient({ timeoutMs: 600_000 });
  const figures = [];
  try {
    for (const { name, body } of HOSTILE_BODIES) {
      for (const [status, contentType] of HOSTILE_ANSWERS) {
        figures.push({ name, status, stallMs: (await stallReading(client, body, status, contentType)).stallMs });
      }
    }
  } finally {
    client.close();
  }
  return figures;
}
