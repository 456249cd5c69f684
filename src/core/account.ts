/**
 * A Plex account as the nodes use it: one object for its identity, its plex.tv client, its
 * classic token (what servers get), its key device with the Plex JWT (auth "jwt"), renewal,
 * checks and "sign in again", behind a small storage port for what must last.
 *
 * Real servers refuse Plex JWTs, and a JWT issued for a client identifier ends that
 * identifier's classic token (plex-facts.md "JWT as real servers meet it"). So every account
 * signs in classic on its own identifier, and an account with auth "jwt" makes a key device
 * of its own beside it (key-device.ts): the JWT is used for plex.tv only, the classic token
 * for everything that reaches a server, until a server has shown that it takes its
 * server-scoped JWT.
 */
import { PlexError } from './errors';
import { HttpClient } from './http';
import { newClientIdentifier, type ClientIdentity } from './identity';
import { DeviceKey } from './device-key';
import { setUpKeyDevice } from './key-device';
import { PlexTvClient, DEFAULT_PLEX_TV_URL } from './plex-tv';
import { looksLikeJwt, storedJwtLifetime } from './plex-jwt';
import { TokenRenewer } from './token-renewer';
import { TokenCheckSchedule, checkToken, CHECK_FIRST_DELAY_MS, CHECK_INTERVAL_MS, CHECK_JITTER_MS, type TokenCheckResult } from './token-check';
import { TokenHealth } from './token-health';
import type { MediaServerClient } from './media-server';
import { timerDelay } from './timers';

export type AccountAuth = 'token' | 'jwt';

/** The key device of an account with auth "jwt". */
export interface KeyDeviceRecord {
  /** Its X-Plex-Client-Identifier (jwtClientIdentifier): never the account's own. */
  clientIdentifier: string;
  /** Its Ed25519 private key, PKCS#8 PEM. */
  privateKey: string;
  /** Its current Plex JWT. */
  jwt: string;
}

/** What an account keeps across restarts. */
export interface AccountRecord {
  /** The classic token: what servers get. */
  token?: string;
  keyDevice?: KeyDeviceRecord;
}

/**
 * Where an account keeps what must last. load() may answer at once (the account is usable in
 * the same tick) or later (its calls wait for it); save() never throws.
 */
export interface AccountStorage {
  load(): AccountRecord | Promise<AccountRecord>;
  save(record: AccountRecord): void;
}

export interface AccountTiming {
  /** The token check: first after this long (plus jitter), then once per interval. */
  checkFirstDelayMs: number;
  checkIntervalMs: number;
  checkJitterMs: number;
  /** The key device set-up: first this long after start (at once after a sign-in), then after each failure the next wait of the list; the last repeats. */
  keyDeviceFirstDelayMs: number;
  keyDeviceRetryMs: readonly number[];
  /** Between looks at the key device's approved PIN. */
  keyPinPollMs: number;
  /** First wait after a passing fault while renewing the JWT. */
  renewBackoffMs: number;
  /** A watched server's JWT check: first this long after it is watched, then once per interval. */
  serverCheckFirstDelayMs: number;
  serverCheckIntervalMs: number;
}

export const DEFAULT_ACCOUNT_TIMING: Readonly<AccountTiming> = Object.freeze({
  checkFirstDelayMs: CHECK_FIRST_DELAY_MS,
  checkIntervalMs: CHECK_INTERVAL_MS,
  checkJitterMs: CHECK_JITTER_MS,
  keyDeviceFirstDelayMs: CHECK_FIRST_DELAY_MS,
  // A set-up that keeps failing is tried a few times a day at most.
  keyDeviceRetryMs: [60_000, 15 * 60_000, 2 * 3600_000, 6 * 3600_000],
  keyPinPollMs: 1000,
  renewBackoffMs: 1000,
  serverCheckFirstDelayMs: 2 * CHECK_FIRST_DELAY_MS,
  serverCheckIntervalMs: CHECK_INTERVAL_MS,
});

