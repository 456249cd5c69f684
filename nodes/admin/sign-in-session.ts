/**
 * The dialog's sign-in: the runtime makes the PINs (a strong one for the link and the QR code,
 * a 4-character one for plex.tv/link), polls them, and hands the token to the account when one
 * is approved. One sign-in at a time per account; the token never goes to the browser.
 */
import { HttpClient, PinPoller, PlexError, type ClientIdentity, type NewPin, type PlexTvClient, type PollOutcome } from '../../src/core';
import { RouteError } from './http';

export type SignInState = 'waiting' | 'approved' | 'expired' | 'cancelled' | 'failed';

/** Whom plex.tv was asked as, and where: the only place the token it brings may go. */
export interface PlexTvTarget {
  identity: ClientIdentity;
  url: string;
}

export interface SignIn {
  readonly accountId: string;
  readonly target: PlexTvTarget;
  /** The PIN ids the dialog may follow. */
  readonly pinIds: number[];
  /** When each PIN expires (ISO 8601), by id. */
  readonly expiresAt: Record<string, string>;
  state: SignInState;
  username?: string;
  message?: string;
}

/** What a sign-in does with the token it brought; a throw fails the sign-in with that message. */
export type KeepToken = (token: string, signIn: SignIn) => Promise<void>;

interface Session extends SignIn {
  plexTv: PlexTvClient;
  http: HttpClient;
  /** Each sign-in polls its own PINs: two plex.tv URLs may hand out the same PIN ids. */
  poller: PinPoller;
  /** When the dialog last asked: a closed browser tab sends no DELETE. */
  lastSeen: number;
}

/** How often the runtime asks plex.tv about a PIN being approved from the dialog. */
const POLL_INTERVAL_MS = 2000;
/** How long a finished sign-in still answers the dialog's status request. */
const KEEP_FINISHED_MS = 10 * 60 * 1000;
/** A sign-in nobody asks about for this long is given up: the dialog is gone. */
const ABANDONED_MS = 60_000;

export class SignInSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly warn: (text: string) => void,
    /** The words for a sign-in whose account name plex.tv did not tell. */
    private readonly userUnknown: (message: string) => string,
  ) {}

  /** Polls the PINs until one is approved (then `keep` gets the token), they expire, or the sign-in is cancelled or abandoned. */
  start(accountId: string, target: PlexTvTarget, plexTv: PlexTvClient, http: HttpClient, pins: NewPin[], keep: KeepToken): SignIn {
    const session: Session = {
      accountId,
      target,
      pinIds: pins.map((pin) => pin.id),
      expiresAt: Object.fromEntries(pins.map((pin) => [String(pin.id), pin.expiresAt])),
      state: 'waiting',
      plexTv,
      http,
      lastSeen: Date.now(),
      poller: new PinPoller({
        check: (id, signal) => {
          if (Date.now() - session.lastSeen > ABANDONED_MS) {
            this.end(session, 'cancelled');
            return Promise.reject(new PlexError(`PIN ${id} is no longer wanted`, { kind: 'input' }));
          }
          return plexTv.checkPin(id, signal);
        },
        onOutcome: (outcome) => {
          this.finish(session, outcome, keep).catch((error: unknown) => this.warn(`plex-account sign-in: ${String(error)}`));
        },
        onWarning: (text) => this.warn(`plex-account sign-in: ${text}`),
      }),
    };
    const previous = this.sessions.get(accountId);
    if (previous) this.end(previous, 'cancelled');
    this.sessions.set(accountId, session);
    for (const pin of pins) session.poller.add({ id: pin.id, intervalMs: POLL_INTERVAL_MS, expiresAt: Date.parse(pin.expiresAt) });
    return session;
  }

  /** The account's sign-in that handed out this PIN id (compared as text: any id it gave, however long); else 404. */
  find(accountId: string, pinId: string, unknown: () => RouteError): SignIn {
    const session = this.sessions.get(accountId);
    if (!session || !session.pinIds.some((id) => String(id) === pinId)) throw unknown();
    session.lastSeen = Date.now();
    return session;
  }

  cancel(signIn: SignIn): void {
    const session = this.sessions.get(signIn.accountId);
    if (session === signIn) this.end(session, 'cancelled');
  }

  private end(session: Session, state: SignInState, fields: Partial<SignIn> = {}): void {
    if (session.state !== 'waiting') return;
    Object.assign(session, fields, { state });
    session.poller.stop();
    session.http.close();
    setTimeout(() => this.sessions.get(session.accountId) === session && this.sessions.delete(session.accountId), KEEP_FINISHED_MS).unref();
  }

  private async finish(session: Session, outcome: PollOutcome, keep: KeepToken): Promise<void> {
    if (session.state !== 'waiting') return;
    if (outcome.kind === 'ended') {
      // Either PIN ending alone does not end the sign-in while the other can still be approved.
      const others = session.pinIds.some((id) => session.poller.has(id));
      if (outcome.reason !== 'cancelled' && others) return;
      this.end(session, outcome.reason === 'cancelled' ? 'cancelled' : 'expired');
      return;
    }
    if (outcome.kind === 'failed') {
      this.end(session, 'failed', { message: outcome.error.message });
      return;
    }
    session.poller.stop(); // the other PIN: one token per sign-in
    const token = outcome.pin.authToken!;
    try {
      await keep(token, session);
    } catch (error) {
      this.end(session, 'failed', { message: (error as Error).message });
      return;
    }
    let username: string | undefined;
    let message: string | undefined;
    try {
      username = (await session.plexTv.getUser(token)).value.username;
    } catch (error) {
      message = this.userUnknown((error as Error).message);
    }
    this.end(session, 'approved', { username, message });
  }
}
