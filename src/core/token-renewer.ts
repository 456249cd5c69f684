import { PlexError, refusesToken } from './errors';
import type { PlexJwtLifetime, VerifiedPlexJwt } from './plex-jwt';
import { timerDelay } from './timers';

/** Renew when less than this share of the token's lifetime is left (a day of Plex's 7). */
const RENEW_WHEN_LEFT = 1 / 7;
/** The jitter's upper bound, as a share of the lifetime and absolute. */
const JITTER_SHARE = 1 / 100;
const MAX_JITTER_MS = 5 * 60_000;
/** The least time between a renewal and the next one, whatever the clocks say: never a loop. */
const MIN_GAP_MS = 1000;
const MAX_GAP_MS = 60 * 60_000;
export const DEFAULT_RENEW_BACKOFF_MS = 1000;
export const MAX_RENEW_BACKOFF_MS = 5 * 60_000;

export type RenewerState = 'valid' | 'renewing' | 'waiting' | 'rejected' | 'stopped';

export interface TokenRenewerOptions {
  /** One renewal: nonce, device JWT, exchange, verification (PlexTvClient.obtainPlexJwt). */
  renew: (signal: AbortSignal) => Promise<VerifiedPlexJwt>;
  /** A new token: the caller keeps it (credentials, runtime state). */
  onRenewed: (jwt: VerifiedPlexJwt) => void;
  /** plex.tv refused the token (401, 422 "invalid token"): the account needs a new sign-in. The error's code is PLEX_TOKEN_REJECTED. */
  onRejected: (error: PlexError) => void;
  /** Any other fault, a refusal of another kind (403, 404, ...) included; renewal is tried again after retryInMs. */
  onFault?: (error: PlexError, retryInMs: number) => void;
  /** First wait after a passing fault; it doubles up to MAX_RENEW_BACKOFF_MS. */
  backoffMs?: number;
  /** The clock (epoch ms). */
  now?: () => number;
}

function asPlexError(error: unknown): PlexError {
  return error instanceof PlexError ? error : new PlexError(`token renewal failed: ${(error as Error)?.message ?? error}`, { kind: 'response' });
}

/**
 * Keeps one account's Plex JWT alive: renews it when less than a seventh of its lifetime is
 * left (one timer, a little jitter), and at once on a 498 (renewNow). One renewal at a time:
 * everyone who asks during one shares it. A token just renewed is not renewed again within
 * MIN_GAP_MS..MAX_GAP_MS, so wrong clocks cannot make a loop. A passing fault retries with
 * backoff; a refused token (401, 422 "invalid token") ends in onRejected and the renewer stops.
 */
export class TokenRenewer {
  private current?: PlexJwtLifetime;
  /** Epoch ms of the last successful renewal. */
  private renewedAt?: number;
  private inflight?: Promise<VerifiedPlexJwt>;
  private controller?: AbortController;
  private timer?: NodeJS.Timeout;
  private faults = 0;
  private lastFault?: PlexError;
  /** Epoch ms of the next try after a passing fault. */
  private retryAt?: number;
  private rejection?: PlexError;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: TokenRenewerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Takes a token (from a sign-in or as saved) and schedules its renewal. */
  start(jwt: PlexJwtLifetime): void {
    if (this.stopped) return;
    this.current = jwt;
    this.rejection = undefined;
    this.faults = 0;
    this.scheduleRenewal();
  }

  get state(): RenewerState {
    if (this.stopped) return 'stopped';
    if (this.rejection) return 'rejected';
    if (this.inflight) return 'renewing';
    return this.faults > 0 ? 'waiting' : 'valid';
  }

  /** The token as it stands (undefined before start). */
  get jwt(): PlexJwtLifetime | undefined {
    return this.current;
  }

  /**
   * The token to use now. During a renewal, the renewed one (or, when that fails for a passing
   * reason, the old one while it lasts); an expired token is renewed first.
   */
  async token(): Promise<string> {
    this.assertUsable();
    if (!this.inflight && this.current && this.current.expiresAt > this.now()) return this.current.token;
    this.assertNotBackingOff();
    try {
      return (await this.renewal()).token;
    } catch (error) {
      const current = this.current;
      if (this.rejection || !current || current.expiresAt <= this.now()) throw error;
      return current.token;
    }
  }

