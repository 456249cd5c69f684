/**
 * A Plex Media Server's live notifications: its WebSocket at /:/websockets/notifications (see
 * "Live notifications from a server" in plex-facts.md), kept open by NotificationListener. The
 * token travels as the X-Plex-Token header of the upgrade request, never in the URL.
 */
import WebSocket, { type RawData } from 'ws';
import { PlexError } from './errors';
import { MAX_JSON_CONTAINERS, tooManyContainers, type TlsSettings } from './http';
import { withHeaderSafeIdentity } from './identity';
import { ResponseSchema, type Checked } from './validate';
import * as schemas from './schemas';
import { timerDelay } from './timers';

export const NOTIFICATIONS_PATH = '/:/websockets/notifications';
const PEER = `Plex Media Server (GET ${NOTIFICATIONS_PATH})`;

/** One entry of a "playing" notification: a session's state now. */
export interface PlaySessionEntry {
  sessionKey: string;
  state: string;
  /** The player's machineIdentifier. */
  clientIdentifier?: string;
  ratingKey?: string;
  key?: string;
  viewOffset?: number;
}

/** What each message of the socket holds: its type, and content of that type. */
export interface NotificationContainer {
  type: string;
  size?: number;
  PlaySessionStateNotification?: PlaySessionEntry[];
  [content: string]: unknown;
}

const notificationSchema = new ResponseSchema<{ NotificationContainer: NotificationContainer }>('Plex Media Server notification', schemas.notification);

/** The largest message taken: a larger one ends the connection (ws closes it with 1009), so that a peer cannot fill memory. */
export const MAX_NOTIFICATION_BYTES = 1024 * 1024;
/** How long the upgrade may take. */
export const HANDSHAKE_LIMIT_MS = 15_000;
/** A ping this often; no answer (nor any message) by the next one ends the connection: a dead network is noticed. */
export const PING_EVERY_MS = 30_000;
/** A connection that lasted this long was a good one: the next drop starts the backoff afresh. */
export const STABLE_AFTER_MS = 60_000;

/** The notification socket's URL for a server's base address (http → ws, https → wss); X-Plex-* values a header cannot carry go in its query. */
export function notificationsUrl(address: string, headers: Readonly<Record<string, string>>): { url: URL; headers: Readonly<Record<string, string>> } {
  const url = new URL(NOTIFICATIONS_PATH, address);
  const safe = withHeaderSafeIdentity(url, headers);
  const moved = new URL(safe.url);
  moved.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return { url: moved, headers: safe.headers };
}

/** Reads one message: JSON checked against the notification schema. A relied-on field that is wrong is a PlexError naming it. */
export function parseNotification(data: RawData): Checked<NotificationContainer> {
  const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
  // As for every answer: a megabyte of "{}," would stall the event loop in JSON.parse alone.
  if (tooManyContainers(text))
    throw new PlexError(`${PEER} sent a notification of more than ${MAX_JSON_CONTAINERS} objects and arrays; skipped`, { kind: 'response' });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PlexError(`${PEER} sent a notification that is not JSON`, { kind: 'response' });
  }
  const { value, warnings } = notificationSchema.check(body);
  return { value: value.NotificationContainer, warnings };
}

/** A failed upgrade or connection as a PlexError: the status the server answered, or why nothing answered. */
function socketError(error: Error & { code?: string }, host: string): PlexError {
  if (/handshake has timed out/i.test(error.message)) return new PlexError(`${PEER} did not answer within ${HANDSHAKE_LIMIT_MS / 1000} s`, { kind: 'timeout' });
  if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return new PlexError(`${PEER} sent a notification of more than ${MAX_NOTIFICATION_BYTES} bytes; the connection was ended`, { kind: 'response' });
  }
  const reason = error.code ?? 'error';
  return new PlexError(`${PEER} could not be reached at ${host}: ${error.message} (${reason})`, { kind: 'network', systemCode: error.code });
}

export interface SocketOptions {
  /** The server's base address, e.g. http://192.168.1.20:32400. */
  address: string;
  /** The identity headers (identityHeaders). */
  headers: Readonly<Record<string, string>>;
  token: string;
  tls?: TlsSettings;
  signal?: AbortSignal;
}

