/**
 * Playback sessions from a server's "playing" notifications: one message per change of a
 * session's state (a repeat is no change), optional progress at a chosen rate, who plays what
 * and where from /status/sessions (asked once per new session, kept while the session lives),
 * and, after a reconnect, the sessions that changed or stopped while the connection was down.
 */
import { PlexError } from './errors';
import { MAX_SESSIONS } from './schemas';
import type { PlayingSession, ServerAbout } from './media-server';
import type { PlaySessionEntry } from './notifications';
import type { Checked } from './validate';

export const PLAYBACK_STATES = ['playing', 'paused', 'stopped', 'buffering'] as const;
export type PlaybackState = (typeof PLAYBACK_STATES)[number];

/** Plex's kinds of what a session plays, for the type filter. */
export const MEDIA_TYPES = ['movie', 'episode', 'track', 'clip', 'photo'] as const;

/** What a flow switches on: the contract's payload of plex-events. Fields the server did not give are null. */
export interface PlaybackPayload extends Omit<PlayingSession, 'state'> {
  state: PlaybackState;
  previousState: PlaybackState | null;
  server: ServerAbout;
}

export interface PlaybackMessage {
  topic: PlaybackState | 'progress';
  payload: PlaybackPayload;
}

/** Which sessions are reported: each list empty = any; an entry matches an id or a name, in any case. */
export interface PlaybackFilters {
  users: string[];
  players: string[];
  libraries: string[];
  types: string[];
}

/** A filter as the node keeps it: a comma-separated list, "" for any. */
export function parseFilter(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  return text
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
}

/** How the tracker reaches the server. */
export interface PlaybackServer {
  sessions(signal: AbortSignal): Promise<Checked<PlayingSession[]>>;
  about(signal: AbortSignal): Promise<Checked<ServerAbout>>;
}

export interface PlaybackTrackerOptions {
  server: PlaybackServer;
  send: (message: PlaybackMessage) => void;
  warn: (text: string) => void;
  filters?: Partial<PlaybackFilters>;
  /** At most one progress message per playing session this often; 0: none. */
  progressMs?: number;
  now?: () => number;
  /** Sessions tracked at once: more (a hostile server's made-up keys) are not followed. */
  maxSessions?: number;
}

/** Notifications kept per session while its lookup is under way. */
const MAX_WAITING = 16;

interface Session {
  sessionKey: string;
  /** The state last reported; none until the first one is. */
  state?: PlaybackState;
  /** From /status/sessions; null when it was asked and did not list the session (or could not be asked). */
  details?: PlayingSession | null;
  /** The item (ratingKey) the details were asked for: another one in the same session is asked for again. */
  item?: string;
  /** What the notifications said last: they are newer than the details. */
  ratingKey?: string;
  key?: string;
  viewOffset?: number;
  player?: string;
  /** Notifications that wait for the session's lookup, oldest first. */
  waiting?: PlaySessionEntry[];
  progressAt: number;
}

function isState(value: string): value is PlaybackState {
  return (PLAYBACK_STATES as readonly string[]).includes(value);
}

const NO_SERVER: ServerAbout = Object.freeze({ name: null, machineIdentifier: null });

/**
 * Follows the sessions of one server. Not connected to anything itself: the listener hands it
 * each "playing" notification (handle) and tells it of each new connection (connected).
 */
export class PlaybackTracker {
  private readonly sessions = new Map<string, Session>();
  private readonly filters: PlaybackFilters;
  private readonly now: () => number;
  private readonly maxSessions: number;
  private server: ServerAbout = NO_SERVER;
  /** Sessions whose lookup waits for the one under way to end. */
  private lookupQueue = new Set<Session>();
  private lookup?: AbortController;
  private closed = false;
  private capWarned = false;

  constructor(private readonly options: PlaybackTrackerOptions) {
    this.filters = { users: [], players: [], libraries: [], types: [], ...options.filters };
    this.now = options.now ?? Date.now;
    this.maxSessions = options.maxSessions ?? MAX_SESSIONS;
  }

