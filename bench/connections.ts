/**
 * Choosing a connection: 8 candidates of which 6 never answer, all ranked before the two that
 * do (the worst order), so the choice waits for the slowest allowed attempt. Tried one after
 * the other it would cost 6 × the limit; at once it costs the limit once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CONNECTION_LIMIT_MS, firstAnswering } from '../src/core';
import { median, round } from './stats';

const SERVER_ID = 'bench-server';
const identity = { clientIdentifier: 'bench', product: 'Node-RED', deviceName: 'bench' };

async function loopback(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export interface ConnectionsResult {
  candidates: number;
  silent: number;
  limitMs: number;
  /** Median of the runs, milliseconds, with the answering ones last and first. */
  worstOrderMs: number;
  bestOrderMs: number;
  runs: number;
}

export async function benchConnections(runs = 3): Promise<ConnectionsResult> {
  const silent = await Promise.all(Array.from({ length: 6 }, () => loopback(() => undefined)));
  const answering = await Promise.all(Array.from({ length: 2 }, () => loopback((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ MediaContainer: { machineIdentifier: SERVER_ID } }));
  })));
  const time = async (uris: string[]) => {
    const started = performance.now();
    await firstAnswering(uris, SERVER_ID, { identity });
    return performance.now() - started;
  };
  try {
    const silentUris = silent.map((each) => each.url);
    const answeringUris = answering.map((each) => each.url);
    const worst: number[] = [];
    const best: number[] = [];
    for (let i = 0; i < runs; i++) {
      worst.push(await time([...silentUris, ...answeringUris]));
      best.push(await time([...answeringUris, ...silentUris]));
    }
    return { candidates: 8, silent: 6, limitMs: CONNECTION_LIMIT_MS, worstOrderMs: round(median(worst), 0), bestOrderMs: round(median(best), 1), runs };
  } finally {
    for (const { server } of [...silent, ...answering]) {
      server.closeAllConnections();
      server.close();
    }
  }
}

/** `node dist/bench/connections.js`: this section alone. */
if (require.main === module) {
  benchConnections().then((result) => console.log(JSON.stringify(result, null, 2)), (error) => {
    console.error(error);
    process.exit(1);
  });
}