  /**
   * plex.tv or a server answered 498 to `expiredToken`: renew (once, shared), then the caller
   * retries its call once. When the token has changed since, or was renewed just now, there
   * is nothing to renew: the current token is returned and a second 498 is the caller's
   * PLEX_TOKEN_REJECTED.
   */
  async renewNow(expiredToken: string): Promise<string> {
    this.assertUsable();
    if (this.inflight) return (await this.inflight).token;
    const justRenewed = this.renewedAt !== undefined && this.now() - this.renewedAt < this.minGapMs();
    if (this.current && (this.current.token !== expiredToken || justRenewed)) return this.current.token;
    this.assertNotBackingOff();
    return (await this.renewal()).token;
  }

  /** Clears the timer and stops a renewal under way; no callback is called after this. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.controller?.abort();
    this.controller = undefined;
  }

  /** While waiting to retry after a passing fault, callers get that fault rather than a renewal each. */
  private assertNotBackingOff(): void {
    if (!this.inflight && this.lastFault && this.retryAt !== undefined && this.now() < this.retryAt) throw this.lastFault;
  }

  private assertUsable(): void {
    if (this.stopped) throw new PlexError('the account is closed', { kind: 'aborted' });
    if (this.rejection) throw this.rejection;
  }

  private lifetimeMs(): number {
    return this.current ? Math.max(0, this.current.expiresAt - this.current.issuedAt) : 0;
  }

  private minGapMs(): number {
    return Math.min(MAX_GAP_MS, Math.max(MIN_GAP_MS, this.lifetimeMs() * RENEW_WHEN_LEFT));
  }

  private setTimer(delayMs: number, run: () => void): void {
    clearTimeout(this.timer);
    // A delay beyond what a timer can hold: wake up then and look again.
    const clamped = timerDelay(delayMs);
    this.timer = setTimeout(clamped < delayMs ? () => this.scheduleRenewal() : run, clamped);
  }

  private scheduleRenewal(): void {
    if (this.stopped || this.rejection || !this.current) return;
    const lifetime = this.lifetimeMs();
    const jitter = Math.random() * Math.min(MAX_JITTER_MS, lifetime * JITTER_SHARE);
    const due = this.current.expiresAt - lifetime * RENEW_WHEN_LEFT - jitter;
    const earliest = this.renewedAt === undefined ? 0 : this.renewedAt + this.minGapMs();
    this.setTimer(Math.max(due, earliest) - this.now(), () => void this.renewal().catch(() => undefined));
  }

  /** The one renewal under way, or a new one. */
  private renewal(): Promise<VerifiedPlexJwt> {
    this.inflight ??= this.runRenewal().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async runRenewal(): Promise<VerifiedPlexJwt> {
    clearTimeout(this.timer);
    const controller = new AbortController();
    this.controller = controller;
    try {
      const jwt = await this.options.renew(controller.signal);
      if (this.stopped) throw new PlexError('the account is closed', { kind: 'aborted' });
      this.current = jwt;
      this.renewedAt = this.now();
      this.faults = 0;
      this.lastFault = this.retryAt = undefined;
      this.scheduleRenewal();
      this.options.onRenewed(jwt);
      return jwt;
    } catch (caught) {
      const error = asPlexError(caught);
      if (this.stopped) throw error;
      // Only a refused token needs a new sign-in; anything else (403, 404, 400, another 422, network, 5xx) may pass.
      if (refusesToken(error)) {
        this.rejection = new PlexError(`plex.tv refused to renew the account's token (${error.message}); the account needs a new sign-in`, {
          kind: 'http',
          code: 'PLEX_TOKEN_REJECTED',
          status: error.status,
          plexCode: error.plexCode,
          plexMessage: error.plexMessage,
        });
        clearTimeout(this.timer);
        this.options.onRejected(this.rejection);
        throw this.rejection;
      }
      const base = this.options.backoffMs ?? DEFAULT_RENEW_BACKOFF_MS;
      const retryInMs = Math.min(MAX_RENEW_BACKOFF_MS, Math.max(error.retryAfterMs ?? 0, base * 2 ** this.faults));
      this.faults += 1;
      this.lastFault = error;
      this.retryAt = this.now() + retryInMs;
      this.setTimer(retryInMs, () => void this.renewal().catch(() => undefined));
      this.options.onFault?.(error, retryInMs);
      throw error;
    } finally {
      if (this.controller === controller) this.controller = undefined;
    }
  }
}
