import { PlexError, inputError } from './errors';
import { timerDelay } from './timers';
import type { PinState } from './plex-tv';
import type { Checked } from './validate';

/** Plex asks for about one poll a second; faster draws 429s. */
export const MIN_INTERVAL_MS = 1000;
/** Longest wait between polls that plex.tv may ask for (Retry-After). */
export const MAX_BACKOFF_MS = 30_000;
/**
 * Longest wait between polls after passing faults that came without a Retry-After: a person
 * who approves while plex.tv is failing is signed in within this long of its recovery.
 */
const FAULT_BACKOFF_CAP_MS = 10_000;
/** The most PINs one poller polls at once (the benchmarks poll 10,000). */
export const MAX_PENDING_PINS = 10_000;
/** A strong PIN lives about 30 minutes: the limit when plex.tv never told us the expiry. */
export const FALLBACK_LIFETIME_MS = 30 * 60 * 1000;

export type EndReason = 'expired' | 'timeout' | 'cancelled';

export type PollOutcome =
  { id: number; kind: 'approved'; pin: PinState } | { id: number; kind: 'ended'; reason: EndReason } | { id: number; kind: 'failed'; error: PlexError };

/** A PIN to poll, as a flow gives it or as it was saved before a restart. */
export interface PollSpec {
  id: number;
  intervalMs: number;
  /** Epoch ms at which to give up with "timeout"; none: poll until the PIN expires. */
  timeoutAt?: number;
  /** Epoch ms at which the PIN expires, when known (from plex-pin, or saved). */
  expiresAt?: number;
  /** Epoch ms at which polling began. */
  startedAt?: number;
}

export interface PendingPin extends Required<Omit<PollSpec, 'timeoutAt'>> {
  timeoutAt?: number;
  /** Consecutive passing faults; the backoff grows with it. */
  faults: number;
  /** The last passing fault, for status and logs. */
  lastFault?: string;
}

interface Entry extends PendingPin {
  timer?: NodeJS.Timeout;
  request?: AbortController;
}

export interface PinPollerOptions {
  check: (id: number, signal: AbortSignal) => Promise<Checked<PinState>>;
  onOutcome: (outcome: PollOutcome) => void;
  onWarning?: (text: string) => void;
  /** Called whenever the set of pending PINs or their state changes. */
  onChange?: () => void;
  /** The shortest interval between two polls of a PIN; default MIN_INTERVAL_MS, what plex.tv allows. */
  minIntervalMs?: number;
  /** The longest backoff after passing faults without a Retry-After; default FAULT_BACKOFF_CAP_MS. */
  faultBackoffCapMs?: number;
  /** The most PINs polled at once; add() refuses more. Default MAX_PENDING_PINS. */
  maxPending?: number;
}

/** What a status line shows of the pending PINs. */
export interface PendingSummary {
  count: number;
  /** Whether any PIN is backing off after a passing fault. */
  faulty: boolean;
  /** Epoch ms of the soonest expiry or timeout; Infinity when nothing is pending. */
  endsAt: number;
}

/**
 * Polls up to maxPending PINs (default MAX_PENDING_PINS), one timer each, until each is
 * approved, expires, times out or is cancelled. A passing fault (network, timeout, 429, 5xx, a garbled answer) backs off,
 * honouring Retry-After, and polling goes on; a fault that waiting cannot mend (see
 * endsPolling) ends that PIN with "failed".
 */
export class PinPoller {
  private readonly entries = new Map<number, Entry>();
  private stopped = false;
  private readonly minIntervalMs: number;
  private readonly faultBackoffCapMs: number;
  private readonly maxPending: number;

  constructor(private readonly options: PinPollerOptions) {
    this.minIntervalMs = options.minIntervalMs ?? MIN_INTERVAL_MS;
    this.faultBackoffCapMs = options.faultBackoffCapMs ?? FAULT_BACKOFF_CAP_MS;
    this.maxPending = options.maxPending ?? MAX_PENDING_PINS;
  }

