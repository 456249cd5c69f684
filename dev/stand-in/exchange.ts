/** How the stand-in's parts answer: one request as a route sees it, Plex's kinds of answer, and refusals. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request, as a route of the stand-in handles it. */
export interface Exchange {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly url: URL;
  /** The path's match of the route's pattern. */
  readonly match: RegExpExecArray;
  /** The X-Plex-Token header (never taken from the query: a token travels as a header). */
  readonly token?: string;
  /** X-Plex-Client-Identifier; plex.tv takes every X-Plex-* value as a header or as a query parameter. */
  readonly clientId?: string;
  plexValue(name: string): string | undefined;
  /** The request body (at most 64 KiB), as text. */
  readonly body: string;
}

export interface Route {
  method: string;
  /** Matched against the path alone, anchored. */
  path: RegExp;
  /** Only when this holds too (a PIN made with a key takes another route than a classic one). */
  when?: (exchange: Exchange) => boolean;
  handle(exchange: Exchange): void | Promise<void>;
}

/** A refusal with Plex's status, code and words, thrown by a route and answered as Plex's JSON error. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly plexCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const unauthenticated = () => new Refusal(401, 1001, 'User could not be authenticated');

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function plexError(res: http.ServerResponse, status: number, plexCode: number, message: string): void {
  json(res, status, { errors: [{ code: plexCode, message, status }] });
}

/** What a Plex Media Server answers for its errors: an HTML page, not JSON. */
export function html(res: http.ServerResponse, status: number, title: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html' });
  res.end(`<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`);
}

export function page(res: http.ServerResponse, body: string): void {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(body);
}

export function seeOther(res: http.ServerResponse, location: string): void {
  res.writeHead(303, { Location: location });
  res.end();
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function listenOnLoopback(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** A loopback port where nobody listens (refused at once). */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  const url = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return Number(new URL(url).port);
}