export interface PlexAccountOptions {
  identity: ClientIdentity;
  plexTvUrl?: string;
  auth: AccountAuth;
  /** The key device's client identifier when the configuration names one (else one is made with the device). */
  keyDeviceIdentifier?: string;
  storage: AccountStorage;
  /** Words for the user: a key device that could not be made, a renewal that failed, a server back on the classic token. */
  warn?: (text: string) => void;
  /** Opened for one operation (an admin route): no schedule of its own. */
  passive?: boolean;
  timing?: Partial<AccountTiming>;
  /** Makes a key device's client identifier (a random UUID). */
  newIdentifier?: () => string;
}

/** Where the key device stands, for the dialog. */
export interface KeyDeviceState {
  state: 'none' | 'setting-up' | 'ready' | 'failed';
  clientIdentifier?: string;
  /** Epoch ms at which the JWT expires (it is renewed before). */
  expiresAt?: number;
  /** What plex.tv answered to the last set-up, and when it is tried again. */
  error?: string;
  retryAt?: number;
}

/** Whether a server of the account takes Plex JWTs, as its last check found. */
export interface ServerJwtState {
  takesJwt: boolean;
  /** Epoch ms. */
  checkedAt: number;
  /** Why not, in a few words (not a JWT account, a shared server, refused, ...). */
  reason?: string;
}

/** A server the account watches for the day it takes Plex JWTs. */
export interface WatchedServer {
  machineIdentifier: string;
  client: MediaServerClient;
}

/** Who holds the token a node calls with, as its status shows it: signed in or not, and refused or not. */
export interface TokenHolder {
  readonly health: TokenHealth;
  /** Settles once it knows whether it is signed in. */
  readonly ready: Promise<void>;
  readonly signedIn: boolean;
  /** Called when a sign-in or sign-out changes signedIn; returns how to stop listening. */
  onSignedInChange(listener: (signedIn: boolean) => void): () => void;
}

export interface AccountState {
  auth: AccountAuth;
  signedIn: boolean;
  /** The stored token is a Plex JWT an earlier version kept: servers refuse it, a new sign-in is needed. */
  legacyJwt: boolean;
  signInNeeded: boolean;
  lastCheck?: { at: number; result: TokenCheckResult };
  keyDevice: KeyDeviceState;
}

const notSignedIn = () =>
  new PlexError('the account is not signed in: sign in from its dialog (Sign in with Plex), or with plex-pin and plex-poll-token', {
    kind: 'input',
    code: 'PLEX_NOT_SIGNED_IN',
  });
const legacyRefusal = () =>
  new PlexError('the account holds a Plex JWT from an earlier version of these nodes, which Plex Media Servers refuse: sign in again from its dialog', {
    kind: 'http',
    code: 'PLEX_TOKEN_REJECTED',
    status: 401,
  });

/** One key device in use: its record, its plex.tv client and the renewer of its JWT. */
interface KeyDevice {
  record: KeyDeviceRecord;
  plexTv: PlexTvClient;
  renewer: TokenRenewer;
}

export class PlexAccount implements TokenHolder {
  readonly identity: ClientIdentity;
  /** plex.tv as this account's own identity. */
  readonly plexTv: PlexTvClient;
  readonly health = new TokenHealth();
  /** Settles once what was stored is loaded; every call waits for it. */
  readonly ready: Promise<void>;
  private readonly http = new HttpClient();
  private readonly timing: AccountTiming;
  private authMode: AccountAuth;
  private keyDeviceIdentifier?: string;
  private classic?: string;
  private legacyJwt = false;
  private device?: KeyDevice;
  /** The key device being made, and what the last try said. */
  private setUp: { running?: Promise<void>; failures: number; error?: string; retryAt?: number; timer?: NodeJS.Timeout } = { failures: 0 };
  private readonly checks: TokenCheckSchedule;
  private readonly watched = new Map<string, { server: WatchedServer; schedule: TokenCheckSchedule }>();
  private readonly serverJwts = new Map<string, ServerJwtState & { token?: string }>();
  private readonly stopping = new AbortController();
  private readonly signedInListeners = new Set<(signedIn: boolean) => void>();
  private loaded = false;