  /**
   * Starts polling a PIN. False when that PIN is already being polled (it is polled once).
   * Throws a PLEX_BAD_INPUT PlexError when maxPending PINs are polled already.
   */
  add(spec: PollSpec): boolean {
    if (this.stopped || this.entries.has(spec.id)) return false;
    if (this.entries.size >= this.maxPending) {
      throw inputError(`PIN ${spec.id} is not polled: ${this.maxPending} PINs are being polled already, the most polled at once`);
    }
    const now = Date.now();
    const entry: Entry = {
      id: spec.id,
      intervalMs: Math.max(this.minIntervalMs, spec.intervalMs),
      timeoutAt: spec.timeoutAt,
      startedAt: spec.startedAt ?? now,
      expiresAt: spec.expiresAt ?? (spec.startedAt ?? now) + FALLBACK_LIFETIME_MS,
      faults: 0,
    };
    this.entries.set(entry.id, entry);
    this.schedule(entry, 0);
    this.changed();
    return true;
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  pending(): PendingPin[] {
    return [...this.entries.values()].map(({ timer: _timer, request: _request, ...pin }) => pin);
  }

  /** One pass over the PINs, without copying them: cheap enough for a status shown every second. */
  summary(): PendingSummary {
    let faulty = false;
    let endsAt = Infinity;
    for (const entry of this.entries.values()) {
      faulty ||= entry.faults > 0;
      endsAt = Math.min(endsAt, entry.expiresAt, entry.timeoutAt ?? Infinity);
    }
    return { count: this.entries.size, faulty, endsAt };
  }

  /** Stops polling one PIN, or all of them; each ends with "cancelled". Returns the ids. */
  cancel(id?: number): number[] {
    const ids = id === undefined ? [...this.entries.keys()] : this.entries.has(id) ? [id] : [];
    for (const each of ids) this.finish(this.entries.get(each)!, { id: each, kind: 'ended', reason: 'cancelled' });
    return ids;
  }

  /** Stops everything without outcomes: the node is closing. */
  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) this.release(entry);
    this.entries.clear();
  }

  private release(entry: Entry): void {
    clearTimeout(entry.timer);
    entry.request?.abort();
    entry.timer = undefined;
    entry.request = undefined;
  }

  private finish(entry: Entry, outcome: PollOutcome): void {
    this.release(entry);
    this.entries.delete(entry.id);
    this.notify(() => this.options.onOutcome(outcome), `PIN ${entry.id}`);
    this.changed();
  }

  private changed(): void {
    if (this.options.onChange) this.notify(this.options.onChange);
  }

  /**
   * Runs a caller's callback from our timers and promise chains: a throw there would end the
   * process (timer) or go unhandled (promise), so it is reported as a warning instead.
   */
  private notify(callback: () => void, about = 'PIN poller'): void {
    try {
      callback();
    } catch (error) {
      try {
        this.options.onWarning?.(`${about}: ${String(error)}`);
      } catch {
        // nowhere left to report it; polling must go on
      }
    }
  }

  /** Next poll after `delayMs`, but never past the timeout, nor much past the expiry. */
  private schedule(entry: Entry, delayMs: number): void {
    const now = Date.now();
    let at = now + delayMs;
    if (entry.timeoutAt !== undefined) at = Math.min(at, entry.timeoutAt);
    at = Math.min(at, Math.max(entry.expiresAt, now));
    entry.timer = setTimeout(() => this.poll(entry), timerDelay(at - now)); // a peer's expiry may be weeks away
  }

  private poll(entry: Entry): void {
    entry.timer = undefined;
    const startedAt = Date.now();
    if (entry.timeoutAt !== undefined && startedAt >= entry.timeoutAt) {
      this.finish(entry, { id: entry.id, kind: 'ended', reason: 'timeout' });
      return;
    }
    const request = new AbortController();
    entry.request = request;
    // Through a promise, so that a check that throws at once (its account was deleted) ends this PIN, not the process.
    Promise.resolve()
      .then(() => this.options.check(entry.id, request.signal))
      .then(
        (checked) => {
          if (entry.request !== request) return; // cancelled or stopped meanwhile
          entry.request = undefined;
          this.onAnswer(entry, checked, startedAt);
        },
        (error: unknown) => {
          if (entry.request !== request) return;
          entry.request = undefined;
          // Not a PlexError: the check itself failed, which waiting will not mend.
          this.onFault(entry, error instanceof PlexError ? error : new PlexError(`PIN ${entry.id} could not be checked: ${String(error)}`, { kind: 'input' }));
        },
      )
      .catch((error: unknown) => this.notify(() => this.options.onWarning?.(`PIN ${entry.id}: ${String(error)}`)));
  }

  private onAnswer(entry: Entry, { value: pin, warnings }: Checked<PinState>, polledAt: number): void {
    for (const warning of warnings) this.notify(() => this.options.onWarning?.(warning));
    if (pin.authToken) {
      this.finish(entry, { id: entry.id, kind: 'approved', pin });
      return;
    }
    if (pin.expiresAt) entry.expiresAt = Date.parse(pin.expiresAt);
    const now = Date.now();
    if (now >= entry.expiresAt) {
      this.finish(entry, { id: entry.id, kind: 'ended', reason: 'expired' });
      return;
    }
    const changed = entry.faults > 0;
    entry.faults = 0;
    entry.lastFault = undefined;
    // Keep the cadence: the next poll is one interval after this one began.
    this.schedule(entry, Math.max(0, polledAt + entry.intervalMs - now));
    if (changed) this.changed();
  }

  private onFault(entry: Entry, error: PlexError): void {
    if (error.kind === 'http' && error.status === 404) {
      this.finish(entry, { id: entry.id, kind: 'ended', reason: 'expired' });
      return;
    }
    if (endsPolling(error)) {
      this.finish(entry, { id: entry.id, kind: 'failed', error });
      return;
    }
    if (Date.now() >= entry.expiresAt) {
      this.finish(entry, { id: entry.id, kind: 'ended', reason: 'expired' });
      return;
    }
    entry.faults += 1;
    entry.lastFault = error.message;
    // A garbled answer is worth a word (once per run of faults); a 503 or a reset speaks for itself in the status.
    if (error.kind === 'response' && entry.faults === 1) this.notify(() => this.options.onWarning?.(`PIN ${entry.id}: ${error.message}; trying again`));
    // Doubling, up to a cap that keeps a waiting person's sign-in close to plex.tv's recovery. Retry-After is
    // honoured up to its own cap: a peer cannot park a PIN for days, nor overflow the timer.
    const grown = Math.min(entry.intervalMs * 2 ** entry.faults, this.faultBackoffCapMs);
    const backoff = Math.max(grown, Math.min(error.retryAfterMs ?? 0, MAX_BACKOFF_MS));
    this.schedule(entry, backoff);
    this.changed();
  }
}

/**
 * What ends a PIN while polling: plex.tv saying the request is wrong (400, 401), a refused
 * redirect, or a check that cannot be made. Everything else may pass (network, time limit,
 * 429, 5xx, a truncated or garbled answer): a user who approves a moment later still gets in.
 */
function endsPolling(error: PlexError): boolean {
  if (error.kind === 'http') return error.status === 400 || error.status === 401;
  return error.kind === 'input' || error.kind === 'redirect' || error.kind === 'aborted';
}