/**
 * Opens the notification socket. Resolves once it is open; rejects with a PlexError: the
 * status the server answered instead (401: PLEX_TOKEN_REJECTED), or why nothing answered.
 */
export function openNotificationSocket(options: SocketOptions): Promise<WebSocket> {
  const { url, headers } = notificationsUrl(options.address, options.headers);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new PlexError(`${PEER}: stopped`, { kind: 'aborted' }));
    const socket = new WebSocket(url, {
      ...options.tls,
      headers: { ...headers, 'X-Plex-Token': options.token },
      maxPayload: MAX_NOTIFICATION_BYTES,
      handshakeTimeout: HANDSHAKE_LIMIT_MS,
      // Compressed frames would let a peer make us inflate far more than it sent.
      perMessageDeflate: false,
      followRedirects: false,
    });
    let settled = false;
    const settle = (error?: PlexError) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', stop);
      if (!error) return resolve(socket);
      socket.terminate();
      reject(error);
    };
    const stop = () => settle(new PlexError(`${PEER}: stopped`, { kind: 'aborted' }));
    options.signal?.addEventListener('abort', stop, { once: true });
    // Stays for the socket's life: ws reports every later fault as an error event too, which must never go unheard.
    socket.on('error', (error: Error & { code?: string }) => settle(socketError(error, url.host)));
    socket.once('unexpected-response', (request, response) => {
      const status = response.statusCode ?? 0;
      const retryAfter = Number(response.headers['retry-after']);
      response.resume();
      request.destroy();
      settle(
        new PlexError(`${PEER} answered ${status} ${response.statusMessage ?? ''}`.trim(), {
          kind: 'http',
          status,
          retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
        }),
      );
    });
    socket.once('open', () => settle());
  });
}

/** The server the listener connects to: asked afresh for each attempt, since its address and token may change. */
export interface NotificationServer {
  /** The base address in use now: it changes when a server that moved is found again. */
  address(): string;
  /** The identity headers. */
  readonly headers: Readonly<Record<string, string>>;
  readonly tls?: TlsSettings;
  /** Runs `call` with the token the server takes (an expired one renewed first; a 498 renews and retries once). */
  withToken<T>(call: (token: string) => Promise<T>): Promise<T>;
  /** An ordinary call through the server's client: when its address stopped answering, this finds the server again. */
  locate(signal: AbortSignal): Promise<unknown>;
}

/** Timers, as the listener uses them: tests pass a clock they move by hand. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, timerDelay(ms)),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** How soon to try again: after a fault, firstMs doubling up to maxMs (each with jitter); after a refused token, refusedMs. */
export interface ReconnectPolicy {
  firstMs: number;
  maxMs: number;
  refusedMs: number;
}

export const DEFAULT_RECONNECT: Readonly<ReconnectPolicy> = Object.freeze({ firstMs: 1000, maxMs: 30_000, refusedMs: 120_000 });

export type ListenerState =
  | { state: 'connecting' }
  | { state: 'connected'; since: number }
  /** Not connected since `since`, because of `error`; the next try is in `retryInMs`. */
  | { state: 'waiting'; since: number; error: PlexError; retryInMs: number }
  /** Disconnected on request: no try until reconnect(). */
  | { state: 'disconnected' };

export interface NotificationListenerOptions {
  /** The server, asked for each attempt; a throw (no token, no server) is that attempt's fault. */
  server: () => NotificationServer;
  /** Each message, read and checked. */
  onNotification: (notification: NotificationContainer) => void;
  /** Each time the socket opens, before its first message is handled: `signal` ends with that connection. */
  onOpen?: (signal: AbortSignal) => Promise<void> | void;
  onState?: (state: ListenerState) => void;
  onWarning?: (text: string) => void;
  reconnect?: Partial<ReconnectPolicy>;
  clock?: Clock;
  random?: () => number;
  /** The socket, for tests that bring their own; openNotificationSocket by default. */
  open?: (options: SocketOptions) => Promise<WebSocket>;
}

