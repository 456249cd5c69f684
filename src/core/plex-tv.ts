import { type ClientIdentity, identityHeaders } from './identity';
import { HttpClient } from './http';
import { ResponseSchema, type Checked } from './validate';
import * as schemas from './schemas';
import { PlexError, inputError } from './errors';
import { checkedServers, type AccountServerWithToken } from './resources';
import type { DeviceKey, PublicJwk } from './device-key';
import { PlexJwtKeys, looksLikeJwt, verifyPlexJwt, type VerifiedPlexJwt } from './plex-jwt';
import { readPlexDate } from './plex-date';
import { baseUrlPath, parseBaseUrl, type BaseUrlProblem } from '../shared/base-url';

export const DEFAULT_PLEX_TV_URL = 'https://plex.tv';
/** The page where a 4-character PIN is typed in. */
export const LINK_URL = 'https://plex.tv/link';
const AUTH_PAGE = 'https://app.plex.tv/auth';
/** X-Plex-Product for linking a code, as python-plexapi and @ctrl/plex send it. */
const LINK_PRODUCT = 'Plex SSO';

interface PinBody {
  id: number;
  code: string;
  qr?: string;
  expiresIn?: number;
  expiresAt?: string;
  clientIdentifier?: string;
  authToken?: string | null;
  newRegistration?: boolean | null;
}

interface UserBody {
  id?: number;
  uuid?: string;
  username: string;
  title?: string;
  email?: string;
}

const pinSchema = new ResponseSchema<PinBody>('plex.tv PIN', schemas.pin);
const userSchema = new ResponseSchema<UserBody>('plex.tv user', schemas.user);

/** What plex-pin sends: everything a person needs to approve the PIN. */
export interface NewPin {
  id: number;
  code: string;
  strong: boolean;
  authUrl: string;
  qr: string;
  expiresAt: string;
  expiresIn: number;
  clientIdentifier: string;
}

/** One look at a PIN while waiting for its approval. */
export interface PinState {
  id: number;
  /** null until the user approves the PIN. */
  authToken: string | null;
  expiresAt?: string;
  newRegistration?: boolean | null;
}

export interface PlexUser {
  id?: number;
  uuid?: string;
  username: string;
  title?: string;
  email?: string;
}

/** A PIN id as a flow may give it: a positive whole number, or such a number in a string. */
export function parsePinId(value: unknown): number {
  const id = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw inputError(`PIN id must be a positive whole number, got ${shown(value)}`);
  }
  return id;
}

/** What plex-link-code sends: the code it approved. */
export interface LinkedCode {
  code: string;
  linked: true;
}

/**
 * A code another device shows, as a flow may give it: trimmed and upper-cased (plex.tv
 * shows upper case, people type either); else an input error that names the problem.
 */
export function parseLinkCode(value: unknown): string {
  if (typeof value !== 'string') throw inputError(`Code must be a string of 4 letters or digits, got ${typeNamed(value)}`);
  const code = value.trim().toUpperCase();
  if (!code) throw inputError('Code is empty: give the 4 letters or digits the other device shows');
  // A long string may be a token wired here by mistake: its length is all the message shows.
  if (code.length !== 4) throw inputError(`Code must be 4 characters long, got ${code.length}${code.length <= 8 ? `: ${shown(code)}` : ''}`);
  if (!/^[A-Z0-9]{4}$/.test(code)) throw inputError(`Code may hold only letters A-Z and digits 0-9, got ${shown(code)}`);
  return code;
}

