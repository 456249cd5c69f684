/**
 * The account's Plex Media Servers as plex.tv lists them (GET /api/v2/resources), each with
 * its connections best first. See "Finding the account's servers" in plex-facts.md.
 */
import { ResponseSchema, cutList, type Checked } from './validate';
import * as schemas from './schemas';

/** One way to reach a server, as plex.tv lists it. */
export interface ServerConnection {
  uri: string;
  address: string;
  port: number;
  protocol: 'http' | 'https';
  local: boolean;
  relay: boolean;
  IPv6: boolean;
}

/** A server of the account, as the plex-servers node sends it: no access token. */
export interface AccountServer {
  name: string;
  machineIdentifier: string;
  owned: boolean;
  /** Who shares it with the account (plex.tv's sourceTitle); null for an owned server. */
  owner: string | null;
  /** Online as plex.tv sees it. */
  online: boolean;
  product: string;
  version: string;
  /** Best first; a shared server's local connections are left out. */
  connections: ServerConnection[];
}

/** A server with the token plex.tv gives for it: kept on the runtime side only. */
export interface AccountServerWithToken extends AccountServer {
  accessToken: string;
}

interface DeviceBody {
  name: string;
  product?: string;
  productVersion?: string;
  clientIdentifier: string;
  provides: string;
  sourceTitle?: string | null;
  accessToken?: string;
  owned: boolean;
  presence?: boolean;
  connections: ServerConnection[];
}

const resourcesSchema = new ResponseSchema<DeviceBody[]>('plex.tv resources', schemas.resources);

/** Where a connection stands: local, then remote, then relay; https (the plex.direct name) before http. */
function rankOf(connection: ServerConnection): number {
  const place = connection.relay ? 2 : connection.local ? 0 : 1;
  return place * 2 + (connection.protocol === 'https' ? 0 : 1);
}

/**
 * The connections worth trying, best first (python-plexapi, @ctrl/plex and Home Assistant
 * order them so): a server the account does not own is not tried on local addresses, which
 * are someone else's LAN. Equal ones keep plex.tv's order.
 */
export function rankConnections(connections: readonly ServerConnection[], owned: boolean): ServerConnection[] {
  return connections.filter((connection) => owned || !connection.local).sort((a, b) => rankOf(a) - rankOf(b));
}

/** "server" as one item of a comma-separated list; a test, not a split, for a peer's string may hold a million commas. */
const PROVIDES_SERVER = /(?:^|,)\s*server\s*(?:,|$)/;

/** The devices that provide "server", with their connections ranked. */
export function serversOf(devices: readonly DeviceBody[]): AccountServerWithToken[] {
  return devices
    .filter((device) => PROVIDES_SERVER.test(device.provides))
    .map((device) => ({
      name: device.name,
      machineIdentifier: device.clientIdentifier,
      owned: device.owned,
      owner: device.owned ? null : (device.sourceTitle ?? null),
      online: device.presence === true,
      product: device.product ?? '',
      version: device.productVersion ?? '',
      connections: rankConnections(
        device.connections.map(({ uri, address, port, protocol, local, relay, IPv6 }) => ({ uri, address, port, protocol, local, relay, IPv6 })),
        device.owned,
      ),
      accessToken: device.accessToken ?? '',
    }));
}

/** What a flow may see of a server: everything but its access token. */
export function publicServer({ accessToken: _token, ...server }: AccountServerWithToken): AccountServer {
  return server;
}

/** The account's servers, owned and shared, with their access tokens, from plex.tv's answer to /api/v2/resources. */
export function checkedServers(body: unknown): Checked<AccountServerWithToken[]> {
  // Past MAX_DEVICES the check refuses the answer: no device beyond is looked at.
  const devices = Array.isArray(body) ? body.slice(0, schemas.MAX_DEVICES) : [];
  const cut = devices.filter((device) => cutList(device, 'connections', schemas.MAX_CONNECTIONS) !== undefined).length;
  const { value, warnings } = resourcesSchema.check(body);
  if (cut)
    warnings.push(
      `plex.tv resources: ${cut} device(s) list more than ${schemas.MAX_CONNECTIONS} connections; only their first ${schemas.MAX_CONNECTIONS} are tried`,
    );
  return { value: serversOf(value), warnings };
}

/** How long a list of the account's servers is reused before plex.tv is asked again. */
export const RESOURCES_MAX_AGE_MS = 5 * 60_000;

/** The account's servers, fetched once per key (account) and reused for at most maxAgeMs. */
export class ResourcesCache {
  private readonly entries = new Map<string, { at: number; servers: Promise<Checked<AccountServerWithToken[]>>; loading: boolean }>();

  constructor(
    private readonly maxAgeMs = RESOURCES_MAX_AGE_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * The cached list when it is at most `maxAgeMs` old (default: the cache's own age), else a new
   * one from `load`. A list still loading is shared whatever the age asked for: it is of now.
   * A failed load is not kept.
   */
  get(key: string, load: () => Promise<Checked<AccountServerWithToken[]>>, { maxAgeMs = this.maxAgeMs } = {}): Promise<Checked<AccountServerWithToken[]>> {
    const entry = this.entries.get(key);
    if (entry && (entry.loading || this.isFresh(entry.at, maxAgeMs))) return entry.servers;
    const created = { at: this.now(), servers: load(), loading: true };
    this.entries.set(key, created);
    created.servers.then(
      () => {
        created.loading = false;
        created.at = this.now();
      },
      () => this.entries.get(key) === created && this.entries.delete(key),
    );
    return created.servers;
  }

  /**
   * Younger than `maxAgeMs`. A list from the future is not: the clock was set back since (a Pi
   * without a clock chip corrected after boot), and how old the list is, nobody knows.
   */
  private isFresh(at: number, maxAgeMs: number): boolean {
    const age = this.now() - at;
    return age >= 0 && age < maxAgeMs;
  }
}