/** Codes of a fault that waiting does not mend: try again only slowly (or when the token changes). */
const SLOW_CODES = new Set(['PLEX_TOKEN_REJECTED', 'PLEX_NOT_SIGNED_IN', 'PLEX_BAD_INPUT']);

/** Messages kept while a new connection settles what was missed: more is dropped, with a warning. */
const MAX_HELD_BYTES = 4 * MAX_NOTIFICATION_BYTES;

function byteLength(data: RawData): number {
  return Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
}

/** How many distinct warnings one connection gives about its messages: a peer cannot flood the log. */
const MAX_WARNINGS_PER_CONNECTION = 10;

function asPlexError(error: unknown): PlexError {
  return error instanceof PlexError ? error : new PlexError(String((error as Error)?.message ?? error), { kind: 'response' });
}

/**
 * Keeps a server's notification socket open: connects, hands on each message, and after a
 * drop or a failed attempt tries again with capped, jittered backoff (slowly after a refused
 * token). When nothing answers at the address, the server is looked for once (locate) and a
 * new address is tried at once. A ping finds a connection that died silently. close() leaves
 * no socket, timer or request behind.
 */
export class NotificationListener {
  private readonly clock: Clock;
  private readonly policy: ReconnectPolicy;
  private socket?: WebSocket;
  /** Ends with the current attempt or connection: its requests and callbacks stop. */
  private connection?: AbortController;
  private retryTimer?: unknown;
  private pingTimer?: unknown;
  /** Consecutive faults since the last good connection: the backoff grows with them. */
  private faults = 0;
  private downSince?: number;
  private current: ListenerState = { state: 'disconnected' };
  private closed = false;

  constructor(private readonly options: NotificationListenerOptions) {
    this.clock = options.clock ?? systemClock;
    this.policy = { ...DEFAULT_RECONNECT, ...options.reconnect };
  }

  get state(): ListenerState {
    return this.current;
  }

  /** Connects now (also from "disconnected" or while waiting to try again). */
  start(): void {
    if (this.closed) return;
    this.teardown();
    this.connect();
  }

  /** Drops the connection and connects again at once, the backoff started afresh. */
  reconnect(): void {
    this.faults = 0;
    this.start();
  }

  /** While waiting to try again, tries now: the token may have changed. */
  retryNow(): void {
    if (this.current.state === 'waiting') this.start();
  }

  /** Drops the connection and stays disconnected until start() or reconnect(). */
  disconnect(): void {
    if (this.closed) return;
    this.teardown();
    this.downSince = undefined;
    this.setState({ state: 'disconnected' });
  }

  /** For good: no socket, timer, request or callback after this. */
  close(): void {
    this.closed = true;
    this.teardown();
  }

