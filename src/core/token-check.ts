import { PlexError } from './errors';
import type { PlexTvClient } from './plex-tv';
import { timerDelay } from './timers';

/**
 * What plex.tv said about a token. Only a refusal (PLEX_TOKEN_REJECTED: 401, 422 invalid
 * token) means the token is dead; no answer, a 5xx or a 429 tells nothing about it.
 */
export type TokenCheckResult = { state: 'valid'; username: string } | { state: 'revoked' } | { state: 'unreachable'; message: string };

/** Runs a call with a token: by default the one given; an account that renews its JWT passes its own. */
export type TokenUse = <T>(call: (token: string) => Promise<T>) => Promise<T>;

/** Asks plex.tv (GET /api/v2/user) whether it still accepts the token. */
export async function checkToken(
  plexTv: PlexTvClient,
  token: string,
  signal?: AbortSignal,
  using: TokenUse = (call) => call(token),
): Promise<TokenCheckResult> {
  try {
    const user = (await using((current) => plexTv.getUser(current, signal))).value;
    return { state: 'valid', username: user.username };
  } catch (error) {
    if (!(error instanceof PlexError)) throw error;
    if (error.code === 'PLEX_TOKEN_REJECTED') return { state: 'revoked' };
    return { state: 'unreachable', message: error.message };
  }
}

export interface TokenCheckScheduleOptions {
  /** One check; the schedule waits for it before planning the next, and aborts it on stop(). */
  run: (signal: AbortSignal) => Promise<void>;
  /** Called when run fails (it should not): the schedule goes on. */
  onError?: (error: unknown) => void;
  /** The first check comes this long after start(), plus up to jitterMs. */
  firstDelayMs?: number;
  /** Then one every intervalMs, plus up to jitterMs. */
  intervalMs?: number;
  /** Spreads the checks of many accounts (and of many Node-REDs) apart. */
  jitterMs?: number;
  random?: () => number;
}

/** A few seconds after start: soon enough to tell the user, late enough not to slow the start. */
export const CHECK_FIRST_DELAY_MS = 3_000;
export const CHECK_JITTER_MS = 3_000;
export const CHECK_INTERVAL_MS = 24 * 60 * 60 * 1000;

/**
 * Runs a token check shortly after start and then once per interval, never two at once,
 * until stop(): then no timer and no request of it is left.
 */
export class TokenCheckSchedule {
  private timer?: NodeJS.Timeout;
  private request?: AbortController;
  private stopped = true;
  private readonly firstDelayMs: number;
  private readonly intervalMs: number;
  private readonly jitterMs: number;

  constructor(private readonly options: TokenCheckScheduleOptions) {
    this.firstDelayMs = options.firstDelayMs ?? CHECK_FIRST_DELAY_MS;
    this.intervalMs = options.intervalMs ?? CHECK_INTERVAL_MS;
    this.jitterMs = options.jitterMs ?? CHECK_JITTER_MS;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.later(this.firstDelayMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.request?.abort();
    this.request = undefined;
  }

  private later(baseMs: number): void {
    const jitter = (this.options.random ?? Math.random)() * this.jitterMs;
    this.timer = setTimeout(() => this.check(), timerDelay(baseMs + jitter));
  }

  private check(): void {
    this.timer = undefined;
    const request = new AbortController();
    this.request = request;
    // run may throw before its first await: still no uncaught exception.
    Promise.resolve()
      .then(() => this.options.run(request.signal))
      .catch((error: unknown) => {
        if (!request.signal.aborted) this.options.onError?.(error);
      })
      .finally(() => {
        if (this.request === request) this.request = undefined;
        if (!this.stopped && !request.signal.aborted) this.later(this.intervalMs);
      });
  }
}