  /** Sessions followed now. */
  get size(): number {
    return this.sessions.size;
  }

  /** The entries of one "playing" notification. */
  handle(entries: readonly PlaySessionEntry[]): void {
    for (const entry of entries) this.apply(entry);
  }

  /**
   * A new connection: asks the server who it is and what plays now, and reports what changed
   * since the last connection (a session that stopped meanwhile: "stopped"; one that started:
   * its state). On the first connection that is every session under way.
   */
  async connected(signal: AbortSignal): Promise<void> {
    const [about, listed] = await Promise.allSettled([this.options.server.about(signal), this.options.server.sessions(signal)]);
    if (signal.aborted || this.closed) return;
    if (about.status === 'fulfilled') {
      about.value.warnings.forEach(this.options.warn);
      this.server = about.value.value;
    }
    if (listed.status === 'rejected') throw lookupFailed(listed.reason);
    listed.value.warnings.forEach(this.options.warn);
    const now = new Map(listed.value.value.map((session) => [session.sessionKey, session]));
    for (const session of this.sessions.values()) {
      if (now.has(session.sessionKey)) continue;
      // Ended while the connection was down: the server no longer lists it.
      if (session.state) this.report(session, 'stopped');
      else this.sessions.delete(session.sessionKey);
    }
    for (const details of now.values()) {
      const session = this.sessions.get(details.sessionKey) ?? this.track(details.sessionKey);
      if (!session) break;
      this.learn(session, details);
      const state = details.state ?? '';
      if (isState(state) && state !== 'stopped' && state !== session.state && !session.waiting) this.report(session, state);
    }
  }

  /** Stops the lookups under way and forgets every session. */
  close(): void {
    this.closed = true;
    this.lookup?.abort();
    this.sessions.clear();
    this.lookupQueue.clear();
  }

  private track(sessionKey: string): Session | undefined {
    if (this.sessions.size >= this.maxSessions) {
      if (!this.capWarned) this.options.warn(`the server has more than ${this.maxSessions} sessions at once; new ones are not followed until some end`);
      this.capWarned = true;
      return undefined;
    }
    const session: Session = { sessionKey, progressAt: this.now() };
    this.sessions.set(sessionKey, session);
    return session;
  }

  private apply(entry: PlaySessionEntry): void {
    if (!isState(entry.state)) return;
    let session = this.sessions.get(entry.sessionKey);
    if (!session) {
      // A session never seen playing that stops: nothing a flow was told of has changed.
      if (entry.state === 'stopped') return;
      session = this.track(entry.sessionKey);
      if (!session) return;
    }
    if (session.waiting) {
      if (session.waiting.length >= MAX_WAITING) session.waiting.splice(1, 1); // the first and the latest matter most
      session.waiting.push(entry);
      return;
    }
    // A new session, or another item in the same one: who and what come from /status/sessions first.
    const newItem = entry.ratingKey !== undefined && session.item !== undefined && entry.ratingKey !== session.item;
    if (entry.state !== 'stopped' && (session.details === undefined || newItem)) {
      session.item = entry.ratingKey ?? session.item;
      session.waiting = [entry];
      this.ask(session);
      return;
    }
    this.notified(session, entry);
  }

  /** One notification of a session whose details are known (or could not be). */
  private notified(session: Session, entry: PlaySessionEntry): void {
    session.ratingKey = entry.ratingKey ?? session.ratingKey;
    session.key = entry.key ?? session.key;
    session.viewOffset = entry.viewOffset ?? session.viewOffset;
    session.player = entry.clientIdentifier ?? session.player;
    const state = entry.state as PlaybackState;
    if (state !== session.state) return this.report(session, state);
    const progressMs = this.options.progressMs ?? 0;
    if (state !== 'playing' || progressMs <= 0 || this.now() - session.progressAt < progressMs) return;
    session.progressAt = this.now();
    this.send('progress', session, state);
  }