  private teardown(): void {
    this.connection?.abort();
    this.connection = undefined;
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.pingTimer);
    this.retryTimer = this.pingTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.terminate();
  }

  private setState(state: ListenerState): void {
    this.current = state;
    if (!this.closed) this.call(() => this.options.onState?.(state));
  }

  /** Runs a caller's callback from a socket event or timer: a throw there is a warning, never an uncaught exception. */
  private call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      try {
        this.options.onWarning?.(`plex-events: ${String(error)}`);
      } catch {
        // nowhere left to report it; the connection must go on
      }
    }
  }

  private connect(): void {
    const connection = new AbortController();
    this.connection = connection;
    this.setState({ state: 'connecting' });
    const open = this.options.open ?? openNotificationSocket;
    // Through a promise: a server that cannot be used (no token) throws at once, and is this attempt's fault.
    const attempt = Promise.resolve().then(() => {
      const server = this.options.server();
      return server.withToken((token) => open({ address: server.address(), headers: server.headers, token, tls: server.tls, signal: connection.signal }));
    });
    attempt.then(
      (socket) => {
        if (connection.signal.aborted) return void socket.terminate();
        this.opened(socket, connection);
      },
      (error: unknown) => {
        if (!connection.signal.aborted) void this.failed(asPlexError(error), connection);
      },
    );
  }

  private opened(socket: WebSocket, connection: AbortController): void {
    this.socket = socket;
    const openedAt = this.clock.now();
    this.downSince = undefined;
    this.setState({ state: 'connected', since: openedAt });
    const warned = new Set<string>();
    const warn = (text: string) => {
      if (warned.size >= MAX_WARNINGS_PER_CONNECTION || warned.has(text)) return;
      warned.add(text);
      this.call(() => this.options.onWarning?.(text));
    };
    const handle = (data: RawData) => {
      try {
        const { value, warnings } = parseNotification(data);
        warnings.forEach(warn);
        this.call(() => this.options.onNotification(value));
      } catch (error) {
        warn(asPlexError(error).message);
      }
    };
    // Messages that come while onOpen settles what was missed wait for it, in order, up to a bound.
    let held: RawData[] | undefined = [];
    let heldBytes = 0;
    Promise.resolve()
      .then(() => this.options.onOpen?.(connection.signal))
      .catch((error: unknown) => warn(asPlexError(error).message))
      .then(() => {
        const waiting = held ?? [];
        held = undefined;
        for (const data of waiting) if (!connection.signal.aborted) handle(data);
      });
    let alive = true;
    socket.on('message', (data) => {
      alive = true;
      if (!held) return handle(data);
      heldBytes += byteLength(data);
      if (heldBytes <= MAX_HELD_BYTES) held.push(data);
      else warn(`${PEER}: notifications that came while connecting were more than ${MAX_HELD_BYTES} bytes; the rest were dropped`);
    });
    socket.on('pong', () => {
      alive = true;
    });
    let fault: PlexError | undefined;
    socket.on('error', (error: Error & { code?: string }) => {
      fault = socketError(error, new URL(socket.url).host);
    });
    socket.on('close', (code: number) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.clock.clearTimeout(this.pingTimer);
      connection.abort();
      // A connection that lasted was a good one: the next attempt starts the backoff afresh.
      if (this.clock.now() - openedAt >= STABLE_AFTER_MS) this.faults = 0;
      void this.failed(fault ?? new PlexError(`${PEER} closed the connection (code ${code})`, { kind: 'network' }), connection, { dropped: true });
    });
    const ping = () => {
      this.pingTimer = this.clock.setTimeout(() => {
        if (this.socket !== socket) return;
        if (!alive) {
          fault = new PlexError(`${PEER} did not answer a ping within ${PING_EVERY_MS / 1000} s`, { kind: 'timeout' });
          return void socket.terminate();
        }
        alive = false;
        socket.ping();
        ping();
      }, PING_EVERY_MS);
    };
    ping();
  }

  /**
   * After a failed attempt or a dropped connection: when nothing answered at the address, the
   * server is looked for once and a new address is tried at once; else wait and try again.
   */
  private async failed(error: PlexError, connection: AbortController, { dropped = false } = {}): Promise<void> {
    if (this.closed || this.connection !== connection) return;
    this.downSince ??= this.clock.now();
    if (!dropped && (error.kind === 'network' || error.kind === 'timeout')) {
      let before: string | undefined;
      let after: string | undefined;
      const locating = new AbortController();
      this.connection = locating;
      try {
        const server = this.options.server();
        before = server.address();
        await server.locate(locating.signal);
        after = server.address();
      } catch {
        // still nowhere to be found: wait as for any fault
      }
      if (this.closed || this.connection !== locating) return;
      if (before !== after && after !== undefined) return this.connect();
    }
    const retryInMs = this.delayAfter(error);
    this.setState({ state: 'waiting', since: this.downSince, error, retryInMs });
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, retryInMs);
  }

  private delayAfter(error: PlexError): number {
    if (SLOW_CODES.has(error.code)) return this.policy.refusedMs;
    const backoff = Math.min(this.policy.maxMs, this.policy.firstMs * 2 ** this.faults);
    this.faults += 1;
    // Half fixed, half random: many Node-REDs that lost one server do not all come back at once.
    const jittered = backoff / 2 + (this.options.random ?? Math.random)() * (backoff / 2);
    return Math.min(this.policy.maxMs, Math.max(jittered, error.retryAfterMs ?? 0));
  }
}
