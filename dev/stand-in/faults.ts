/** What the stand-in answers instead of the normal answer when told to misbehave, or at random in soak runs. */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { randomInt } from 'node:crypto';

/** How to answer one request instead of the normal answer: a wrong answer, or the right one late. */
export type Fault = WrongAnswer | HeldAnswer;

/** The normal answer, once `heldUntil` settles: plex.tv as slow as a test wants. */
export interface HeldAnswer {
  heldUntil: Promise<unknown>;
}

export type WrongAnswer =
  | { status: number; body?: string; contentType?: string; headers?: Record<string, string> }
  | { hang: true }
  | { reset: true }
  | { redirect: string; status?: number }
  | { bytes: number; contentType?: string };

/** A passing fault as plex.tv has them on a bad day: a 503 page, a 429 with Retry-After, a reset. */
export function passingFault(): Fault {
  const pick = randomInt(3);
  if (pick === 0) return { status: 503, body: '<html><head><title>503 Service Unavailable</title></head></html>', contentType: 'text/html' };
  if (pick === 1)
    return {
      status: 429,
      body: '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}',
      contentType: 'application/json',
      headers: { 'Retry-After': '1' },
    };
  return { reset: true };
}

export function applyFault(fault: WrongAnswer, req: http.IncomingMessage, res: http.ServerResponse): void {
  if ('hang' in fault) return; // never answer; stop() ends the socket
  if ('reset' in fault) {
    req.socket.destroy();
    return;
  }
  if ('redirect' in fault) {
    res.writeHead(fault.status ?? 302, { Location: fault.redirect });
    res.end();
    return;
  }
  if ('bytes' in fault) return streamBytes(res, fault.bytes, fault.contentType ?? 'application/json');
  res.writeHead(fault.status, { 'Content-Type': fault.contentType ?? 'application/json', ...fault.headers });
  res.end(fault.body ?? '');
}

/** A 200 of that many blanks, written as fast as the reader takes them. */
function streamBytes(res: http.ServerResponse, bytes: number, contentType: string): void {
  res.writeHead(200, { 'Content-Type': contentType });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let left = bytes;
  const write = (): void => {
    while (left > 0) {
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      if (!res.write(part)) {
        res.once('drain', write);
        return;
      }
    }
    res.end();
  };
  res.on('error', () => undefined);
  write();
}

/** The same fault for an upgrade request (a WebSocket), where there is no response object: written on the socket. */
export function applyUpgradeFault(fault: WrongAnswer, socket: Duplex): void {
  if ('hang' in fault) return;
  if ('reset' in fault || 'bytes' in fault) return void socket.destroy();
  const status = fault.status ?? 302;
  const headers = 'redirect' in fault ? { Location: fault.redirect } : { 'Content-Type': fault.contentType ?? 'application/json', ...fault.headers };
  const body = 'body' in fault ? (fault.body ?? '') : '';
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  socket.end(
    [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`, ...lines, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`, '', body].join(
      '\r\n',
    ),
  );
}
