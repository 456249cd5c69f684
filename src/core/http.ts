import http from 'node:http';
import https from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import { getProxyForUrl } from 'proxy-from-env';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { PlexError } from './errors';
import { parsePlexXml } from './xml';
import { withHeaderSafeIdentity } from './identity';

/** TLS settings for a server, as a Node-RED tls-config node fills them in. */
export interface TlsSettings extends SecureContextOptions {
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface HttpClientOptions {
  /** Per-request limit for a complete answer. */
  timeoutMs?: number;
  /** Answers larger than this are refused, so a rogue peer cannot fill memory. */
  maxBodyBytes?: number;
  tls?: TlsSettings;
}

export interface PlexRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: URL;
  headers: Readonly<Record<string, string>>;
  /** Sent as X-Plex-Token, only to the request's own origin. */
  token?: string;
  /** Stops the request early (the node closed). */
  signal?: AbortSignal;
  /** Who answers, for messages: "plex.tv", "Plex Media Server". */
  peer: string;
  /** A request body, sent with its Content-Type (e.g. a form). */
  body?: { contentType: string; content: string };
  /** A 2xx answer may come without a body (204 No Content): its body is then undefined. A body that does come is read as usual. */
  bodyOptional?: boolean;
}

export interface PlexResponse {
  status: number;
  body: unknown;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const MAX_SAME_ORIGIN_REDIRECTS = 3;

type NodeFetch = typeof import('node-fetch', { with: { 'resolution-mode': 'import' } });
let nodeFetch: Promise<NodeFetch> | undefined;
/** node-fetch 3 is an ES module; load it once, on first use. */
/** The loaded fetch: once it is there, a call waits for nothing before it starts. */
let loadedFetch: NodeFetch['default'] | undefined;
function loadFetch(): Promise<NodeFetch> {
  nodeFetch ??= import('node-fetch');
  return nodeFetch;
}

/** Reads a Retry-After header (seconds or an HTTP date) as milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP date always names its month; Date.parse alone would also take "-5" as a year.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  // An HTTP date is UTC; its asctime form ("Sun Nov  6 08:49:37 1994") names no zone, and Date.parse would read it as local time.
  const date = Date.parse(/\b(GMT|UTC)\b|[+-]\d{4}$/i.test(trimmed) ? trimmed : `${trimmed} GMT`);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Far more objects and arrays than a Plex answer of 1 MiB holds (a real device or connection
 * takes a hundred bytes and more): a megabyte of "{}," would cost JSON.parse alone 50-300 ms,
 * this many 10-20 ms.
 */
export const MAX_JSON_CONTAINERS = 50_000;

/** Whether JSON text holds more than MAX_JSON_CONTAINERS "{" and "[" (inside strings too: a bound is all that is needed). */
export function tooManyContainers(text: string): boolean {
  let containers = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code === 123 || code === 91) && ++containers > MAX_JSON_CONTAINERS) return true;
  }
  return false;
}

interface PlexMessage {
  code?: number;
  message?: string;
}

/** Plex's messages are short; a longer one is cut, so that a peer cannot fill a log line. */
const MAX_MESSAGE_LENGTH = 200;
/** An HTML error page names itself near its start; further text is not searched. */
const HTML_SCAN_BYTES = 64 * 1024;

/**
 * The text of the first `<name ...>text</name>` in `html` (any case), in one forward scan:
 * a candidate that fails is never read again, however hostile the page.
 */
function textOfElement(html: string, name: string): string | undefined {
  const opening = new RegExp(`<${name}`, 'gi');
  const closing = `</${name}>`;
  while (opening.exec(html)) {
    const contentStart = html.indexOf('>', opening.lastIndex) + 1;
    if (contentStart === 0) return undefined;
    const contentEnd = html.indexOf('<', contentStart);
    if (contentEnd < 0) return undefined;
    if (html.slice(contentEnd, contentEnd + closing.length).toLowerCase() === closing) return html.slice(contentStart, contentEnd);
    // Every candidate before contentEnd would find the same ">" and "<", and fail the same way.
    opening.lastIndex = contentEnd;
  }
  return undefined;
}

/** Plex's words cleaned up: the token out first, then cut, so that no cut leaves part of a token behind. */
function cleanMessage(message: string, token: string | undefined): string {
  return withoutToken(message, token).slice(0, MAX_MESSAGE_LENGTH);
}