  private report(session: Session, state: PlaybackState): void {
    const previous = session.state ?? null;
    session.state = state;
    if (state === 'playing') session.progressAt = this.now();
    if (state === 'stopped') this.sessions.delete(session.sessionKey);
    this.send(state, session, previous);
  }

  private send(topic: PlaybackMessage['topic'], session: Session, previousState: PlaybackState | null): void {
    if (!this.matches(session)) return;
    this.options.send({ topic, payload: this.payload(session, previousState) });
  }

  private learn(session: Session, details: PlayingSession): void {
    session.details = details;
    session.item = details.ratingKey ?? session.item;
    session.ratingKey = details.ratingKey ?? undefined;
    session.key = details.key ?? undefined;
    session.viewOffset = details.viewOffset ?? session.viewOffset;
    session.player = details.player.machineIdentifier ?? session.player;
  }

  /** Asks /status/sessions for a session: one request at a time; sessions that come meanwhile share the next. */
  private ask(session: Session): void {
    this.lookupQueue.add(session);
    if (!this.lookup) this.lookUp();
  }

  private lookUp(): void {
    const asked = this.lookupQueue;
    this.lookupQueue = new Set();
    const lookup = new AbortController();
    this.lookup = lookup;
    const signal = lookup.signal;
    Promise.resolve()
      .then(() => this.options.server.sessions(signal))
      .then(
        ({ value, warnings }) => {
          warnings.forEach(this.options.warn);
          const listed = new Map(value.map((details) => [details.sessionKey, details]));
          for (const session of asked) this.resolved(session, listed.get(session.sessionKey) ?? null);
        },
        (error: unknown) => {
          if (signal.aborted) return;
          this.options.warn(`${lookupFailed(error).message}; sent without who and what`);
          for (const session of asked) this.resolved(session, null);
        },
      )
      .catch((error: unknown) => this.options.warn(String(error)))
      .finally(() => {
        this.lookup = undefined;
        if (this.lookupQueue.size && !this.closed) this.lookUp();
      });
  }

  private resolved(session: Session, details: PlayingSession | null): void {
    if (this.sessions.get(session.sessionKey) !== session) return; // stopped and forgotten meanwhile
    if (details) this.learn(session, details);
    else session.details = null;
    const waiting = session.waiting ?? [];
    session.waiting = undefined;
    for (const entry of waiting) this.notified(session, entry);
  }

  private matches(session: Session): boolean {
    const { users, players, libraries, types } = this.filters;
    const details = session.details;
    const any = (wanted: string[], ...values: Array<string | null | undefined>) =>
      !wanted.length || values.some((value) => value !== null && value !== undefined && wanted.includes(value.toLowerCase()));
    return (
      any(users, details?.user.id, details?.user.title) &&
      any(players, session.player, details?.player.title) &&
      any(libraries, details?.library.id, details?.library.title) &&
      any(types, details?.type)
    );
  }

  private payload(session: Session, previousState: PlaybackState | null): PlaybackPayload {
    const details = session.details;
    return {
      state: session.state!,
      previousState,
      sessionKey: session.sessionKey,
      ratingKey: session.ratingKey ?? null,
      key: session.key ?? null,
      type: details?.type ?? null,
      title: details?.title ?? null,
      grandparentTitle: details?.grandparentTitle ?? null,
      parentTitle: details?.parentTitle ?? null,
      library: { ...(details?.library ?? { id: null, title: null }) },
      viewOffset: session.viewOffset ?? null,
      duration: details?.duration ?? null,
      user: { ...(details?.user ?? { id: null, title: null }) },
      player: { ...(details?.player ?? { title: null, product: null, platform: null, address: null, local: null }), machineIdentifier: session.player ?? null },
      server: { ...this.server },
    };
  }
}

function lookupFailed(error: unknown): PlexError {
  const message = error instanceof Error ? error.message : String(error);
  return new PlexError(`what plays now could not be asked (${message})`, { kind: error instanceof PlexError ? error.kind : 'response' });
}