/** What a flow's value is, for a message that must not show its content (an object may hold a token). */
function typeNamed(value: unknown): string {
  if (['number', 'bigint', 'boolean', 'undefined'].includes(typeof value) || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A flow's value for a message: a short string as it is, else only what it is. An object or a
 * long string may be a token wired here by mistake (a plex-poll-token output): never shown.
 */
function shown(value: unknown): string {
  if (typeof value === 'string') return value.length <= 8 ? `"${value}"` : `a string of ${value.length} characters`;
  return typeNamed(value);
}

/** The app.plex.tv page that approves a strong PIN for this client, as Plex documents it. */
export function buildAuthUrl(identity: ClientIdentity, code: string, forwardUrl?: string): string {
  const headers = identityHeaders(identity);
  const params: [string, string][] = [
    ['clientID', identity.clientIdentifier],
    ['code', code],
    ['context[device][product]', headers['X-Plex-Product']],
    ['context[device][version]', headers['X-Plex-Version']],
    ['context[device][platform]', headers['X-Plex-Platform']],
    ['context[device][platformVersion]', headers['X-Plex-Platform-Version']],
    ['context[device][device]', headers['X-Plex-Device']],
    ['context[device][deviceName]', headers['X-Plex-Device-Name']],
  ];
  if (forwardUrl) params.push(['forwardUrl', forwardUrl]);
  const query = params.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
  return `${AUTH_PAGE}#?${query}`;
}

/**
 * When a PIN expires: from expiresAt (in either of Plex's forms), else from expiresIn (the
 * schema keeps that within a year, so the date is always valid); undefined when the answer
 * gives neither in usable form. An expiresAt without an offset is read as UTC, with a warning.
 */
function expiryOf(body: PinBody, now: number): { expiresAt: string; expiresIn: number; warning?: string } | undefined {
  const at = body.expiresAt === undefined ? undefined : readPlexDate(body.expiresAt, 'expiresAt');
  if (at) {
    const expiresIn = body.expiresIn ?? Math.round((at.epochMs - now) / 1000);
    return { expiresAt: new Date(at.epochMs).toISOString(), expiresIn, ...(at.warning ? { warning: `plex.tv PIN: ${at.warning}` } : {}) };
  }
  if (body.expiresIn === undefined) return undefined;
  return { expiresAt: new Date(now + body.expiresIn * 1000).toISOString(), expiresIn: body.expiresIn };
}

/** The schema's warnings and the expiry's, if any. */
function withExpiryWarning(warnings: string[], expiry: { warning?: string } | undefined): string[] {
  return expiry?.warning ? [...warnings, expiry.warning] : warnings;
}

/** A base URL that only an absolute http(s) URL passes, with any trailing slash removed. */
export function normaliseBaseUrl(value: string, what: string): URL {
  const { url, problem } = parseBaseUrl(value);
  if (!url) throw inputError(BASE_URL_PROBLEMS[problem](what, value));
  url.pathname = baseUrlPath(url);
  return url;
}

const BASE_URL_PROBLEMS: Record<BaseUrlProblem, (what: string, value: string) => string> = {
  'not-url': (what, value) => `${what} "${value.slice(0, 80)}" is not a URL`,
  scheme: (what) => `${what} must start with http:// or https://`,
  credentials: (what) => `${what} must not contain a user name or password`,
  query: (what) => `${what} must not have a query or fragment`,
};

/** Plex's host for PINs made with a key and the /auth calls, used with the default plexTvUrl. */
export const JWT_PLEX_TV_URL = 'https://clients.plex.tv';
/** Kept plex.tv keys are fetched again for a JWT none of them verifies, at most this often. */
const KEYS_REFETCH_AFTER_MS = 60_000;
const nonceSchema = new ResponseSchema<{ nonce: string }>('plex.tv nonce', schemas.authNonce);
const authTokenSchema = new ResponseSchema<{ auth_token: string }>('plex.tv auth token', schemas.authToken);
const authKeysSchema = new ResponseSchema<{ keys: unknown[] }>('plex.tv keys', schemas.authKeys);

/** A PIN made with a key; once approved, its authToken is a verified Plex JWT. */
export interface KeyPinState extends PinState {
  jwt?: VerifiedPlexJwt;
}

/** plex.tv's PIN and account operations for one client identity. */
export class PlexTvClient {
  /** The account's own plex.tv: the only place its token goes (resources.ts asks it too). */
  readonly baseUrl: URL;

  /** Built once: every call carries the same identity (PINs are polled every second or two). */
  private readonly headers: Readonly<Record<string, string>>;
  private readonly apiBase: string;

  constructor(
    private readonly identity: ClientIdentity,
    private readonly http: HttpClient,
    plexTvUrl: string = DEFAULT_PLEX_TV_URL,
  ) {
    this.baseUrl = normaliseBaseUrl(plexTvUrl || DEFAULT_PLEX_TV_URL, 'plex.tv URL');
    this.apiBase = `${this.baseUrl.href.replace(/\/$/, '')}/api/v2`;
    this.headers = identityHeaders(identity);
  }

  private url(path: string): URL {
    return new URL(`${this.apiBase}${path}`);
  }

  /** Asks for a new PIN: strong for the app.plex.tv page, else 4 characters for plex.tv/link. */
  async createPin(options: { strong: boolean; forwardUrl?: string; signal?: AbortSignal }): Promise<Checked<NewPin>> {
    const url = this.url('/pins');
    if (options.strong) url.searchParams.set('strong', 'true');
    const response = await this.http.request({
      method: 'POST',
      url,
      headers: this.headers,
      signal: options.signal,
      peer: 'plex.tv',
    });
    return this.newPinOf(response.body, options.strong, options.forwardUrl);
  }

  private newPinOf(answer: unknown, strong: boolean, forwardUrl: string | undefined): Checked<NewPin> {
    const { value: body, warnings } = pinSchema.check(answer);
    const expiry = expiryOf(body, Date.now());
    if (!expiry) {
      // Sending it on would hand the flow a PIN that looks expired already.
      throw new PlexError('plex.tv PIN: fields expiresAt and expiresIn are both missing or unreadable', { kind: 'response', field: 'expiresAt' });
    }
    const { expiresAt, expiresIn } = expiry;
    return {
      value: {
        id: body.id,
        code: body.code,
        strong,
        authUrl: strong ? buildAuthUrl(this.identity, body.code, forwardUrl) : LINK_URL,
        qr: body.qr ?? `${DEFAULT_PLEX_TV_URL}/api/v2/pins/qr/${encodeURIComponent(body.code)}`,
        expiresAt,
        expiresIn,
        clientIdentifier: this.identity.clientIdentifier,
      },
      warnings: withExpiryWarning(warnings, expiry),
    };
  }

  /** Looks at a PIN; its authToken is a string once the user has approved it. */
  async checkPin(id: number, signal?: AbortSignal): Promise<Checked<PinState>> {
    const response = await this.http.request({
      method: 'GET',
      url: this.url(`/pins/${id}`),
      headers: this.headers,
      signal,
      peer: 'plex.tv',
    });
    return this.pinStateOf(response.body);
  }

  private pinStateOf(answer: unknown): Checked<PinState> {
    const { value: body, warnings } = pinSchema.check(answer);
    const state: PinState = { id: body.id, authToken: body.authToken ?? null };
    const expiry = expiryOf(body, Date.now());
    if (expiry) state.expiresAt = expiry.expiresAt;
    if (body.newRegistration !== undefined) state.newRegistration = body.newRegistration;
    return { value: state, warnings: withExpiryWarning(warnings, expiry) };
  }

  /**
   * Approves, as the account whose token this is, a 4-character code that another device
   * shows (what plex.tv/link does). An unknown or expired code is a PlexError that says so.
   */
  async linkCode(code: unknown, token: string, signal?: AbortSignal): Promise<LinkedCode> {
    const linkable = parseLinkCode(code);
    try {
      await this.putLink(linkable, token, signal);
    } catch (error) {
      throw unknownCodeError(error, linkable);
    }
    return { code: linkable, linked: true };
  }

  /**
   * Approves, as the account whose token this is, a PIN of our own (the account's key device's
   * strong PIN), so that no person has to: the same call as linking a code.
   */
  async approvePin(code: string, token: string, signal?: AbortSignal): Promise<void> {
    await this.putLink(code, token, signal);
  }

  private async putLink(code: string, token: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'PUT',
      url: this.url('/pins/link'),
      // Both client libraries link as "Plex SSO", as plex.tv/link itself does.
      headers: identityHeaders({ ...this.identity, product: LINK_PRODUCT }),
      token,
      body: { contentType: 'application/x-www-form-urlencoded', content: new URLSearchParams({ code }).toString() },
      // 200, 201 or 204: plex.tv documents no body for a linked code.
      bodyOptional: true,
      signal,
      peer: 'plex.tv',
    });
  }

  /** The account's servers (GET /api/v2/resources), owned and shared, with their connections best first. */
  async servers(token: string, signal?: AbortSignal): Promise<Checked<AccountServerWithToken[]>> {
    const url = this.url('/resources');
    for (const include of ['includeHttps', 'includeRelay', 'includeIPv6']) url.searchParams.set(include, '1');
    const response = await this.http.request({ method: 'GET', url, headers: this.headers, token, signal, peer: 'plex.tv' });
    return checkedServers(response.body);
  }

  /** The account behind a token; a 401 PlexError when plex.tv no longer accepts it. */
  async getUser(token: string, signal?: AbortSignal): Promise<Checked<PlexUser>> {
    const response = await this.http.request({
      method: 'GET',
      url: this.url('/user'),
      headers: this.headers,
      token,
      signal,
      peer: 'plex.tv',
    });
    const { value: body, warnings } = userSchema.check(response.body);
    const { id, uuid, username, title, email } = body;
    return { value: { id, uuid, username, title, email }, warnings };
  }

  // --- JWT sign-in: a device key and Plex JWTs (plex-jwt-discovery.openapi.yaml) ---

  /** plex.tv's keys, fetched once and kept (see plexJwtKeys). */
  private jwtKeys?: Promise<PlexJwtKeys>;

  /** With the default plex.tv, the key and JWT calls go to Plex's host for them; any other base URL keeps them. */
  /** Whether this is plex.tv itself, not a stand-in at another URL. */
  private get isPlexTv(): boolean {
    return this.baseUrl.href === new URL(DEFAULT_PLEX_TV_URL).href;
  }

  /**
   * The page where a person approves this PIN: its authUrl (app.plex.tv, or plex.tv/link for a
   * 4-character code) on plex.tv itself; the same pages of another plex.tv URL, such as a
   * stand-in, so that a demo or a test never sends a person to the real plex.tv.
   */
  approvalPageOf(pin: NewPin): string {
    if (this.isPlexTv) return pin.authUrl;
    const base = this.baseUrl.href.replace(/\/$/, '');
    return pin.strong ? pin.authUrl.replace(AUTH_PAGE, `${base}/auth`) : `${base}/link`;
  }

  private jwtUrl(path: string): URL {
    return this.isPlexTv ? new URL(`${JWT_PLEX_TV_URL}/api/v2${path}`) : this.url(path);
  }

  /** A call of the key and JWT API: a JSON body when given; an answer without a body (204) is fine. */
  private jwtRequest(method: 'GET' | 'POST', url: URL, options: { json?: unknown; token?: string; signal?: AbortSignal }) {
    const { json, token, signal } = options;
    const body = json === undefined ? undefined : { contentType: 'application/json', content: JSON.stringify(json) };
    return this.http.request({ method, url, headers: this.headers, peer: 'plex.tv', body, bodyOptional: true, token, signal });
  }

  /** A PIN bound to the device's public key: once approved it yields a Plex JWT (see checkPinWithKey). */
  async createPinWithKey(options: { jwk: PublicJwk; strong: boolean; forwardUrl?: string; signal?: AbortSignal }): Promise<Checked<NewPin>> {
    const json = options.strong ? { jwk: options.jwk, strong: true } : { jwk: options.jwk };
    const response = await this.jwtRequest('POST', this.jwtUrl('/pins'), { json, signal: options.signal });
    return this.newPinOf(response.body, options.strong, options.forwardUrl);
  }

  /**
   * Looks at a PIN made with a key, showing a device JWT of that PIN's own (deviceJwtFor). An
   * approved PIN's token must be a Plex JWT for this device: it is verified (verifyPlexJwt)
   * before it is handed on, and a classic token handed back instead (plex.tv does that when the
   * key did not take) is a fault, never taken for the JWT.
   */
  async checkPinWithKey(id: number, auth: { deviceJwt: string; kid: string }, signal?: AbortSignal): Promise<Checked<KeyPinState>> {
    const url = this.jwtUrl(`/pins/${id}`);
    url.searchParams.set('deviceJWT', auth.deviceJwt);
    const response = await this.jwtRequest('GET', url, { signal });
    const { value: state, warnings } = this.pinStateOf(response.body);
    if (!state.authToken) return { value: state, warnings };
    if (!looksLikeJwt(state.authToken)) {
      throw new PlexError('plex.tv handed back a classic token where the Plex JWT of the key device was expected', { kind: 'response', field: 'authToken' });
    }
    const jwt = await this.verifyPlexJwt(state.authToken, auth.kid, signal);
    return { value: { ...state, jwt }, warnings };
  }

  /** A one-time nonce (5 minutes). */
  async getNonce(signal?: AbortSignal): Promise<string> {
    const response = await this.jwtRequest('GET', this.jwtUrl('/auth/nonce'), { signal });
    return nonceSchema.check(response.body).value.nonce;
  }

  /** A device JWT on a fresh nonce: for one PIN's polls, or for one exchange. */
  async deviceJwtFor(key: DeviceKey, signal?: AbortSignal): Promise<string> {
    const nonce = await this.getNonce(signal);
    return key.signDeviceJwt({ nonce, clientIdentifier: this.identity.clientIdentifier });
  }

  /** Exchanges a device JWT for a Plex JWT (7 days), verified before it is returned. */
  async exchangeDeviceJwt(deviceJwt: string, kid: string, signal?: AbortSignal): Promise<VerifiedPlexJwt> {
    const response = await this.jwtRequest('POST', this.jwtUrl('/auth/token'), { json: { jwt: deviceJwt }, signal });
    const token = authTokenSchema.check(response.body).value.auth_token;
    return this.verifyPlexJwt(token, kid, signal);
  }

  /** A new Plex JWT with nothing but the device key: nonce, device JWT, exchange, verification. */
  async obtainPlexJwt(key: DeviceKey, signal?: AbortSignal): Promise<VerifiedPlexJwt> {
    return this.exchangeDeviceJwt(await this.deviceJwtFor(key, signal), key.kid, signal);
  }

  /** Registers the device's public key for the account of a (classic) token; then obtainPlexJwt. */
  async registerDeviceKey(token: string, jwk: PublicJwk, signal?: AbortSignal): Promise<void> {
    await this.jwtRequest('POST', this.jwtUrl('/auth/jwk'), { json: { jwk }, token, signal });
  }

  /** plex.tv's public keys, fetched now. */
  async getAuthKeys(signal?: AbortSignal): Promise<PlexJwtKeys> {
    const response = await this.jwtRequest('GET', this.jwtUrl('/auth/keys'), { signal });
    return PlexJwtKeys.from(authKeysSchema.check(response.body).value.keys);
  }

  /** The kept keys; a failed fetch is not kept, so the next call asks again. */
  private plexJwtKeys(signal?: AbortSignal): Promise<PlexJwtKeys> {
    const keys = (this.jwtKeys ??= this.getAuthKeys(signal));
    keys.catch(() => {
      if (this.jwtKeys === keys) this.jwtKeys = undefined;
    });
    return keys;
  }

  /**
   * Verifies a Plex JWT with plex.tv's kept keys. When none matches and the keys are older
   * than a minute, they are fetched again once (plex.tv may have added one); a forged token
   * thus costs at most one fetch a minute.
   */
  async verifyPlexJwt(token: string, kid: string, signal?: AbortSignal): Promise<VerifiedPlexJwt> {
    const expect = { clientIdentifier: this.identity.clientIdentifier, kid };
    const keys = await this.plexJwtKeys(signal);
    try {
      return await verifyPlexJwt(token, keys, expect);
    } catch (error) {
      if ((error as PlexError).field !== 'signature' || Date.now() - keys.fetchedAt < KEYS_REFETCH_AFTER_MS) throw error;
      this.jwtKeys = undefined;
      return verifyPlexJwt(token, await this.plexJwtKeys(signal), expect);
    }
  }
}

/**
 * plex.tv answers an unknown or expired code with 404 (or 400 or 422): say so, with its own
 * words. A 422 about the token ("Invalid token") stays what it is: the account needs a new sign-in.
 */
function unknownCodeError(error: unknown, code: string): unknown {
  if (!(error instanceof PlexError) || error.kind !== 'http') return error;
  const { status, plexCode, plexMessage } = error;
  const aboutCode = status === 404 || ((status === 400 || status === 422) && !/token/i.test(plexMessage ?? ''));
  if (!aboutCode) return error;
  return new PlexError(`Code ${code} is unknown or expired: ${error.message}`, { kind: 'http', status, plexCode, plexMessage });
}