/** Plex's `errors` list (JSON, or XML read into the same shape): the first entry's code and message. */
function firstPlexError(parsed: unknown, token: string | undefined): PlexMessage {
  const record = parsed as { errors?: unknown; error?: unknown } | undefined;
  const list = record?.errors ?? record?.error;
  const first = Array.isArray(list) ? list[0] : ((list as { error?: unknown } | undefined)?.error ?? list);
  const entry = (Array.isArray(first) ? first[0] : first) as { code?: unknown; message?: unknown } | undefined;
  if (!entry || typeof entry !== 'object') return {};
  const code = Number(entry.code);
  return {
    code: Number.isInteger(code) ? code : undefined,
    message: typeof entry.message === 'string' ? cleanMessage(entry.message, token) : undefined,
  };
}

/**
 * Plex's own words from an error body: JSON or XML `errors`, or an HTML page's title.
 * `token`, when given, is redacted before the message is cut to length. Junk gives nothing.
 */
export function plexMessageOf(text: string, token?: string): PlexMessage {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || /^<(\?xml|errors|Response|MediaContainer)\b/i.test(trimmed)) {
    if (trimmed.startsWith('{') && tooManyContainers(trimmed)) return {};
    try {
      return firstPlexError(trimmed.startsWith('{') ? JSON.parse(trimmed) : parsePlexXml(trimmed), token);
    } catch {
      return {};
    }
  }
  const head = trimmed.slice(0, HTML_SCAN_BYTES);
  if (!/<html|<!doctype html|<title|<h1/i.test(head)) return {};
  const message = (textOfElement(head, 'title') ?? textOfElement(head, 'h1'))?.replace(/\s+/g, ' ').trim();
  return message ? { message: cleanMessage(message, token) } : {};
}

/** The calls in flight that one caller's signal stops, linked through the calls themselves. */
interface Following {
  first?: CallHold;
}

/** Each caller's signal with its calls in flight: one listener per signal, not one per call. */
const followers = new WeakMap<AbortSignal, Following>();

/**
 * One call's hold on its HTTP request, to end it for our time limit or the caller's stop.
 * node-fetch would take an AbortSignal, but a signal per call (a controller, node-fetch's
 * listeners and stream teardown) cost a tenth of a call on loopback. Instead the client's agent
 * hands each call the request node-fetch makes for it (noteRequests), and the call ends that
 * request itself.
 */
class CallHold {
  private request?: http.ClientRequest;
  ended?: 'timeout' | 'stopped';
  /**
   * Where the call is among those its caller's signal stops. A list through the calls costs
   * nothing per call; a Set per signal, with each call added and deleted, cost a quarter of a
   * call in garbage collection (its table kept being rebuilt and outliving the young generation).
   */
  private following?: Following;
  private previous?: CallHold;
  private next?: CallHold;

  /** Ends the call too when the caller's signal ends (a node closed), until letGo(). */
  follow(signal: AbortSignal): void {
    let following = followers.get(signal);
    if (!following) {
      const all: Following = (following = {});
      followers.set(signal, all);
      signal.addEventListener(
        'abort',
        () => {
          for (let hold = all.first; hold;) {
            const next = hold.next;
            hold.end('stopped');
            hold = next;
          }
        },
        { once: true },
      );
    }
    this.following = following;
    this.next = following.first;
    if (this.next) this.next.previous = this;
    following.first = this;
  }

  /** The call is over: its caller's signal no longer stops it. */
  letGo(): void {
    if (!this.following) return;
    if (this.previous) this.previous.next = this.next;
    else this.following.first = this.next;
    if (this.next) this.next.previous = this.previous;
    this.following = this.previous = this.next = undefined;
  }

  note(request: http.ClientRequest): void {
    this.request = request;
    if (this.ended) request.destroy(new Error(`request ${this.ended}`));
  }

  end(why: 'timeout' | 'stopped'): void {
    this.ended ??= why;
    this.request?.destroy(new Error(`request ${why}`));
  }
}

/** A keep-alive agent that hands the next request it is given to the call waiting for it. */
type NotingAgent = http.Agent & { waiting?: CallHold };

/**
 * node-fetch makes its request within the fetch() call, so the call that set `waiting` just
 * before is the one the request is for. Patched on the agent itself: a view of it per call
 * (Object.create(agent)) made the agent a prototype, which V8 then serves on a slow path, and a
 * call cost 40 % more CPU than node-fetch alone.
 */
