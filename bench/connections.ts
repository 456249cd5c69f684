/**
 * Choosing a connection: 8 candidates of which 6 never answer, all ranked before the two that
 * do (the worst order), so the choice waits for the slowest allowed attempt. Tried one after
 * the other it would cost 6 × the limit; at once it costs the limit once. And a hostile list:
 * 300 candidates, the answering one after 100 others, asked MAX_PROBES_IN_FLIGHT at a time:
 * what it costs when the 100 never answer, and how many connections the listeners see open at
 * once when they answer 503. (Counted while they never answer, the next window's connections
 * reach the listeners before the closes of the last one do: that count would be doubled.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CONNECTION_LIMIT_MS, MAX_PROBES_IN_FLIGHT, firstAnswering } from '../src/core';
import { median, round } from './stats';

const SERVER_ID = 'bench-server';
const identity = { clientIdentifier: 'bench', product: 'Node-RED', deviceName: 'bench' };

/** Connections open at once across a group of loopback servers. */
interface SocketCount {
  open: number;
  peak: number;
}

async function loopback(handler: http.RequestListener, sockets: SocketCount = { open: 0, peak: 0 }): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  server.on('connection', (socket) => {
    sockets.peak = Math.max(sockets.peak, ++sockets.open);
    socket.once('close', () => (sockets.open -= 1));
  });
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
  /** 300 candidates, the answering one ranked after 100 others: the time when they never answer, the connections open at once when they fail. */
  longList: { candidates: number; before: number; inFlight: number; silentMs: number; peakConnections: number };
}

export async function benchConnections(runs = 3): Promise<ConnectionsResult> {
  const silent = await Promise.all(Array.from({ length: 6 }, () => loopback(() => undefined)));
  const answering = await Promise.all(
    Array.from({ length: 2 }, () =>
      loopback((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ MediaContainer: { machineIdentifier: SERVER_ID } }));
      }),
    ),
  );
  let manySilent: Array<{ url: string; server: http.Server }> = [];
  let manyFailing: Array<{ url: string; server: http.Server }> = [];
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
    const longList = (before: Array<{ url: string }>) => {
      const uris = before.map((each) => each.url);
      return [...uris, answeringUris[0], ...uris, ...uris.slice(0, 99)];
    };
    manySilent = await Promise.all(Array.from({ length: 100 }, () => loopback(() => undefined)));
    const silentMs = await time(longList(manySilent));
    const failingSockets = { open: 0, peak: 0 };
    manyFailing = await Promise.all(
      Array.from({ length: 100 }, () => loopback((_req, res) => void setTimeout(() => res.writeHead(503).end(), 20), failingSockets)),
    );
    await time(longList(manyFailing));
    return {
      candidates: 8,
      silent: 6,
      limitMs: CONNECTION_LIMIT_MS,
      worstOrderMs: round(median(worst), 0),
      bestOrderMs: round(median(best), 1),
      runs,
      longList: { candidates: 300, before: 100, inFlight: MAX_PROBES_IN_FLIGHT, silentMs: round(silentMs, 0), peakConnections: failingSockets.peak },
    };
  } finally {
    for (const { server } of [...silent, ...answering, ...manySilent, ...manyFailing]) {
      server.closeAllConnections();
      server.close();
    }
  }
}

/** `node dist/bench/connections.js`: this section alone. */
if (require.main === module) {
  benchConnections().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