  constructor(private readonly options: PlexAccountOptions) {
    this.identity = options.identity;
    this.timing = { ...DEFAULT_ACCOUNT_TIMING, ...options.timing };
    this.authMode = options.auth;
    this.keyDeviceIdentifier = options.keyDeviceIdentifier || undefined;
    this.plexTv = new PlexTvClient(options.identity, this.http, options.plexTvUrl || DEFAULT_PLEX_TV_URL);
    this.checks = new TokenCheckSchedule({
      run: async (signal) => void (await this.checkToken(signal)),
      onError: (error) => this.warn(String(error)),
      firstDelayMs: this.timing.checkFirstDelayMs,
      intervalMs: this.timing.checkIntervalMs,
      jitterMs: this.timing.checkJitterMs,
    });
    const stored = options.storage.load();
    this.ready = stored instanceof Promise ? stored.then((record) => this.adopt(record)) : Promise.resolve(this.adopt(stored));
    // A storage that fails to load leaves the account signed out; its calls then say why.
    this.ready.catch((error: unknown) => this.warn(`the account's stored state could not be read: ${(error as Error)?.message ?? error}`));
  }

  get auth(): AccountAuth {
    return this.authMode;
  }

  /** The classic token (what servers get), once loaded; undefined when not signed in. */
  token(): string | undefined {
    return this.classic;
  }

  get signedIn(): boolean {
    return this.classic !== undefined;
  }

  onSignedInChange(listener: (signedIn: boolean) => void): () => void {
    this.signedInListeners.add(listener);
    return () => this.signedInListeners.delete(listener);
  }

  private signedInChanged(): void {
    for (const listener of this.signedInListeners) listener(this.signedIn);
  }

  state(): AccountState {
    const lastCheck = this.health.lastCheck;
    return {
      auth: this.authMode,
      signedIn: this.signedIn,
      legacyJwt: this.legacyJwt,
      signInNeeded: this.health.signInNeeded,
      ...(lastCheck ? { lastCheck } : {}),
      keyDevice: this.keyDeviceState(),
    };
  }

  private keyDeviceState(): KeyDeviceState {
    if (this.device) return { state: 'ready', clientIdentifier: this.device.record.clientIdentifier, expiresAt: this.device.renewer.jwt?.expiresAt };
    const { running, timer, error, retryAt } = this.setUp;
    if (error !== undefined) return { state: 'failed', clientIdentifier: this.keyDeviceIdentifier, error, retryAt };
    // Under way, or planned a few seconds after a start or a sign-in.
    if (running || timer) return { state: 'setting-up', clientIdentifier: this.keyDeviceIdentifier };
    return { state: 'none', clientIdentifier: this.keyDeviceIdentifier };
  }

  /**
   * Calls with the classic token: what servers get, and plex.tv's calls about the account's
   * servers. PLEX_NOT_SIGNED_IN without one. A refusal (PLEX_TOKEN_REJECTED) marks "sign in
   * again"; a later success clears it.
   */
  async withToken<T>(call: (token: string) => Promise<T>): Promise<T> {
    await this.ready;
    if (this.legacyJwt) throw legacyRefusal();
    const token = this.classic;
    if (!token) throw notSignedIn();
    return this.health.use(token, call);
  }