function noteRequests(agent: http.Agent): NotingAgent {
  const noting = agent as NotingAgent & { addRequest(request: http.ClientRequest, options: unknown): void };
  const addRequest = noting.addRequest;
  noting.waiting = undefined;
  noting.addRequest = function (request, options) {
    const hold = noting.waiting;
    noting.waiting = undefined;
    hold?.note(request);
    addRequest.call(this, request, options);
  };
  return noting;
}

/** The last header set each client sent, with its token and content type: most calls repeat it. */
const lastSent = new WeakMap<object, { contentType?: string; token?: string; headers: Record<string, string> }>();

/** The headers of a call: the identity, then the content type and the token (only ever a header). */
function sentHeaders(identity: Readonly<Record<string, string>>, contentType: string | undefined, token: string | undefined): Record<string, string> {
  const last = lastSent.get(identity);
  if (last && last.contentType === contentType && last.token === token) return last.headers;
  const headers = { ...identity, ...(contentType ? { 'Content-Type': contentType } : {}), ...(token ? { 'X-Plex-Token': token } : {}) };
  lastSent.set(identity, { contentType, token, headers });
  return headers;
}

function describe(request: PlexRequest): string {
  return `${request.peer} (${request.method} ${request.url.pathname})`;
}

/** Never lets a token that a peer echoed back reach a message (in any case: URL hosts are lower-cased). */
function withoutToken(text: string, token: string | undefined): string {
  return token ? text.replace(new RegExp(token.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'), 'gi'), '[redacted]') : text;
}

/** URL.parse, which engines as old as Node 20.0 lack. */
function urlOrUndefined(location: string, base: URL): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

function parseSuccessBody(text: string, contentType: string, request: PlexRequest): unknown {
  const trimmed = text.trim();
  if (!trimmed) {
    throw new PlexError(`${describe(request)} answered with an empty body`, { kind: 'response' });
  }
  if (contentType.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    if (tooManyContainers(trimmed)) {
      throw new PlexError(`${describe(request)} answered with JSON of more than ${MAX_JSON_CONTAINERS} objects and arrays; refused`, { kind: 'response' });
    }
    try {
      return JSON.parse(trimmed);
    } catch {
      throw new PlexError(`${describe(request)} answered with JSON that cannot be read (truncated or malformed)`, {
        kind: 'response',
      });
    }
  }
  if (/^<(\?xml|MediaContainer|pin|user)\b/i.test(trimmed) && !/<html/i.test(trimmed.slice(0, 512))) {
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = parsePlexXml(trimmed);
    } catch (error) {
      // An answer that cannot be read, never a network fault (those are tried again).
      throw new PlexError(`${describe(request)} answered with XML that cannot be read (${(error as Error).message})`, { kind: 'response' });
    }
    if (parsed) return parsed;
  }
  const kind = /<html|<!doctype html/i.test(trimmed.slice(0, 512)) ? 'an HTML page' : `"${contentType || 'unknown'}" content`;
  throw new PlexError(`${describe(request)} answered with ${kind} instead of JSON`, { kind: 'response' });
}

/**
 * HTTP for the Plex client: one place for timeouts, body limits, TLS, proxies and the rule
 * that a token never leaves the origin it was meant for. Owns its connection agents; call
 * close() when done with it.
 */
export class HttpClient {
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly tls: TlsSettings;
  private readonly agents = new Map<string, NotingAgent>();
  private readonly agentsByOrigin = new Map<string, NotingAgent>();

  constructor(options: HttpClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.tls = options.tls ?? {};
  }

  /**
   * Keep-alive agents, one per protocol and proxy (http_proxy, https_proxy, no_proxy as
   * Node-RED reads them, once per origin: the environment is read when a client starts, as
   * Node-RED's own HTTP nodes do).
   */
  private agentFor(url: URL): NotingAgent {
    let agent = this.agentsByOrigin.get(url.origin);
    if (agent) return agent;
    const secure = url.protocol === 'https:';
    const proxy = getProxyForUrl(url.href) || '';
    const key = `${url.protocol}|${proxy}`;
    agent = this.agents.get(key);
    if (!agent) {
      const common = { keepAlive: true, maxSockets: 64, ...(secure ? this.tls : {}) };
      if (proxy) {
        agent = noteRequests(secure ? new HttpsProxyAgent({ ...common, proxy }) : new HttpProxyAgent({ ...common, proxy }));
      } else {
        agent = noteRequests(secure ? new https.Agent(common) : new http.Agent(common));
      }
      this.agents.set(key, agent);
    }
    this.agentsByOrigin.set(url.origin, agent);
    return agent;
  }

  async request(request: PlexRequest): Promise<PlexResponse> {
    const fetch = loadedFetch ?? (loadedFetch = (await loadFetch()).default);
    if (request.signal?.aborted) throw new PlexError(`${describe(request)}: request stopped`, { kind: 'aborted' });
    // Our time limit and the caller's stop, both let go when the call ends: a finished call leaves no timer or listener behind.
    const hold = new CallHold();
    const timer = setTimeout(() => hold.end('timeout'), this.timeoutMs);
    if (request.signal) hold.follow(request.signal);
    const identity = withHeaderSafeIdentity(request.url, request.headers);
    // The token is added after that move: it only ever travels in a header.
    const headers = sentHeaders(identity.headers, request.body?.contentType, request.token);
    let url = identity.url;
    try {
      for (let hop = 0; ; hop++) {
        const agent = this.agentFor(url);
        agent.waiting = hold;
        const answer = fetch(url.href, {
          method: request.method,
          headers,
          body: request.body?.content,
          redirect: 'manual',
          agent,
          size: this.maxBodyBytes,
          // Plex's answers are small. Left compressed, a peer's broken gzip would fail while the
          // body is read and pass for a network fault, which the poller tries again.
          compress: false,
        });
        agent.waiting = undefined; // the request is made, or none will be (a header node-fetch refused)
        const response = await answer;
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location) {
          response.body?.resume();
          const target = urlOrUndefined(location, url);
          if (!target) {
            throw new PlexError(`${describe(request)} redirected to a location that is not a URL; not followed`, {
              kind: 'redirect',
              status: response.status,
            });
          }
          if (target.origin !== request.url.origin) {
            throw new PlexError(
              withoutToken(`${describe(request)} redirected to another host (${target.host}); not followed, so that no token goes there`, request.token),
              { kind: 'redirect', status: response.status },
            );
          }
          if (hop >= MAX_SAME_ORIGIN_REDIRECTS) {
            throw new PlexError(`${describe(request)} redirected too many times`, { kind: 'redirect', status: response.status });
          }
          url = target;
          continue;
        }
        const text = await response.text();
        if (response.ok) {
          if (request.bodyOptional && !text.trim()) return { status: response.status, body: undefined };
          return { status: response.status, body: parseSuccessBody(text, response.headers.get('content-type') ?? '', request) };
        }
        const plex = plexMessageOf(text, request.token);
        const statusLine = `${response.status} ${response.statusText}`.trim();
        // An HTML error page's title often only repeats the status line: say it once.
        const says = plex.message && plex.message !== statusLine && plex.message !== response.statusText;
        const words = says ? `: ${plex.message}` : '';
        const code = plex.code !== undefined ? ` (code ${plex.code})` : '';
        // The status text is the peer's own words too, so the whole message is redacted.
        throw new PlexError(withoutToken(`${describe(request)} answered ${statusLine}${words}${code}`, request.token), {
          kind: 'http',
          status: response.status,
          plexCode: plex.code,
          plexMessage: plex.message,
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        });
      }
    } catch (error) {
      throw this.toPlexError(error, request, hold.ended === 'timeout');
    } finally {
      clearTimeout(timer);
      hold.letGo();
    }
  }

  private toPlexError(error: unknown, request: PlexRequest, timedOut: boolean): PlexError {
    if (error instanceof PlexError) return error;
    const err = error as { name?: string; type?: string; code?: string; message?: string };
    if (timedOut) {
      return new PlexError(`${describe(request)} did not answer within ${this.timeoutMs / 1000} s`, { kind: 'timeout' });
    }
    if (err.name === 'AbortError' || request.signal?.aborted) {
      return new PlexError(`${describe(request)}: request stopped`, { kind: 'aborted' });
    }
    if (err.type === 'max-size') {
      return new PlexError(`${describe(request)} answered with more than ${this.maxBodyBytes} bytes; refused`, {
        kind: 'response',
      });
    }
    const reason = err.code ?? err.type ?? 'error';
    const detail = withoutToken(String(err.message ?? error), request.token).replace(/^request to \S+ failed, reason: /, '');
    return new PlexError(`${describe(request)} could not be reached at ${request.url.host}: ${detail} (${reason})`, {
      kind: 'network',
      systemCode: err.code,
    });
  }

  /** Ends idle keep-alive connections; in-flight requests are ended by their signals. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    this.agentsByOrigin.clear();
  }
}
