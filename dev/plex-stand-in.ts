/**
 * A local stand-in for plex.tv and a Plex Media Server, on loopback, for tests, the demo
 * and the benchmarks. It answers as the reference description and plex-facts.md say Plex
 * does, and can be told to misbehave (status codes, bodies, hangs, resets, redirects).
 */
import http from 'node:http';
import https from 'node:https';
import { createPublicKey, generateKeyPairSync, randomBytes, randomInt, randomUUID, type KeyObject } from 'node:crypto';
import { loadJose } from '../src/core/jose';
import type { AddressInfo, Socket } from 'node:net';

export interface StandInPin {
  id: number;
  code: string;
  strong: boolean;
  clientIdentifier: string;
  product: string;
  createdAt: number;
  expiresAt: number;
  authToken: string | null;
  polls: number;
  /** Approve by itself after this many polls (undefined: only by approve()). */
  approveAfterPolls?: number;
  /** A PIN made with a key: the device's public JWK; once approved, the account's classic token. */
  jwk?: StandInJwk;
  approvedAccount?: string;
}

/** How to answer one request instead of the normal answer. */
export type Fault =
  | { status: number; body?: string; contentType?: string; headers?: Record<string, string> }
  | { hang: true }
  | { reset: true }
  | { redirect: string; status?: number }
  | { bytes: number; contentType?: string };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  at: number;
  /** The request body, for the calls that take one (linking a code). */
  body?: string;
}

export interface StandInOptions {
  /** Seconds a strong PIN lives (plex.tv: about 1800) and a 4-character one (900). */
  strongLifetimeSec?: number;
  codeLifetimeSec?: number;
  /** Approve every new PIN after this many polls. */
  approveAfterPolls?: number;
  /** Share of requests (0..1) answered with a passing fault (503, 429, reset) for soak runs. */
  faultRate?: number;
  /** Serve https with this key and certificate (PEM), as a server with its own certificate does. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** The id of the first PIN (the next ones count up): two stand-ins can hand out the same ids, or long ones. */
  firstPinId?: number;
  /** What /identity answers as the server's machineIdentifier (default: a random one). */
  machineIdentifier?: string;
  /** Admin tokens to share with another stand-in: an owned server takes its account's tokens. */
  serverTokens?: Set<string>;
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function code(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return text;
}

const location = {
  code: 'NL', continent_code: 'EU', country: 'The Netherlands', city: 'Breda', european_union_member: true,
  time_zone: 'Europe/Amsterdam', postal_code: '4814', in_privacy_restricted_country: false,
  in_privacy_restricted_region: false, subdivisions: 'North Brabant', coordinates: '51.5869, 4.7471',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A device's public key as plex.tv takes it (kty OKP, crv Ed25519, x; kid names it). */
export interface StandInJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  [member: string]: unknown;
}

type StandInUser = { id: number; uuid: string; username: string; email: string };

/** A Plex JWT the stand-in issued. */
export interface StandInPlexJwt {
  clientIdentifier: string;
  kid: string;
  /** Epoch ms; after it the token is answered 498. */
  expiresAt: number;
  revoked: boolean;
}

/** A JWT endpoint's refusal: status and Plex's words. */
class Refusal extends Error {
  constructor(readonly status: number, readonly plexCode: number, message: string) {
    super(message);
  }
}

const NONCE_LIFETIME_MS = 5 * 60_000;
const SIGNATURE_FAILED = 'Signature Verification Failed';

/** A public Ed25519 JWK from a request body, or a 400. */
function publicJwkOf(value: unknown): StandInJwk {
  const jwk = value as Partial<StandInJwk> | undefined;
  const valid = jwk?.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string' && /^[\w-]{43}$/.test(jwk.x) && typeof jwk.kid === 'string' && jwk.kid !== '';
  if (!valid || 'd' in jwk!) throw new Refusal(400, 1000, 'jwk must be a public Ed25519 JWK with a kid');
  return jwk as StandInJwk;
}

/**
 * A connection of a stand-in server: local or not, relay or not; a dead one is listed but
 * nobody listens; at a decoy's one another server answers (an address that now leads elsewhere).
 */
export interface StandInConnectionPlan {
  local: boolean;
  relay?: boolean;
  protocol?: 'http' | 'https';
  dead?: boolean;
  decoy?: PlexStandIn;
}

export interface StandInServerPlan {
  name: string;
  machineIdentifier?: string;
  owned?: boolean;
  sourceTitle?: string;
  accessToken?: string;
  presence?: boolean;
  connections: StandInConnectionPlan[];
}

/** A device of /api/v2/resources: made when asked, so that it lists the ports of now. */
export interface StandInResource {
  device(): Record<string, unknown>;
}

export interface StandInServer extends StandInResource {
  standIn: PlexStandIn;
  name: string;
  accessToken: string;
}

const SERVER_VERSION = '1.41.3.9314-a0bfb8370';

function deviceDefaults(name: string, clientIdentifier: string): Record<string, unknown> {
  const seen = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    name, product: 'Plex Media Server', productVersion: SERVER_VERSION, platform: 'Linux', platformVersion: '6.1', device: 'PC',
    clientIdentifier, createdAt: '2024-01-01T00:00:00Z', lastSeenAt: seen, ownerId: null, sourceTitle: null,
    publicAddress: '203.0.113.7', home: false, synced: false, relay: true, presence: true, httpsRequired: false,
    publicAddressMatches: true, dnsRebindingProtection: false, natLoopbackSupported: true, owned: true,
  };
}

