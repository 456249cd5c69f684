/**
 * A local stand-in for plex.tv and a Plex Media Server, on loopback, for tests, the demo
 * and the benchmarks. It answers as the reference description and plex-facts.md say Plex
 * does, and can be told to misbehave (status codes, bodies, hangs, resets, redirects).
 *
 * This class is the world the stand-in plays: PINs, accounts and their tokens, the servers,
 * recorded requests, faults to inject. What it plays is split by part, each a table of
 * routes in dev/stand-in/: plex.tv's classic API, its JWT sign-in, a Plex Media Server, and
 * the demo's pages.
 */
import http from 'node:http';
import https from 'node:https';
import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Refusal, deadPort, html, listenOnLoopback, plexError, type Exchange, type Route } from './stand-in/exchange';
import { applyFault, applyUpgradeFault, passingFault, type Fault } from './stand-in/faults';
import { plexTvRoutes } from './stand-in/plex-tv';
import { jwtRoutes, refusedPlexJwt } from './stand-in/jwt';
import { PlexTvSigner, approveKeyPin } from './stand-in/device-keys';
import { admitted, mediaServerRoutes } from './stand-in/media-server';
import { NOTIFICATIONS_PATH_PATTERN, StandInPlayback } from './stand-in/notifications';
import { demoRoutes } from './stand-in/demo';
import { clientDevice, deviceDefaults } from './stand-in/resources';

export type { Fault } from './stand-in/faults';

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

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  at: number;
  /** The request body, for the calls that take one. */
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
  /** The server's name, as its root (GET /) answers it. */
  friendlyName?: string;
  /** Admin tokens to share with another stand-in: an owned server takes its account's tokens. */
  serverTokens?: Set<string>;
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** The largest request body read; a larger one ends the request. */
const MAX_BODY = 64 * 1024;

function code(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return text;
}

/** A device's public key as plex.tv takes it (kty OKP, crv Ed25519, x; kid names it). */
export interface StandInJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  [member: string]: unknown;
}

export type StandInUser = { id: number; uuid: string; username: string; email: string };

/** A Plex JWT the stand-in issued. */
export interface StandInPlexJwt {
  clientIdentifier: string;
  kid: string;
  /** Epoch ms; after it the token is answered 498. */
  expiresAt: number;
  revoked: boolean;
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

export class PlexStandIn {
  readonly pins = new Map<number, StandInPin>();
  readonly requests: RecordedRequest[] = [];
  /** Tokens plex.tv accepts (account tokens), with the user they belong to. */
  readonly accountTokens = new Map<string, StandInUser>();
  /** Tokens the Plex Media Server accepts as admin tokens. */
  readonly serverTokens: Set<string>;
  /** Transient tokens the server made. */
  readonly transientTokens = new Set<string>();
  /** Sources the server knows for /security/resources. */
  readonly sources = new Map<string, unknown>();
  /** Answer the server's /security calls in XML instead of JSON. */
  serverXml = false;
  /**
   * Whether this server takes Plex JWTs. Real servers (1.42 to 1.43, 2026) answer 401 to every
   * Plex JWT (plex-facts.md "JWT as real servers meet it"): off unless a test or the demo turns it on.
   */
  takesPlexJwts = false;
  /** The client identifier each classic token was issued to by a PIN: a JWT issued for that identifier ends it. */
  readonly classicTokenClients = new Map<string, string>();
  /** Seconds a Plex JWT lives (plex.tv: 7 days); tests set a few seconds. */
  jwtLifetimeSec = 7 * 24 * 3600;
  /** Device keys registered (by a key PIN's approval or /auth/jwk), by kid. */
  readonly deviceKeys = new Map<string, { jwk: StandInJwk; clientIdentifier: string; user: StandInUser }>();
  /** Plex JWTs issued, by token. */
  readonly plexJwts = new Map<string, StandInPlexJwt>();
  /** Server-scoped JWTs handed out in resources, by server and user. */
  readonly serverScopedJwts = new Map<string, string>();
  /** plex.tv's signing keys and nonces. */
  readonly signer = new PlexTvSigner();
  /** What /identity answers. */
  readonly machineIdentifier: string;
  readonly friendlyName: string;
  /** What plays on the server now, and its notification sockets. */
  readonly playback = new StandInPlayback((token) => admitted(this, token));
  /** Devices this plex.tv lists in /api/v2/resources, for every account token. */
  readonly resources: StandInResource[] = [];
  readonly servers = new Map<string, StandInServer>();
  url = '';

