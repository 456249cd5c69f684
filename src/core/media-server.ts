import { type ClientIdentity, identityHeaders } from './identity';
import { HttpClient } from './http';
import { normaliseBaseUrl } from './plex-tv';
import { baseUrlPath } from '../shared/base-url';
import { ResponseSchema, cutList, type Checked } from './validate';
import * as schemas from './schemas';
import { PlexError, inputError } from './errors';

/** How long a transient token lives, as Plex documents it. */
export const TRANSIENT_TOKEN_LIFETIME_MS = 48 * 60 * 60 * 1000;

interface TransientTokenBody {
  MediaContainer: { token: string };
}

interface ConnectionBody {
  uri: string;
  address?: string;
  port?: number;
  protocol?: string;
  local?: boolean;
  relay?: boolean;
}

interface SourceInfoBody {
  MediaContainer: {
    Device: { name?: string; clientIdentifier?: string; accessToken?: string; Connection?: ConnectionBody[] };
  };
}

interface SessionBody {
  sessionKey: string;
  ratingKey?: string;
  key?: string;
  type?: string;
  title?: string;
  grandparentTitle?: string;
  parentTitle?: string;
  librarySectionID?: string | number;
  librarySectionTitle?: string;
  duration?: number;
  viewOffset?: number;
  User?: { id?: string | number; title?: string };
  Player?: { address?: string; machineIdentifier?: string; platform?: string; product?: string; state?: string; title?: string; local?: boolean };
}

/** A MediaContainer listing `T`s under the name `child`, as the server's list answers are. */
type ListBody<Child extends string, T> = { MediaContainer: { [name in Child]?: T[] } };

const transientTokenSchema = new ResponseSchema<TransientTokenBody>('Plex Media Server transient token', schemas.transientToken);
const sourceInfoSchema = new ResponseSchema<SourceInfoBody>('Plex Media Server source information', schemas.sourceInfo);
/** A server's GET /identity: which server answers at an address (its machineIdentifier). */
export const identitySchema = new ResponseSchema<{ MediaContainer: { machineIdentifier: string } }>('Plex Media Server identity', schemas.identity);
/** A list answer of the server: its schema, where the list is, and how many of it are read. */
interface ListAnswer<Child extends string, T> {
  schema: ResponseSchema<ListBody<Child, T>>;
  child: Child;
  cap: number;
}

const sessionsList: ListAnswer<'Metadata', SessionBody> = {
  schema: new ResponseSchema('Plex Media Server sessions', schemas.sessions),
  child: 'Metadata',
  cap: schemas.MAX_SESSIONS,
};
const rootSchema = new ResponseSchema<{ MediaContainer: { friendlyName?: string; machineIdentifier?: string } }>('Plex Media Server', schemas.serverRoot);
const accountsList: ListAnswer<'Account', { id: string | number; name?: string }> = {
  schema: new ResponseSchema('Plex Media Server accounts', schemas.accounts),
  child: 'Account',
  cap: schemas.MAX_CHOICES,
};
type DeviceBody = { clientIdentifier: string; name?: string; platform?: string };
type SectionBody = { key: string | number; title?: string; type?: string };
const devicesList: ListAnswer<'Device', DeviceBody> = {
  schema: new ResponseSchema('Plex Media Server devices', schemas.devices),
  child: 'Device',
  cap: schemas.MAX_CHOICES,
};
const sectionsList: ListAnswer<'Directory', SectionBody> = {
  schema: new ResponseSchema('Plex Media Server libraries', schemas.librarySections),
  child: 'Directory',
  cap: schemas.MAX_CHOICES,
};

/** Longest text kept from a server's description of a session: a hostile server cannot make each session cost a megabyte. */
export const MAX_FIELD_CHARS = 500;

/** A text the server gave, cut to MAX_FIELD_CHARS; null when it gave none. */
function text(value: string | number | undefined): string | null {
  return value === undefined ? null : String(value).slice(0, MAX_FIELD_CHARS);
}

const numberOrNull = (value: number | undefined): number | null => (value === undefined ? null : value);