function listenOnLoopback(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** A loopback port where nobody listens (refused at once). */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  const url = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return Number(new URL(url).port);
}

export class PlexStandIn {
  readonly pins = new Map<number, StandInPin>();
  readonly requests: RecordedRequest[] = [];
  /** Tokens plex.tv accepts (account tokens), with the user they belong to. */
  readonly accountTokens = new Map<string, { id: number; uuid: string; username: string; email: string }>();
  /** Tokens the Plex Media Server accepts as admin tokens. */
  readonly serverTokens: Set<string>;
  /** Transient tokens the server made. */
  readonly transientTokens = new Set<string>();
  /** Sources the server knows for /security/resources. */
  readonly sources = new Map<string, unknown>();
  /** Answer the server's /security calls in XML instead of JSON. */
  serverXml = false;
  private readonly faults: Array<{ match: RegExp; fault: Fault; times: number }> = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private nextId = 100000 + randomInt(900000);
  url = '';

  constructor(private readonly options: StandInOptions = {}) {
    if (options.firstPinId !== undefined) this.nextId = options.firstPinId;
    this.serverTokens = options.serverTokens ?? new Set<string>();
    this.machineIdentifier = options.machineIdentifier ?? randomBytes(20).toString('hex');
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
    this.track(this.server);
  }