  /**
   * Calls plex.tv about the account itself (linking a code): as the key device with its Plex
   * JWT when it has one, renewed when it has expired, and after a 498 renewed once and retried
   * once; else, or when plex.tv refuses the JWT, as the account with the classic token. A JWT plex.tv refuses
   * means the key device was removed: it is made again later, and no flow sees that.
   */
  async withPlexTvToken<T>(call: (token: string, plexTv: PlexTvClient) => Promise<T>): Promise<T> {
    await this.ready;
    const device = this.device;
    const jwt = device && (await device.renewer.token().catch(() => undefined));
    if (device && jwt) {
      const asDevice = (token: string) => call(token, device.plexTv);
      try {
        return await asDevice(jwt);
      } catch (error) {
        if (!(error instanceof PlexError) || (error.code !== 'PLEX_TOKEN_REJECTED' && error.status !== 498)) throw error;
        if (error.status === 498) {
          const retried = await this.retryRenewed(device, jwt, asDevice);
          if (retried.done) return retried.value;
        }
        if (this.device === device) this.keyDeviceLost(`plex.tv refused its Plex JWT (${error.message})`);
      }
    }
    return this.withToken((token) => call(token, this.plexTv));
  }

  /** After a 498: one renewal, one more call. Not done when that too is refused (the caller falls back to the classic token). */
  private async retryRenewed<T>(device: KeyDevice, expired: string, call: (token: string) => Promise<T>): Promise<{ done: true; value: T } | { done: false }> {
    let renewed: string;
    try {
      renewed = await device.renewer.renewNow(expired);
    } catch {
      return { done: false };
    }
    try {
      return { done: true, value: await call(renewed) };
    } catch (error) {
      if (error instanceof PlexError && (error.code === 'PLEX_TOKEN_REJECTED' || error.status === 498)) return { done: false };
      throw error;
    }
  }

  /**
   * Calls a server: with its server-scoped Plex JWT once the server has shown that it takes
   * one, else with the classic token. A server that refuses the JWT is back on the classic
   * token at once and the call is made again with it: no error for the flow.
   */
  async withServerToken<T>(machineIdentifier: string | undefined, call: (token: string) => Promise<T>): Promise<T> {
    await this.ready;
    const known = machineIdentifier ? this.serverJwts.get(machineIdentifier) : undefined;
    if (machineIdentifier && known?.token) {
      try {
        return await call(known.token);
      } catch (error) {
        if (!(error instanceof PlexError) || error.code !== 'PLEX_TOKEN_REJECTED') throw error;
        this.serverJwts.set(machineIdentifier, { takesJwt: false, checkedAt: Date.now(), reason: 'it refused a call with the Plex JWT' });
        this.warn(`server ${machineIdentifier} refused its Plex JWT (${error.message}): it gets the classic token again`);
      }
    }
    return this.withToken(call);
  }

  /** Keeps a new classic token (a sign-in); an account with auth "jwt" then makes its key device. */
  signIn(token: string): void {
    this.classic = token;
    this.legacyJwt = false;
    // The key device of the previous sign-in may belong to another Plex user.
    this.dropKeyDevice();
    this.setUp.failures = 0;
    this.setUp.error = undefined;
    this.health.tokenChanged();
    this.save();
    this.signedInChanged();
    this.scheduleWork(0);
  }

  /** Forgets the token and the key device. */
  signOut(): void {
    this.classic = undefined;
    this.legacyJwt = false;
    this.dropKeyDevice();
    this.health.tokenChanged();
    this.save();
    this.signedInChanged();
    this.scheduleWork();
  }

  /**
   * Makes the key device now ("Move to JWT", or the dialog's Try again); the classic token keeps
   * working whatever happens. Rejects with what plex.tv answered when it fails (it is then
   * tried again later).
   */
  async moveToJwt(keyDeviceIdentifier?: string): Promise<KeyDeviceState> {
    await this.ready;
    if (!this.classic) throw notSignedIn();
    this.authMode = 'jwt';
    if (keyDeviceIdentifier && !this.device) this.keyDeviceIdentifier = keyDeviceIdentifier;
    if (!this.device) await this.makeKeyDevice();
    const state = this.keyDeviceState();
    if (state.state === 'failed') throw new PlexError(state.error ?? 'the key device could not be made', { kind: 'response' });
    return state;
  }