/** A session as /status/sessions describes it (who plays what, where); null where the server said nothing. */
export interface PlayingSession {
  sessionKey: string;
  ratingKey: string | null;
  key: string | null;
  /** movie, episode, track, clip, photo, ... */
  type: string | null;
  title: string | null;
  grandparentTitle: string | null;
  parentTitle: string | null;
  library: { id: string | null; title: string | null };
  duration: number | null;
  viewOffset: number | null;
  /** The player's state as the server lists it: playing, paused, buffering. */
  state: string | null;
  user: { id: string | null; title: string | null };
  player: {
    title: string | null;
    product: string | null;
    platform: string | null;
    machineIdentifier: string | null;
    address: string | null;
    local: boolean | null;
  };
}

function playingSession(body: SessionBody): PlayingSession {
  const user = body.User ?? {};
  const player = body.Player ?? {};
  return {
    sessionKey: body.sessionKey,
    ratingKey: text(body.ratingKey),
    key: text(body.key),
    type: text(body.type),
    title: text(body.title),
    grandparentTitle: text(body.grandparentTitle),
    parentTitle: text(body.parentTitle),
    library: { id: text(body.librarySectionID), title: text(body.librarySectionTitle) },
    duration: numberOrNull(body.duration),
    viewOffset: numberOrNull(body.viewOffset),
    state: text(player.state),
    user: { id: text(user.id), title: text(user.title) },
    player: {
      title: text(player.title),
      product: text(player.product),
      platform: text(player.platform),
      machineIdentifier: text(player.machineIdentifier),
      address: text(player.address),
      local: player.local ?? null,
    },
  };
}

/** Who a server is, as its root (GET /) says. */
export interface ServerAbout {
  name: string | null;
  machineIdentifier: string | null;
}

/** A choice for a filter: an id (or a player's machineIdentifier) and the name people know it by. */
export interface NamedChoice {
  id: string;
  title: string;
  /** A library's kind (movie, show, artist, photo) or a player's platform. */
  kind?: string;
}

/** A choice as the server lists it; named by its id when the server gives no name. */
function choice(id: string | number, title: string | undefined, kind?: string): NamedChoice {
  const key = text(id)!;
  return { id: key, title: text(title) || key, kind: text(kind) ?? undefined };
}

export interface TransientToken {
  token: string;
  expiresAt: string;
}

export interface Connection {
  uri: string;
  address?: string;
  port?: number;
  protocol?: string;
  local: boolean;
  relay: boolean;
}

export interface SourceInfo {
  name?: string;
  clientIdentifier?: string;
  accessToken?: string;
  connections: Connection[];
}

/** A source as /security/resources wants it: `server://<id>` or `provider://<id>`. */
export function parseSource(value: unknown): string {
  if (typeof value !== 'string' || !value.trim()) {
    throw inputError('source is missing: set it on the node, or send it as msg.source or a string msg.payload');
  }
  const source = value.trim();
  if (!/^(server|provider):\/\/\S+$/.test(source)) {
    throw inputError(`source "${source.slice(0, 80)}" must start with server:// or provider:// and name the source`);
  }
  return source;
}

/** A Plex Media Server's base URL: scheme, host and port only. */
export function parseServerUrl(value: unknown): URL {
  if (typeof value !== 'string' || !value.trim()) throw inputError('server URL is empty: set it, e.g. http://192.168.1.20:32400');
  const url = normaliseBaseUrl(value, 'server URL');
  if (baseUrlPath(url)) {
    throw inputError(`server URL must not have a path (${url.pathname.slice(0, 60)}): use e.g. http://192.168.1.20:32400`);
  }
  return url;
}

/** Where a server that stopped answering is now, and the token to use there (a shared server's own). */
export interface ServerAddress {
  url: URL;
  token?: string;
}

/**
 * Finds a server again when its address stops answering. It must only hand back an address
 * that has answered /identity as this server: the token goes there next.
 */
export interface ServerRelocator {
  relocate(failed: URL, fault: PlexError, signal?: AbortSignal): Promise<ServerAddress>;
}