  private track(server: http.Server): void {
    server.keepAliveTimeout = 5000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    const address = this.server.address() as AddressInfo;
    this.url = `${this.options.tls ? 'https' : 'http'}://${host}:${address.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    for (const server of [this.server, ...this.alsoListening]) {
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Answers the next `times` requests whose "METHOD /path?query" matches with the fault. */
  fail(match: RegExp, fault: Fault, times = 1): void {
    this.faults.push({ match, fault, times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Adds an account and returns its token (valid on plex.tv and as server admin token). */
  addAccount(username = 'someone', token = `acct-${randomBytes(10).toString('hex')}`): string {
    this.accountTokens.set(token, { id: 13692262 + this.accountTokens.size, uuid: randomBytes(8).toString('hex'), username, email: `${username}@example.com` });
    this.serverTokens.add(token);
    return token;
  }

  /** Approves a PIN as a user would on plex.tv; returns the token it now carries. */
  approve(id: number, username = 'someone'): string {
    const pin = this.pins.get(id);
    if (!pin) throw new Error(`no PIN ${id}`);
    if (pin.jwk) return this.approveKeyPin(pin, username);
    pin.authToken ??= this.addAccount(username);
    return pin.authToken;
  }

  /** Makes a PIN expire now. */
  expire(id: number): void {
    const pin = this.pins.get(id);
    if (pin) pin.expiresAt = Date.now() - 1;
  }

  /** Makes a PIN as plex.tv does for POST /api/v2/pins (also for the demo's TV). */
  newPin(options: { clientIdentifier: string; product: string; strong: boolean }): StandInPin {
    const lifetime = (options.strong ? this.options.strongLifetimeSec ?? 1800 : this.options.codeLifetimeSec ?? 900) * 1000;
    const now = Date.now();
    const pin: StandInPin = {
      id: this.nextId++,
      code: code(options.strong ? 25 : 4),
      ...options,
      createdAt: now,
      expiresAt: now + lifetime,
      authToken: null,
      polls: 0,
      approveAfterPolls: this.options.approveAfterPolls,
    };
    this.pins.set(pin.id, pin);
    return pin;
  }

  /** Reads a small request body into the recorded request, then hands it on. */
  private readBody(req: http.IncomingMessage, recorded: RecordedRequest, then: (body: string) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 64 * 1024) return void req.destroy();
      chunks.push(chunk);
    });
    req.on('end', () => {
      recorded.body = Buffer.concat(chunks).toString('utf8');
      then(recorded.body);
    });
  }

  /**
   * PUT /api/v2/pins/link: the signed-in account approves a 4-character code that another
   * client made; that client's next poll gets a token for the account.
   */
  private link(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const clientId = req.headers['x-plex-client-identifier'];
    const token = req.headers['x-plex-token'] as string | undefined;
    if (!clientId) return this.plexError(res, 400, 1000, 'X-Plex-Client-Identifier is missing');
    if (!token || !this.accountTokens.has(token)) return this.plexError(res, 401, 1001, 'User could not be authenticated');
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return this.plexError(res, 400, 1000, 'code is missing');
    }
    const wanted = new URLSearchParams(body).get('code');
    if (!wanted) return this.plexError(res, 400, 1000, 'code is missing');
    const now = Date.now();
    const pin = [...this.pins.values()].find((p) => !p.strong && p.code === wanted && now < p.expiresAt);
    if (!pin) return this.plexError(res, 404, 1020, 'Code not found or expired');
    pin.authToken = token;
    res.writeHead(204);
    res.end();
  }

  private pinBody(pin: StandInPin): Record<string, unknown> {
    return {
      id: pin.id,
      code: pin.code,
      product: pin.product,
      trusted: false,
      qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
      clientIdentifier: pin.clientIdentifier,
      location,
      expiresIn: Math.max(0, Math.round((pin.expiresAt - Date.now()) / 1000)),
      createdAt: new Date(pin.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      expiresAt: new Date(pin.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      authToken: pin.authToken,
      newRegistration: pin.authToken ? false : null,
    };
  }

  private takeFault(key: string): Fault | undefined {
    const index = this.faults.findIndex((f) => f.match.test(key));
    if (index >= 0) {
      const entry = this.faults[index];
      if (--entry.times <= 0) this.faults.splice(index, 1);
      return entry.fault;
    }
    const rate = this.options.faultRate ?? 0;
    if (rate > 0 && !key.includes('/demo') && Math.random() < rate) {
      const pick = randomInt(3);
      if (pick === 0) return { status: 503, body: '<html><head><title>503 Service Unavailable</title></head></html>', contentType: 'text/html' };
      if (pick === 1) return { status: 429, body: '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}', contentType: 'application/json', headers: { 'Retry-After': '1' } };
      return { reset: true };
    }
    return undefined;
  }

  private applyFault(fault: Fault, req: http.IncomingMessage, res: http.ServerResponse): void {
    if ('hang' in fault) return; // never answer; stop() ends the socket
    if ('reset' in fault) {
      req.socket.destroy();
      return;
    }
    if ('redirect' in fault) {
      res.writeHead(fault.status ?? 302, { Location: fault.redirect });
      res.end();
      return;
    }
    if ('bytes' in fault) {
      res.writeHead(200, { 'Content-Type': fault.contentType ?? 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let left = fault.bytes;
      const write = (): void => {
        while (left > 0) {
          const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= part.length;
          if (!res.write(part)) {
            res.once('drain', write);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => undefined);
      write();
      return;
    }
    res.writeHead(fault.status, { 'Content-Type': fault.contentType ?? 'application/json', ...fault.headers });
    res.end(fault.body ?? '');
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private plexError(res: http.ServerResponse, status: number, codeNumber: number, message: string): void {
    this.json(res, status, { errors: [{ code: codeNumber, message, status }] });
  }

  private html(res: http.ServerResponse, status: number, title: string): void {
    res.writeHead(status, { 'Content-Type': 'text/html' });
    res.end(`<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, at: Date.now() };
    this.requests.push(recorded);
    if (this.requests.length > 100_000) this.requests.splice(0, 50_000);
    const fault = this.takeFault(`${req.method} ${url.pathname}${url.search}`);
    if (fault) return this.applyFault(fault, req, res);
    if (url.pathname === '/api/v2/pins/link' && req.method === 'PUT') return this.readBody(req, recorded, (body) => this.link(req, res, body));
    if (this.handleJwt(req, res, url)) return;
    req.resume();

    // plex.tv takes every X-Plex-* value as a header or as a query parameter.
    const plexValue = (name: string) => (req.headers[name.toLowerCase()] as string | undefined) ?? url.searchParams.get(name) ?? undefined;
    const clientId = plexValue('X-Plex-Client-Identifier');
    const token = req.headers['x-plex-token'] as string | undefined;
    const pinMatch = /^\/api\/v2\/pins\/(\d+)$/.exec(url.pathname);