  /** First match wins: the JWT routes take the requests that carry a key before the classic ones. */
  private readonly routes: Route[] = [...jwtRoutes(this), ...plexTvRoutes(this), ...mediaServerRoutes(this), ...demoRoutes(this)];
  private readonly faults: Array<{ match: RegExp; fault: Fault; times: number }> = [];
  private readonly server: http.Server;
  /** Further ports this server listens on: one per connection of it that answers. */
  private readonly alsoListening: http.Server[] = [];
  private readonly sockets = new Set<Socket>();
  private nextId = 100000 + randomInt(900000);

  constructor(private readonly options: StandInOptions = {}) {
    if (options.firstPinId !== undefined) this.nextId = options.firstPinId;
    this.serverTokens = options.serverTokens ?? new Set<string>();
    this.machineIdentifier = options.machineIdentifier ?? randomBytes(20).toString('hex');
    this.friendlyName = options.friendlyName ?? 'Plex stand-in';
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
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  /** A WebSocket upgrade: recorded and open to faults like every request; only the notification path upgrades. */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, at: Date.now() });
    const fault = this.takeFault(`${req.method} ${url.pathname}${url.search}`);
    if (fault && 'heldUntil' in fault) return void fault.heldUntil.finally(() => this.upgradeNow(req, socket, head));
    if (fault) return applyUpgradeFault(fault, socket);
    this.upgradeNow(req, socket, head);
  }

  private upgradeNow(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (!NOTIFICATIONS_PATH_PATTERN.test(url.pathname)) return applyUpgradeFault({ status: 404, body: '', contentType: 'text/html' }, socket);
    this.playback.upgrade(req, socket, head);
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
    if (pin.jwk) return approveKeyPin(this, pin, username);
    pin.authToken ??= this.addAccount(username);
    this.classicTokenClients.set(pin.authToken, pin.clientIdentifier);
    return pin.authToken;
  }

  /** Makes a PIN expire now. */
  expire(id: number): void {
    const pin = this.pins.get(id);
    if (pin) pin.expiresAt = Date.now() - 1;
  }

  /** Makes a PIN as plex.tv does for POST /api/v2/pins (also for the demo's TV). */
  newPin(options: { clientIdentifier: string; product: string; strong: boolean }): StandInPin {
    const lifetime = (options.strong ? (this.options.strongLifetimeSec ?? 1800) : (this.options.codeLifetimeSec ?? 900)) * 1000;
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

  /** Revokes a Plex JWT (401 from now on) and removes the device it was issued to, as "remove device" on plex.tv does. */
  revokePlexJwt(token: string): void {
    const issued = this.plexJwts.get(token);
    if (!issued) throw new Error('not a Plex JWT of this stand-in');
    issued.revoked = true;
    this.deviceKeys.delete(issued.kid);
  }

  /** A token refused from now on by plex.tv and by every server, as "sign out of all devices" does. */
  revokeToken(token: string): void {
    this.accountTokens.delete(token);
    this.serverTokens.delete(token);
    const issued = this.plexJwts.get(token);
    if (issued) issued.revoked = true;
  }

  /** Whether this stand-in and every server it lists take Plex JWTs (real servers refuse them today). */
  setTakesPlexJwts(takes: boolean): void {
    this.takesPlexJwts = takes;
    for (const server of this.servers.values()) server.standIn.takesPlexJwts = takes;
  }

  /** Makes a Plex JWT expire now on the stand-in's side (498 from now on), whatever its exp says. */
  expirePlexJwt(token: string): void {
    const issued = this.plexJwts.get(token);
    if (!issued) throw new Error('not a Plex JWT of this stand-in');
    issued.expiresAt = Date.now() - 1;
  }

  private takeFault(key: string): Fault | undefined {
    const index = this.faults.findIndex((f) => f.match.test(key));
    if (index >= 0) {
      const entry = this.faults[index];
      if (--entry.times <= 0) this.faults.splice(index, 1);
      return entry.fault;
    }
    const rate = this.options.faultRate ?? 0;
    return rate > 0 && !key.includes('/demo') && Math.random() < rate ? passingFault() : undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, at: Date.now() };
    this.requests.push(recorded);
    if (this.requests.length > 100_000) this.requests.splice(0, 50_000);
    const fault = this.takeFault(`${req.method} ${url.pathname}${url.search}`);
    if (fault && 'heldUntil' in fault) return void fault.heldUntil.finally(() => this.readThenAnswer(req, res, url, recorded));
    if (fault) return applyFault(fault, req, res);
    this.readThenAnswer(req, res, url, recorded);
  }

  /** Reads the request's body, then gives the normal answer. */
  private readThenAnswer(req: http.IncomingMessage, res: http.ServerResponse, url: URL, recorded: RecordedRequest): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) return void req.destroy();
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (chunks.length) recorded.body = Buffer.concat(chunks).toString('utf8');
      this.answer(req, res, url, recorded.body ?? '');
    });
  }

  /** The normal answer to a request: the route that matches it, or a 404. */
  private answer(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string): void {
    const plexValue = (name: string) => (req.headers[name.toLowerCase()] as string | undefined) ?? url.searchParams.get(name) ?? undefined;
    const base = { req, res, url, body, plexValue, token: req.headers['x-plex-token'] as string | undefined, clientId: plexValue('X-Plex-Client-Identifier') };
    if (refusedPlexJwt(this, { ...base, match: [] as unknown as RegExpExecArray })) return;
    for (const route of this.routes) {
      if (route.method !== '*' && route.method !== req.method) continue;
      const match = route.path.exec(url.pathname);
      if (!match) continue;
      const exchange: Exchange = { ...base, match };
      if (route.when && !route.when(exchange)) continue;
      Promise.resolve()
        .then(() => route.handle(exchange))
        .catch((error: unknown) => {
          if (error instanceof Refusal) return plexError(res, error.status, error.plexCode, error.message);
          plexError(res, 500, 1000, 'Internal error');
        });
      return;
    }
    html(res, 404, '404 Not Found');
  }

  // ---- The account's servers: /api/v2/resources lists them, each answers /identity on ports of its own. ----

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

  /** The server restarts: every connection ends, nothing answers for `downMs`, then it answers on the same ports again. */
  async restart(downMs = 0): Promise<void> {
    const ports = this.urls.map((url) => Number(new URL(url).port));
    await this.stop();
    if (downMs) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start(ports[0]);
    for (const [index, server] of this.alsoListening.entries()) await new Promise<void>((resolve) => server.listen(ports[index + 1], '127.0.0.1', resolve));
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
    const standIn = new PlexStandIn({
      machineIdentifier: plan.machineIdentifier,
      friendlyName: plan.name,
      serverTokens: owned ? this.serverTokens : new Set(),
    });
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
        sourceTitle: owned ? null : (plan.sourceTitle ?? 'a friend'),
        accessToken,
        owned,
        presence: plan.presence ?? true,
        connections: plan.connections.map((connection, i) => {
          const protocol = connection.protocol ?? 'http';
          const port = ports[i]();
          return {
            protocol,
            address: '127.0.0.1',
            port,
            uri: `${protocol}://127.0.0.1:${port}`,
            local: connection.local,
            relay: connection.relay ?? false,
            IPv6: false,
          };
        }),
      }),
    };
    this.servers.set(standIn.machineIdentifier, server);
    this.resources.push(server);
    return server;
  }

  /** A device that is no server (a phone), listed in /api/v2/resources all the same. */
  addClientDevice(name: string): void {
    const device = clientDevice(name, randomBytes(8).toString('hex'));
    this.resources.push({ device: () => device });
  }

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
    const shared = await this.addServer({
      name: "Anna's Server",
      owned: false,
      sourceTitle: 'anna',
      connections: [{ local: true, dead: true }, { local: false }],
    });
    this.addClientDevice('Pixel 8');
    return { owned, shared };
  }

  async stopServers(): Promise<void> {
    for (const server of this.servers.values()) await server.standIn.stop();
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