/** A fault that says the address no longer leads to the server: nothing answered, or its certificate does not fit. */
function addressFault(error: unknown): error is PlexError {
  return error instanceof PlexError && (error.kind === 'network' || error.kind === 'timeout');
}

/** The query of every transient token call. */
const DELEGATION = Object.freeze({ type: 'delegation', scope: 'all' });
/** The query of the calls that take none. */
const NO_QUERY = Object.freeze({});

/** The operations of one Plex Media Server that the nodes use, with the token that server accepts. */
export class MediaServerClient {
  private baseUrl: URL;
  /** Built once: every call carries the same identity. */
  private readonly headers: Readonly<Record<string, string>>;
  private lastUrl?: { base: URL; path: string; query: Readonly<Record<string, string>>; url: URL };

  constructor(
    serverUrl: string,
    identity: ClientIdentity,
    private readonly http: HttpClient,
    private readonly relocator?: ServerRelocator,
  ) {
    this.baseUrl = parseServerUrl(serverUrl);
    this.headers = identityHeaders(identity);
  }

  /** The address in use: the configured one, or where the server was found since. */
  get address(): string {
    return this.baseUrl.origin;
  }

  /**
   * A GET of one operation, with the token as a header (never in the query). When
   * the address stops answering and a relocator is set, once more at the address it finds.
   */
  private async get(path: string, query: Readonly<Record<string, string>>, token: string, signal?: AbortSignal) {
    const at = this.baseUrl;
    try {
      return await this.getAt(at, path, query, token, signal);
    } catch (error) {
      if (!this.relocator || !addressFault(error) || signal?.aborted) throw error;
      const found = await this.relocator.relocate(at, error, signal);
      this.baseUrl = found.url;
      return this.getAt(found.url, path, query, found.token ?? token, signal);
    }
  }

  private getAt(base: URL, path: string, query: Readonly<Record<string, string>>, token: string, signal?: AbortSignal) {
    const url = this.urlAt(base, path, query);
    return this.http.request({ method: 'GET', url, headers: this.headers, token, signal, peer: 'Plex Media Server' });
  }

  /** The URL of a call: the last one made is kept, as most calls repeat it (a transient token per msg, its query a constant). */
  private urlAt(base: URL, path: string, query: Readonly<Record<string, string>>): URL {
    const last = this.lastUrl;
    if (last && last.base === base && last.path === path && last.query === query) return last.url;
    const url = new URL(path, base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    this.lastUrl = { base, path, query, url };
    return url;
  }

  /**
   * Whether the server at the address in use is the one with this machineIdentifier (GET
   * /identity, no token): the proof an address needs before a token it has not seen goes there.
   */
  async answersAs(machineIdentifier: string, signal?: AbortSignal): Promise<boolean> {
    const response = await this.http.request({
      method: 'GET',
      url: new URL('/identity', this.baseUrl),
      headers: this.headers,
      signal,
      peer: 'Plex Media Server',
    });
    return identitySchema.check(response.body).value.MediaContainer.machineIdentifier === machineIdentifier;
  }

  /**
   * Whether the server at the address in use takes this token (GET / with it): true for an
   * answer, false for a refusal (401, 403). Any other fault is thrown: it says nothing either way.
   * Not followed to another address: the token goes only where answersAs was asked.
   */
  async takesToken(token: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.http.request({
        method: 'GET',
        url: new URL('/', this.baseUrl),
        headers: this.headers,
        token,
        signal,
        peer: 'Plex Media Server',
        bodyOptional: true,
      });
      return true;
    } catch (error) {
      if (error instanceof PlexError && error.kind === 'http' && (error.status === 401 || error.status === 403)) return false;
      throw error;
    }
  }

  /** A new delegation token, valid for up to 48 hours (less if the server restarts). */
  async transientToken(token: string, signal?: AbortSignal): Promise<Checked<TransientToken>> {
    const response = await this.get('/security/token', DELEGATION, token, signal);
    const { value, warnings } = transientTokenSchema.check(response.body);
    const expiresAt = new Date(Date.now() + TRANSIENT_TOKEN_LIFETIME_MS).toISOString();
    return { value: { token: value.MediaContainer.token, expiresAt }, warnings };
  }