    if (url.pathname === '/api/v2/pins' && req.method === 'POST') {
      if (!clientId) return this.plexError(res, 400, 1000, 'X-Plex-Client-Identifier is missing');
      const pin = this.newPin({ clientIdentifier: clientId, product: plexValue('X-Plex-Product') ?? '', strong: url.searchParams.get('strong') === 'true' });
      return this.json(res, 201, this.pinBody(pin));
    }
    if (pinMatch && req.method === 'GET') {
      if (!clientId) return this.plexError(res, 400, 1000, 'X-Plex-Client-Identifier is missing');
      const pin = this.pins.get(Number(pinMatch[1]));
      if (!pin || pin.clientIdentifier !== clientId || Date.now() >= pin.expiresAt) {
        return this.plexError(res, 404, 1020, 'Code not found or expired');
      }
      pin.polls += 1;
      if (!pin.authToken && pin.approveAfterPolls !== undefined && pin.polls >= pin.approveAfterPolls) this.approve(pin.id);
      return this.json(res, 200, this.pinBody(pin));
    }
    if (url.pathname === '/api/v2/user' && req.method === 'GET') {
      const user = token ? this.accountTokens.get(token) : undefined;
      if (!user) return this.plexError(res, 401, 1001, 'User could not be authenticated');
      return this.json(res, 200, { ...user, title: user.username, authToken: token });
    }
    if (url.pathname === '/security/token') {
      if (url.searchParams.get('type') !== 'delegation' || url.searchParams.get('scope') !== 'all') return this.html(res, 400, '400 Bad Request');
      if (!token || !(this.serverTokens.has(token) || this.transientTokens.has(token))) return this.html(res, 403, '403 Forbidden');
      const transient = `transient-${randomBytes(16).toString('hex')}`;
      this.transientTokens.add(transient);
      if (this.serverXml || !String(req.headers.accept ?? '').includes('json')) {
        res.writeHead(200, { 'Content-Type': 'text/xml;charset=utf-8' });
        return void res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="0" token="${transient}">\n</MediaContainer>\n`);
      }
      return this.json(res, 200, { MediaContainer: { size: 0, token: transient } });
    }
    if (url.pathname === '/security/resources' && req.method === 'GET') {
      const source = url.searchParams.get('source') ?? '';
      if (!/^(server|provider):\/\/.+/.test(source)) return this.html(res, 400, '400 Bad Request');
      if (!token || !(this.serverTokens.has(token) || this.transientTokens.has(token))) return this.html(res, 403, '403 Forbidden');
      const device = this.sources.get(source);
      if (!device) return this.html(res, 404, '404 Not Found');
      return this.json(res, 200, { MediaContainer: { size: 1, Device: device } });
    }
    if (url.pathname === '/identity' && req.method === 'GET') {
      return this.json(res, 200, { MediaContainer: { size: 0, claimed: true, machineIdentifier: this.machineIdentifier, version: SERVER_VERSION } });
    }
    if (url.pathname === '/api/v2/resources' && req.method === 'GET') {
      if (!token || !this.accountTokens.has(token)) return this.plexError(res, 401, 1001, 'User could not be authenticated');
      return this.json(res, 200, this.resources.map((resource) => resource.device()));
    }
    const moveMatch = /^\/demo\/move\/([\w-]+)$/.exec(url.pathname);
    if (moveMatch && req.method === 'POST') {
      this.moveServer(moveMatch[1]).then(() => {
        res.writeHead(303, { Location: '/demo' });
        res.end();
      }, () => this.html(res, 404, '404 Not Found'));
      return;
    }
    if (url.pathname === '/demo' && req.method === 'GET') return this.demoPage(res);
    if (url.pathname === '/demo/tv' && req.method === 'GET') {
      res.writeHead(303, { Location: `/demo/tv/${this.newPin({ clientIdentifier: 'stand-in-tv', product: 'Stand-in TV', strong: false }).id}` });
      return void res.end();
    }
    const tvMatch = /^\/demo\/tv\/(\d+)$/.exec(url.pathname);
    if (tvMatch && req.method === 'GET') return this.tvPage(res, this.pins.get(Number(tvMatch[1])));
    const approveMatch = /^\/demo\/approve\/(\d+)$/.exec(url.pathname);
    if (approveMatch && req.method === 'POST') {
      if (this.pins.has(Number(approveMatch[1]))) this.approve(Number(approveMatch[1]), 'demo-user');
      res.writeHead(303, { Location: '/demo' });
      return void res.end();
    }
    this.html(res, 404, '404 Not Found');
  }

  // --- JWT sign-in: real Ed25519 signatures (plex-facts.md "JWT sign-in") ---

  /** Seconds a Plex JWT lives (plex.tv: 7 days); tests set a few seconds. */
  jwtLifetimeSec = 7 * 24 * 3600;
  /** Device keys registered (by a key PIN's approval or /auth/jwk), by kid. */
  readonly deviceKeys = new Map<string, { jwk: StandInJwk; clientIdentifier: string; user: StandInUser }>();
  /** Plex JWTs issued, by token. */
  readonly plexJwts = new Map<string, StandInPlexJwt>();
  private readonly nonces = new Map<string, { clientIdentifier: string; expiresAt: number; usedFor?: string }>();
  /** plex.tv's keys: a spare one listed first (as during a key rotation), then the one that signs. */
  private readonly plexTvKeys: Array<{ kid: string; privateKey: KeyObject }> = ['plex-tv-spare', 'plex-tv-1'].map((kid) => ({
    kid,
    privateKey: generateKeyPairSync('ed25519').privateKey,
  }));

  /** Revokes a Plex JWT (401 from now on) and removes the device it was issued to, as "remove device" on plex.tv does. */
  revokePlexJwt(token: string): void {
    const issued = this.plexJwts.get(token);
    if (!issued) throw new Error('not a Plex JWT of this stand-in');
    issued.revoked = true;
    this.deviceKeys.delete(issued.kid);
  }

  /** Makes a Plex JWT expire now on the stand-in's side (498 from now on), whatever its exp says. */
  expirePlexJwt(token: string): void {
    const issued = this.plexJwts.get(token);
    if (!issued) throw new Error('not a Plex JWT of this stand-in');
    issued.expiresAt = Date.now() - 1;
  }

  /** Approving a PIN made with a key registers that key for the account; the poll with a device JWT then gets a Plex JWT. */
  private approveKeyPin(pin: StandInPin, username: string): string {
    pin.approvedAccount ??= this.addAccount(username);
    this.registerKey(pin.jwk!, pin.clientIdentifier, this.accountTokens.get(pin.approvedAccount)!);
    return pin.approvedAccount;
  }

  private registerKey(jwk: StandInJwk, clientIdentifier: string, user: StandInUser): void {
    const taken = this.deviceKeys.get(jwk.kid);
    if (taken && taken.clientIdentifier !== clientIdentifier) throw new Refusal(422, 1099, 'Thumbprint Already Taken');
    this.deviceKeys.set(jwk.kid, { jwk, clientIdentifier, user });
  }

  /**
   * The JWT endpoints, and 498/401 for an expired/revoked Plex JWT on every plex.tv and server
   * route. False when the request is none of these (the classic routes answer it).
   */
  private handleJwt(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
    const token = req.headers['x-plex-token'] as string | undefined;
    const issued = token === undefined ? undefined : this.plexJwts.get(token);
    if (issued && /^\/(api\/v2|security)\//.test(url.pathname)) {
      if (issued.revoked) return this.refuse(req, res, new Refusal(401, 1001, 'User could not be authenticated'));
      if (Date.now() >= issued.expiresAt) return this.refuse(req, res, new Refusal(498, 1001, 'Token expired'));
    }
    const route = `${req.method} ${url.pathname}`;
    const keyPin = /^GET \/api\/v2\/pins\/(\d+)$/.exec(route);
    const isJwtRoute =
      (route === 'POST /api/v2/pins' && String(req.headers['content-type'] ?? '').includes('json')) ||
      (keyPin !== null && this.pins.get(Number(keyPin[1]))?.jwk !== undefined) ||
      ['GET /api/v2/auth/nonce', 'GET /api/v2/auth/keys', 'POST /api/v2/auth/jwk', 'POST /api/v2/auth/token'].includes(route);
    if (!isJwtRoute) return false;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const clientId = (req.headers['x-plex-client-identifier'] as string | undefined) ?? url.searchParams.get('X-Plex-Client-Identifier') ?? undefined;
      this.answerJwt(route, url, clientId, token, Buffer.concat(chunks).toString('utf8'))
        .then(([status, body]) => (status === 204 ? void res.writeHead(204).end() : this.json(res, status, body)))
        .catch((error: unknown) => {
          if (error instanceof Refusal) return this.plexError(res, error.status, error.plexCode, error.message);
          this.plexError(res, 500, 1000, 'Internal error');
        });
    });
    return true;
  }

  private refuse(req: http.IncomingMessage, res: http.ServerResponse, refusal: Refusal): true {
    req.resume();
    this.plexError(res, refusal.status, refusal.plexCode, refusal.message);
    return true;
  }

  private async answerJwt(route: string, url: URL, clientId: string | undefined, token: string | undefined, text: string): Promise<[number, unknown]> {
    if (!clientId) throw new Refusal(route.endsWith('/nonce') ? 422 : 400, 1000, 'X-Plex-Client-Identifier is missing');
    if (route === 'GET /api/v2/auth/keys') return [200, { keys: await this.plexTvPublicJwks() }];
    if (route === 'GET /api/v2/auth/nonce') {
      const nonce = randomUUID();
      this.nonces.set(nonce, { clientIdentifier: clientId, expiresAt: Date.now() + NONCE_LIFETIME_MS });
      return [200, { nonce }];
    }
    let body: Record<string, unknown> = {};
    if (text.trim()) {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new Refusal(400, 1000, 'Body is not JSON');
      }
    }
    if (route === 'POST /api/v2/pins') {
      const jwk = publicJwkOf(body.jwk);
      const taken = this.deviceKeys.get(jwk.kid);
      if (taken && taken.clientIdentifier !== clientId) throw new Refusal(422, 1099, 'Thumbprint Already Taken');
      const pin = this.newPin({ clientIdentifier: clientId, product: '', strong: body.strong === true });
      pin.jwk = jwk;
      return [201, this.pinBody(pin)];
    }
    if (route === 'POST /api/v2/auth/jwk') {
      const user = token === undefined ? undefined : this.accountTokens.get(token);
      if (!user) throw new Refusal(401, 1001, 'User could not be authenticated');
      this.registerKey(publicJwkOf(body.jwk), clientId, user);
      return [204, null];
    }
    if (route === 'POST /api/v2/auth/token') {
      if (typeof body.jwt !== 'string') throw new Refusal(400, 1000, 'jwt is missing');
      const { jose, kid, nonce } = await this.checkDeviceJwt(body.jwt, clientId);
      this.takeNonce(nonce, clientId, 'token');
      const device = this.deviceKeys.get(kid)!;
      return [200, { auth_token: await this.issuePlexJwt(jose, clientId, kid, nonce, device.user) }];
    }
    // A poll of a PIN made with a key.
    const pin = this.pins.get(Number(/(\d+)$/.exec(url.pathname)![1]))!;
    if (pin.clientIdentifier !== clientId || Date.now() >= pin.expiresAt) throw new Refusal(404, 1020, 'Code not found or expired');
    pin.polls += 1;
    const deviceJwt = url.searchParams.get('deviceJWT');
    if (deviceJwt === null) return [200, { ...this.pinBody(pin), authToken: null }];
    const { jose, nonce } = await this.checkDeviceJwt(deviceJwt, clientId, pin.jwk);
    // One nonce serves all the polls of one PIN, and nothing else.
    this.takeNonce(nonce, clientId, `pin ${pin.id}`);
    if (!pin.approvedAccount && pin.approveAfterPolls !== undefined && pin.polls >= pin.approveAfterPolls) this.approve(pin.id);
    if (pin.approvedAccount && !pin.authToken) {
      pin.authToken = await this.issuePlexJwt(jose, clientId, pin.jwk!.kid, nonce, this.accountTokens.get(pin.approvedAccount)!);
    }
    return [200, this.pinBody(pin)];
  }

  /** Checks a device JWT as plex.tv does: EdDSA, signed by the registered key (or the PIN's), aud plex.tv, iss the client, unexpired. */
  private async checkDeviceJwt(jwt: string, clientId: string, pinJwk?: StandInJwk) {
    const jose = await loadJose();
    let kid: unknown;
    try {
      kid = jose.decodeProtectedHeader(jwt).kid;
    } catch {
      throw new Refusal(400, 1000, 'The JWT cannot be read');
    }
    const jwk = pinJwk ?? (typeof kid === 'string' ? this.deviceKeys.get(kid)?.jwk : undefined);
    if (!jwk || kid !== jwk.kid) throw new Refusal(422, 1099, SIGNATURE_FAILED);
    let payload: Record<string, unknown>;
    try {
      const key = await jose.importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'EdDSA');
      ({ payload } = await jose.jwtVerify(jwt, key, { algorithms: ['EdDSA'], audience: 'plex.tv', issuer: clientId, requiredClaims: ['nonce', 'iat', 'exp'] }));
    } catch (error) {
      if (error instanceof jose.errors.JWTExpired) throw new Refusal(422, 1099, 'JWT expired');
      if (error instanceof jose.errors.JWTClaimValidationFailed) throw new Refusal(422, 1099, `Invalid claim ${error.claim}`);
      throw new Refusal(422, 1099, SIGNATURE_FAILED);
    }
    return { jose, kid: jwk.kid, nonce: String(payload.nonce) };
  }

  /** A nonce is good for 5 minutes and one purpose: a used one is refused (422). */
  private takeNonce(nonce: string, clientId: string, purpose: string): void {
    const entry = this.nonces.get(nonce);
    if (!entry || entry.clientIdentifier !== clientId || Date.now() >= entry.expiresAt) throw new Refusal(422, 1099, 'Invalid nonce');
    // An exchange uses its nonce up; a PIN's polls may show theirs again.
    if (entry.usedFor !== undefined && (purpose === 'token' || entry.usedFor !== purpose)) throw new Refusal(422, 1099, 'Nonce already used');
    entry.usedFor = purpose;
  }

  private async issuePlexJwt(jose: Awaited<ReturnType<typeof loadJose>>, clientId: string, kid: string, nonce: string, user: StandInUser): Promise<string> {
    const signer = this.plexTvKeys[this.plexTvKeys.length - 1];
    const now = Math.floor(Date.now() / 1000);
    const token = await new jose.SignJWT({
      nonce,
      thumbprint: kid,
      user: { id: user.id, uuid: user.uuid, username: user.username, email: user.email, friendly_name: user.username, restricted: false, anonymous: false },
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: 'JWT' })
      .setIssuer('plex.tv')
      .setAudience(['plex.tv', clientId])
      .setIssuedAt(now)
      .setExpirationTime(now + this.jwtLifetimeSec)
      .sign(signer.privateKey);
    this.plexJwts.set(token, { clientIdentifier: clientId, kid, expiresAt: (now + this.jwtLifetimeSec) * 1000, revoked: false });
    this.accountTokens.set(token, user);
    this.serverTokens.add(token);
    return token;
  }

  private async plexTvPublicJwks(): Promise<unknown[]> {
    const { exportJWK } = await loadJose();
    return Promise.all(this.plexTvKeys.map(async ({ kid, privateKey }) => ({ ...(await exportJWK(createPublicKey(privateKey))), kid, alg: 'EdDSA', use: 'sig' })));
  }

  // ---- The account's servers (issue 11): /api/v2/resources lists them, each answers /identity on ports of its own. ----

  /** What /identity answers. */
  readonly machineIdentifier: string;
  /** Devices this plex.tv lists in /api/v2/resources, for every account token. */
  readonly resources: StandInResource[] = [];
  /** Further ports this server listens on: one per connection of it that answers. */
  private readonly alsoListening: http.Server[] = [];

  /** Listens on one more loopback port too (one server, several addresses); returns its URL. */
  async alsoListen(): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    this.track(server);
    this.alsoListening.push(server);
    return listenOnLoopback(server);
  }

  /** Every URL it answers at: the main one first. */
  get urls(): string[] {
    return [this.url, ...this.alsoListening.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`)];
  }

  /** The server moved: every one of its ports closes and it answers on new ones. */
  async relisten(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    for (const server of [this.server, ...this.alsoListening]) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.start();
    for (const server of this.alsoListening) await listenOnLoopback(server);
  }

  /**
   * Adds a Plex Media Server of the account: a stand-in of its own that listens on a port for
   * each connection that answers, and is listed in /api/v2/resources. An owned server takes
   * this plex.tv's account tokens; a shared one only its own access token.
   */
  async addServer(plan: StandInServerPlan): Promise<StandInServer> {
    const owned = plan.owned ?? true;
    const accessToken = plan.accessToken ?? `server-${randomBytes(10).toString('hex')}`;
    const standIn = new PlexStandIn({ machineIdentifier: plan.machineIdentifier, serverTokens: owned ? this.serverTokens : new Set() });
    standIn.serverTokens.add(accessToken);
    await standIn.start();
    const ports: Array<() => number> = [];
    let listeners = 0;
    for (const connection of plan.connections) {
      const { decoy } = connection;
      if (decoy) {
        ports.push(() => Number(new URL(decoy.url).port));
        continue;
      }
      if (connection.dead) {
        const port = await deadPort();
        ports.push(() => port);
        continue;
      }
      const index = listeners++;
      if (index > 0) await standIn.alsoListen();
      ports.push(() => Number(new URL(standIn.urls[index]).port));
    }
    const server: StandInServer = {
      standIn,
      name: plan.name,
      accessToken,
      device: () => ({
        ...deviceDefaults(plan.name, standIn.machineIdentifier),
        provides: 'server',
        ownerId: owned ? null : 8_000_001,
        sourceTitle: owned ? null : plan.sourceTitle ?? 'a friend',
        accessToken,
        owned,
        presence: plan.presence ?? true,
        connections: plan.connections.map((connection, i) => {
          const protocol = connection.protocol ?? 'http';
          const port = ports[i]();
          return { protocol, address: '127.0.0.1', port, uri: `${protocol}://127.0.0.1:${port}`, local: connection.local, relay: connection.relay ?? false, IPv6: false };
        }),
      }),
    };
    this.servers.set(standIn.machineIdentifier, server);
    this.resources.push(server);
    return server;
  }

  /** A device that is no server (a phone), listed in /api/v2/resources all the same. */
  addClientDevice(name: string): void {
    const clientIdentifier = randomBytes(8).toString('hex');
    this.resources.push({ device: () => ({ ...deviceDefaults(name, clientIdentifier), product: 'Plex for Android', provides: 'client,player', accessToken: `client-${clientIdentifier}`, connections: [] }) });
  }

  readonly servers = new Map<string, StandInServer>();

  /** The control to move a server: it answers on new ports, and /api/v2/resources lists those. */
  async moveServer(machineIdentifier: string): Promise<void> {
    const server = this.servers.get(machineIdentifier);
    if (!server) throw new Error(`no server ${machineIdentifier}`);
    await server.standIn.relisten();
  }

  /**
   * The demo's servers, as issue 11 describes them: an owned one whose local https connection
   * is dead, with a working local http one, a remote and a relay; a shared one with its own
   * token; and a phone.
   */
  async addDemoServers(): Promise<{ owned: StandInServer; shared: StandInServer }> {
    const owned = await this.addServer({
      name: 'Living Room',
      connections: [{ local: true, protocol: 'https', dead: true }, { local: true }, { local: false }, { local: false, relay: true }],
    });
    const shared = await this.addServer({ name: "Anna's Server", owned: false, sourceTitle: 'anna', connections: [{ local: true, dead: true }, { local: false }] });
    this.addClientDevice('Pixel 8');
    return { owned, shared };
  }

  async stopServers(): Promise<void> {
    for (const server of this.servers.values()) await server.standIn.stop();
  }

  private serversTable(): string {
    if (!this.servers.size) return '';
    const rows = [...this.servers.values()].map((server) => {
      const device = server.device() as { connections: Array<{ uri: string }> };
      return `<tr><td>${escapeHtml(server.name)}</td><td><code>${server.standIn.machineIdentifier.slice(0, 12)}…</code></td><td>${device.connections.map((c) => escapeHtml(c.uri)).join('<br>')}</td>`
        + `<td><form method="post" action="/demo/move/${server.standIn.machineIdentifier}"><button type="submit">Move to new ports</button></form></td></tr>`;
    }).join('');
    return `<h2>Servers of the account</h2><table><tr><th>name</th><th>machineIdentifier</th><th>connections</th><th></th></tr>${rows}</table>`;
  }

  /** The demo's stand-in for the plex.tv approval page: every waiting PIN, with a button. */
  private demoPage(res: http.ServerResponse): void {
    const now = Date.now();
    const rows = [...this.pins.values()]
      .filter((pin) => now < pin.expiresAt)
      .reverse()
      .map((pin) => {
        const left = Math.round((pin.expiresAt - now) / 1000);
        const action = pin.authToken
          ? '<span class="ok">approved</span>'
          : `<form method="post" action="/demo/approve/${pin.id}"><button type="submit">Approve</button></form>`;
        return `<tr><td>${pin.id}</td><td><code>${escapeHtml(pin.code)}</code></td><td>${escapeHtml(pin.product)}</td><td>${left} s</td><td>${action}</td></tr>`;
      })
      .join('');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Plex stand-in: approve a PIN</title>
<meta http-equiv="refresh" content="5"><style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .8em;text-align:left}.ok{color:green}</style></head>
<body><h1>Plex stand-in</h1><p>This page plays the part of plex.tv: approve a PIN as its owner would.
Or play <a href="/demo/tv">a TV that shows a code</a> for a plex-link-code node to link.</p>
<table><tr><th>PIN id</th><th>code</th><th>product</th><th>expires in</th><th></th></tr>${rows || '<tr><td colspan="5">No PIN is waiting. Make one with a plex-pin node.</td></tr>'}</table>
${this.serversTable()}</body></html>`);
  }

  /** The demo's TV: shows its 4-character code until an account links it (then whose it is). */
  private tvPage(res: http.ServerResponse, pin: StandInPin | undefined): void {
    if (!pin || pin.strong) return this.html(res, 404, '404 Not Found');
    const now = Date.now();
    const account = pin.authToken ? this.accountTokens.get(pin.authToken) : undefined;
    const state = pin.authToken
      ? `<p class="ok">Linked to ${escapeHtml(account?.username ?? 'an account')}.</p>`
      : now >= pin.expiresAt
        ? '<p>The code expired. <a href="/demo/tv">Show a new one</a>.</p>'
        : `<p>Waiting to be linked: send <code>${escapeHtml(pin.code)}</code> to a plex-link-code node (${Math.round((pin.expiresAt - now) / 1000)} s left).</p>`;
    const refresh = pin.authToken || now >= pin.expiresAt ? '' : '<meta http-equiv="refresh" content="2">';
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Plex stand-in: a TV to link</title>${refresh}
<style>body{font-family:sans-serif;margin:2em}.code{font-size:4em;letter-spacing:.2em;font-family:monospace}.ok{color:green}</style></head>
<body><h1>A TV to link</h1><p>This page plays a TV that asks to be linked to a Plex account, as plex.tv/link does.</p>
<p class="code" data-pin="${pin.id}">${escapeHtml(pin.code)}</p>${state}<p><a href="/demo">Back to the stand-in</a></p></body></html>`);
  }
}

/** `node dist/dev/plex-stand-in.js [port]`: run it on its own. */
if (require.main === module) {
  const standIn = new PlexStandIn();
  standIn.start(Number(process.argv[2] ?? 0)).then((url) => {
    const token = standIn.addAccount('demo-user');
    process.stdout.write(`Plex stand-in at ${url} (approve PINs at ${url}/demo); server admin token: ${token.slice(0, 4)}…\n`);
  });
}