  /** "Back to classic": forgets the key device; the classic token goes on. */
  async backToClassic(): Promise<void> {
    await this.ready;
    this.authMode = 'token';
    this.dropKeyDevice();
    this.setUp.error = undefined;
    this.save();
    this.scheduleWork();
  }

  /** Asks plex.tv now whether it takes the classic token (what servers need) and records the answer; undefined when signed out. */
  async checkToken(signal?: AbortSignal): Promise<TokenCheckResult | undefined> {
    await this.ready;
    const token = this.classic;
    if (!token) return undefined;
    const ticket = this.health.ticket();
    const result = await checkToken(this.plexTv, token, signal, (call) => this.health.use(token, call));
    if (!signal?.aborted) this.health.checkedWith(ticket, result);
    return result;
  }

  /** What the last JWT check of a server found; undefined before one. */
  serverJwtState(machineIdentifier: string): ServerJwtState | undefined {
    const known = this.serverJwts.get(machineIdentifier);
    if (!known) return undefined;
    const { token: _token, ...state } = known;
    return state;
  }

  /**
   * Watches a server for the day it takes Plex JWTs: checked after a while, then daily (auth
   * "jwt" only). Returns how to stop watching.
   */
  watchServer(server: WatchedServer): () => void {
    const { machineIdentifier } = server;
    this.watched.get(machineIdentifier)?.schedule.stop();
    const schedule = new TokenCheckSchedule({
      run: async (signal) => void (await this.checkServerJwt(server, signal)),
      onError: (error) => this.warn(String(error)),
      firstDelayMs: this.timing.serverCheckFirstDelayMs,
      intervalMs: this.timing.serverCheckIntervalMs,
      jitterMs: this.timing.checkJitterMs,
    });
    const entry = { server, schedule };
    this.watched.set(machineIdentifier, entry);
    if (!this.options.passive)
      this.ready.then(
        () => this.watched.get(machineIdentifier) === entry && !this.stopping.signal.aborted && schedule.start(),
        () => undefined,
      );
    return () => {
      schedule.stop();
      if (this.watched.get(machineIdentifier) === entry) this.watched.delete(machineIdentifier);
    };
  }

  /**
   * Checks whether a server takes its server-scoped Plex JWT: the accessToken plex.tv lists for
   * it when asked with the account's JWT, sent only to the address in use once that address has
   * answered /identity as this server. A 200 moves the server to JWTs; a refusal keeps it on the
   * classic token. Faults on the way are thrown and change nothing.
   */
  async checkServerJwt(server: WatchedServer, signal?: AbortSignal): Promise<ServerJwtState> {
    await this.ready;
    const { machineIdentifier, client } = server;
    const record = (state: ServerJwtState & { token?: string }) => {
      this.serverJwts.set(machineIdentifier, state);
      const { token: _token, ...shown } = state;
      return shown;
    };
    const device = this.device;
    const jwt = device && (await device.renewer.token().catch(() => undefined));
    if (!device || !jwt)
      return record({
        takesJwt: false,
        checkedAt: Date.now(),
        reason: this.authMode === 'jwt' ? 'the account has no Plex JWT yet' : 'the account uses the classic token',
      });
    const listed = (await device.plexTv.servers(jwt, signal)).value.find((each) => each.machineIdentifier === machineIdentifier);
    if (!listed) return record({ takesJwt: false, checkedAt: Date.now(), reason: 'plex.tv does not list this server for the account' });
    if (!looksLikeJwt(listed.accessToken)) return record({ takesJwt: false, checkedAt: Date.now(), reason: 'plex.tv gives a classic token for this server' });
    if (!(await client.answersAs(machineIdentifier, signal))) {
      throw new PlexError(`the address in use (${client.address}) does not answer as server ${machineIdentifier}: no Plex JWT was sent there`, {
        kind: 'response',
      });
    }
    const takesJwt = await client.takesToken(listed.accessToken, signal);
    return record(
      takesJwt ? { takesJwt, checkedAt: Date.now(), token: listed.accessToken } : { takesJwt, checkedAt: Date.now(), reason: 'it refused the Plex JWT' },
    );
  }

