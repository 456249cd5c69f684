import { type ClientIdentity, identityHeaders } from './identity';
import { HttpClient } from './http';
import { ResponseSchema, type Checked } from './validate';
import * as schemas from './schemas';
import { PlexError, inputError } from './errors';

export const DEFAULT_PLEX_TV_URL = 'https://plex.tv';
/** The page where a 4-character PIN is typed in. */
export const LINK_URL = 'https://plex.tv/link';
const AUTH_PAGE = 'https://app.plex.tv/auth';

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

/** A flow's value, short, for a message: never throws (circular objects, BigInts inside). */
function shown(value: unknown): string {
  if (typeof value === 'string') return `"${value.slice(0, 40)}"`;
  if (typeof value !== 'object' || value === null) return String(value).slice(0, 40);
  try {
    return JSON.stringify(value).slice(0, 40);
  } catch {
    return Array.isArray(value) ? 'an array' : 'an object';
  }
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
 * When a PIN expires: from expiresAt, else from expiresIn (the schema keeps that within a
 * year, so the date is always valid); undefined when the answer gives neither in usable form.
 */
function expiryOf(body: PinBody, now: number): { expiresAt: string; expiresIn: number } | undefined {
  const at = body.expiresAt === undefined ? NaN : Date.parse(body.expiresAt);
  if (!Number.isNaN(at)) return { expiresAt: new Date(at).toISOString(), expiresIn: body.expiresIn ?? Math.round((at - now) / 1000) };
  if (body.expiresIn === undefined) return undefined;
  return { expiresAt: new Date(now + body.expiresIn * 1000).toISOString(), expiresIn: body.expiresIn };
}

/** A base URL that only an absolute http(s) URL passes, with any trailing slash removed. */
export function normaliseBaseUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw inputError(`${what} "${value.slice(0, 80)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw inputError(`${what} must start with http:// or https://`);
  if (url.username || url.password) throw inputError(`${what} must not contain a user name or password`);
  if (url.search || url.hash) throw inputError(`${what} must not have a query or fragment`);
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** plex.tv's PIN and account operations for one client identity. */
export class PlexTvClient {
  /** The account's own plex.tv: the only place its token goes (resources.ts asks it too). */
  readonly baseUrl: URL;

  constructor(
    private readonly identity: ClientIdentity,
    private readonly http: HttpClient,
    plexTvUrl: string = DEFAULT_PLEX_TV_URL,
  ) {
    this.baseUrl = normaliseBaseUrl(plexTvUrl || DEFAULT_PLEX_TV_URL, 'plex.tv URL');
  }

  private url(path: string): URL {
    return new URL(`${this.baseUrl.href.replace(/\/$/, '')}/api/v2${path}`);
  }

  /** Asks for a new PIN: strong for the app.plex.tv page, else 4 characters for plex.tv/link. */
  async createPin(options: { strong: boolean; forwardUrl?: string; signal?: AbortSignal }): Promise<Checked<NewPin>> {
    const url = this.url('/pins');
    if (options.strong) url.searchParams.set('strong', 'true');
    const response = await this.http.request({
      method: 'POST',
      url,
      headers: identityHeaders(this.identity),
      signal: options.signal,
      peer: 'plex.tv',
    });
    const { value: body, warnings } = pinSchema.check(response.body);
    const expiry = expiryOf(body, Date.now());
    if (!expiry) {
      // Sending it on would hand the flow a PIN that looks expired already.
      throw new PlexError('plex.tv PIN: fields expiresAt and expiresIn are both missing or unreadable', { kind: 'response', field: 'expiresAt' });
    }
    const { expiresAt, expiresIn } = expiry;
    const strong = options.strong;
    return {
      value: {
        id: body.id,
        code: body.code,
        strong,
        authUrl: strong ? buildAuthUrl(this.identity, body.code, options.forwardUrl) : LINK_URL,
        qr: body.qr ?? `${DEFAULT_PLEX_TV_URL}/api/v2/pins/qr/${encodeURIComponent(body.code)}`,
        expiresAt,
        expiresIn,
        clientIdentifier: this.identity.clientIdentifier,
      },
      warnings,
    };
  }

  /** Looks at a PIN; its authToken is a string once the user has approved it. */
  async checkPin(id: number, signal?: AbortSignal): Promise<Checked<PinState>> {
    const response = await this.http.request({
      method: 'GET',
      url: this.url(`/pins/${id}`),
      headers: identityHeaders(this.identity),
      signal,
      peer: 'plex.tv',
    });
    const { value: body, warnings } = pinSchema.check(response.body);
    const state: PinState = { id: body.id, authToken: body.authToken ?? null };
    const expiry = expiryOf(body, Date.now());
    if (expiry) state.expiresAt = expiry.expiresAt;
    if (body.newRegistration !== undefined) state.newRegistration = body.newRegistration;
    return { value: state, warnings };
  }

  /** The account behind a token; a 401 PlexError when plex.tv no longer accepts it. */
  async getUser(token: string, signal?: AbortSignal): Promise<Checked<PlexUser>> {
    const response = await this.http.request({
      method: 'GET',
      url: this.url('/user'),
      headers: identityHeaders(this.identity),
      token,
      signal,
      peer: 'plex.tv',
    });
    const { value: body, warnings } = userSchema.check(response.body);
    const { id, uuid, username, title, email } = body;
    return { value: { id, uuid, username, title, email }, warnings };
  }
}