  /** A list the server answers at `path`: cut to its cap before it is checked (with a warning), then checked. */
  private async list<Child extends string, T>(path: string, answer: ListAnswer<Child, T>, token: string, signal?: AbortSignal): Promise<Checked<T[]>> {
    const { body } = await this.get(path, NO_QUERY, token, signal);
    const listed = cutList((body as { MediaContainer?: unknown } | null)?.MediaContainer, answer.child, answer.cap);
    const { value, warnings } = answer.schema.check(body);
    if (listed !== undefined) warnings.push(`${answer.schema.what} lists ${listed} entries; only the first ${answer.cap} are read`);
    return { value: value.MediaContainer[answer.child] ?? [], warnings };
  }

  /** What is playing now: GET /status/sessions, one entry per session with who plays what, where. */
  async sessions(token: string, signal?: AbortSignal): Promise<Checked<PlayingSession[]>> {
    const { value, warnings } = await this.list('/status/sessions', sessionsList, token, signal);
    return { value: value.map(playingSession), warnings };
  }

  /** The server's name and machineIdentifier (GET /). */
  async about(token: string, signal?: AbortSignal): Promise<Checked<ServerAbout>> {
    const { value, warnings } = rootSchema.check((await this.get('/', NO_QUERY, token, signal)).body);
    return { value: { name: text(value.MediaContainer.friendlyName), machineIdentifier: text(value.MediaContainer.machineIdentifier) }, warnings };
  }

  /** The users who have used the server (GET /accounts); the server's own system account (id 0) is left out. */
  async accounts(token: string, signal?: AbortSignal): Promise<Checked<NamedChoice[]>> {
    const { value, warnings } = await this.list('/accounts', accountsList, token, signal);
    const users = value.filter((account) => String(account.id) !== '0');
    return { value: users.map((account) => choice(account.id, account.name)), warnings };
  }

  /** The players that have connected to the server (GET /devices), by machineIdentifier. */
  async devices(token: string, signal?: AbortSignal): Promise<Checked<NamedChoice[]>> {
    const { value, warnings } = await this.list('/devices', devicesList, token, signal);
    const players = value.filter((device) => device.clientIdentifier);
    return { value: players.map((device) => choice(device.clientIdentifier, device.name, device.platform)), warnings };
  }

  /** The server's libraries (GET /library/sections). */
  async librarySections(token: string, signal?: AbortSignal): Promise<Checked<NamedChoice[]>> {
    const { value, warnings } = await this.list('/library/sections', sectionsList, token, signal);
    return { value: value.map((section) => choice(section.key, section.title, section.type)), warnings };
  }

  /** Connection details of a source the server knows (Plex Media Server >= 1.15.4). */
  async sourceInfo(token: string, source: string, refresh: boolean, signal?: AbortSignal): Promise<Checked<SourceInfo>> {
    const query: Record<string, string> = { source: parseSource(source), ...(refresh ? { refresh: '1' } : {}) };
    const response = await this.get('/security/resources', query, token, signal);
    const listed = cutList((response.body as { MediaContainer?: { Device?: unknown } } | null)?.MediaContainer?.Device, 'Connection', schemas.MAX_CONNECTIONS);
    const { value, warnings } = sourceInfoSchema.check(response.body);
    if (listed !== undefined)
      warnings.push(`Plex Media Server source information lists ${listed} connections; only the first ${schemas.MAX_CONNECTIONS} are passed on`);
    const device = value.MediaContainer.Device;
    return {
      value: {
        name: device.name,
        clientIdentifier: device.clientIdentifier,
        accessToken: device.accessToken,
        connections: (device.Connection ?? []).map(({ uri, address, port, protocol, local, relay }) => ({
          uri,
          address,
          port,
          protocol,
          local: local ?? false,
          relay: relay ?? false,
        })),
      },
      warnings,
    };
  }
}