  /** Stops every timer and request of the account; nothing it started is left. */
  close(): void {
    this.stopping.abort();
    this.checks.stop();
    for (const { schedule } of this.watched.values()) schedule.stop();
    this.watched.clear();
    clearTimeout(this.setUp.timer);
    this.device?.renewer.stop();
    this.http.close();
  }

  // --- Loading, saving and the work an account does by itself ---

  private adopt(record: AccountRecord): void {
    this.classic = record.token || undefined;
    if (this.classic && looksLikeJwt(this.classic)) {
      // Saved by version 0.2, which signed in with a key on the account's own identifier: that JWT ended its classic token.
      this.classic = undefined;
      this.legacyJwt = true;
      this.health.refused(this.health.ticket());
    }
    const stored = record.keyDevice;
    const fits = stored && this.classic && this.authMode === 'jwt' && (!this.keyDeviceIdentifier || this.keyDeviceIdentifier === stored.clientIdentifier);
    this.loaded = true;
    if (stored && fits) {
      this.keyDeviceIdentifier = stored.clientIdentifier;
      // Counts as the set-up under way: no new key device is made while the stored one is read.
      this.setUp.running = this.useKeyDevice(stored)
        .catch((error: unknown) => this.warn(`the stored key device cannot be used (${(error as Error)?.message ?? error}); a new one is made`))
        .finally(() => {
          this.setUp.running = undefined;
          if (!this.device) this.save();
          this.scheduleWork(this.timing.keyDeviceFirstDelayMs);
        });
    } else if (stored) {
      this.save(); // auth "token" now, or another key device identifier configured: the old one goes
    }
    this.scheduleWork(this.timing.keyDeviceFirstDelayMs);
  }

  /** Starts, stops or plans what the account does by itself: checking its token, making its key device. */
  private scheduleWork(keyDeviceInMs = 0): void {
    if (this.options.passive || !this.loaded || this.stopping.signal.aborted) return;
    if (this.classic) this.checks.start();
    else this.checks.stop();
    clearTimeout(this.setUp.timer);
    this.setUp.timer = undefined;
    if (this.authMode === 'jwt' && this.classic && !this.device && !this.setUp.running) {
      this.setUp.timer = setTimeout(() => void this.makeKeyDevice(), timerDelay(keyDeviceInMs));
    }
  }

  private save(): void {
    if (!this.loaded) return;
    const record: AccountRecord = {};
    if (this.classic) record.token = this.classic;
    if (this.device) record.keyDevice = { ...this.device.record };
    this.options.storage.save(record);
  }

  private warn(text: string): void {
    try {
      this.options.warn?.(text);
    } catch {
      // nowhere to say it
    }
  }

  /** Makes the key device (one try at a time); a failure is said once and tried again later. */
  private makeKeyDevice(): Promise<void> {
    this.setUp.running ??= this.trySetUp().finally(() => {
      this.setUp.running = undefined;
    });
    return this.setUp.running;
  }

