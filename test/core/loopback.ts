/** Small loopback HTTP servers for the core tests that need one exact behaviour. */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import assert from 'node:assert/strict';
import { PlexError } from '../../src/core';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  socket: Socket;
}

export interface Loopback {
  url: string;
  requests: SeenRequest[];
  /** Every connection the server accepted, open or closed. */
  sockets: Socket[];
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 that records each request before `handler` answers it. */
export async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Loopback> {
  const requests: SeenRequest[] = [];
  const sockets: Socket[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, socket: req.socket });
    handler(req, res);
  });
  server.on('connection', (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers with a status, a body and a content type. */
export function answer(status: number, body: string, contentType = 'application/json', headers: Record<string, string> = {}) {
  return (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(status, { 'Content-Type': contentType, ...headers });
    res.end(body);
  };
}

/** The PlexError a promise rejects with (fails the test when it resolves or rejects otherwise). */
export async function plexErrorOf(promise: Promise<unknown>): Promise<PlexError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PlexError, `expected a PlexError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the promise to reject');
}

/** Resolves once the socket has closed (at once if it already has). */
export function closed(socket: Socket, ms = 3000): Promise<void> {
  if (socket.destroyed && socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