  private async trySetUp(): Promise<void> {
    clearTimeout(this.setUp.timer);
    this.setUp.timer = undefined;
    const token = this.classic;
    if (!token || this.device || this.stopping.signal.aborted) return;
    const identity = { ...this.identity, clientIdentifier: (this.keyDeviceIdentifier ??= (this.options.newIdentifier ?? newClientIdentifier)()) };
    try {
      const key = await DeviceKey.generate();
      const plexTv = new PlexTvClient(identity, this.http, this.plexTv.baseUrl.href);
      const jwt = await setUpKeyDevice({
        device: plexTv,
        key,
        approve: (code) => this.health.use(token, (current) => this.plexTv.approvePin(code, current, this.stopping.signal)),
        pollIntervalMs: this.timing.keyPinPollMs,
        signal: this.stopping.signal,
      });
      if (this.classic !== token || this.stopping.signal.aborted) return; // signed in again, or out, meanwhile
      this.startKeyDevice({ clientIdentifier: identity.clientIdentifier, privateKey: key.exportPrivateKey(), jwt: jwt.token }, plexTv, key, jwt);
      this.setUp = { failures: 0 };
      this.save();
    } catch (error) {
      if (this.stopping.signal.aborted || this.classic !== token) return;
      const failures = this.setUp.failures + 1;
      const waits = this.timing.keyDeviceRetryMs;
      const waitMs = waits[Math.min(failures, waits.length) - 1];
      const message = (error as Error)?.message ?? String(error);
      this.setUp = { failures, error: message, retryAt: Date.now() + waitMs };
      this.warn(
        `the key device for the Plex JWT could not be made (${message}); the classic token works as before; trying again in ${Math.round(waitMs / 60_000)} min`,
      );
      if (!this.options.passive) this.setUp.timer = setTimeout(() => void this.makeKeyDevice(), timerDelay(waitMs));
    }
  }

  /** A stored key device: its key read, its JWT renewed from now on. */
  private async useKeyDevice(record: KeyDeviceRecord): Promise<void> {
    const key = await DeviceKey.fromPrivateKey(record.privateKey);
    const lifetime = await storedJwtLifetime(record.jwt);
    if (!lifetime) throw new PlexError('its JWT cannot be read', { kind: 'input' });
    if (this.stopping.signal.aborted || this.device) return;
    const plexTv = new PlexTvClient({ ...this.identity, clientIdentifier: record.clientIdentifier }, this.http, this.plexTv.baseUrl.href);
    this.startKeyDevice(record, plexTv, key, lifetime);
  }

  private startKeyDevice(record: KeyDeviceRecord, plexTv: PlexTvClient, key: DeviceKey, jwt: Parameters<TokenRenewer['start']>[0]): void {
    /** Whether a run of renewal faults was said already: once per run, not once per retry. */
    let faultSaid = false;
    const device: KeyDevice = {
      record,
      plexTv,
      renewer: new TokenRenewer({
        renew: (signal) => plexTv.obtainPlexJwt(key, signal),
        onRenewed: (renewed) => {
          faultSaid = false;
          device.record = { ...device.record, jwt: renewed.token };
          this.save();
        },
        onRejected: (error) => this.keyDeviceLost(`plex.tv refused to renew its Plex JWT (${error.message})`),
        onFault: (error, retryInMs) => {
          // plex.tv no longer knows the key: the device was removed. Waiting mends nothing; a new key device does.
          if (error.status === 422 && /signature/i.test(error.plexMessage ?? ''))
            return this.keyDeviceLost(`plex.tv no longer knows its key (${error.message})`);
          if (!faultSaid)
            this.warn(
              `renewing the Plex JWT failed for now (${error.message}); trying again in ${Math.round(retryInMs / 1000)} s, the classic token works meanwhile`,
            );
          faultSaid = true;
        },
        backoffMs: this.timing.renewBackoffMs,
      }),
    };
    this.device = device;
    device.renewer.start(jwt);
  }

  /** The key device no longer works: forgotten, made again later; the classic token goes on. */
  private keyDeviceLost(why: string): void {
    if (!this.device) return;
    this.warn(`the account's key device stopped working: ${why}; the classic token works as before, and a new key device is made`);
    this.dropKeyDevice();
    this.save();
    this.scheduleWork(this.timing.keyDeviceRetryMs[0]);
  }

  private dropKeyDevice(): void {
    this.device?.renewer.stop();
    this.device = undefined;
    for (const [machineIdentifier, state] of this.serverJwts)
      if (state.token) this.serverJwts.set(machineIdentifier, { takesJwt: false, checkedAt: state.checkedAt, reason: 'the account has no Plex JWT now' });
  }
}
