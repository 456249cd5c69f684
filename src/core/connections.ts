/**
 * Choosing how to reach a server: every candidate connection is asked GET /identity at once
 * (no token), with a short limit, and the best-ranked one that answers with the server's
 * machineIdentifier wins. Costs the slowest allowed attempt, not the sum of them.
 */
import { type ClientIdentity, identityHeaders } from './identity';
import { HttpClient, type TlsSettings } from './http';
import { PlexError } from './errors';
import { ResponseSchema } from './validate';
import * as schemas from './schemas';

/** How long one connection may take to answer /identity: a hanging address costs no more than this. */
export const CONNECTION_LIMIT_MS = 3000;

interface IdentityBody {
  MediaContainer: { machineIdentifier: string };
}

const identitySchema = new ResponseSchema<IdentityBody>('Plex Media Server identity', schemas.identity);

export interface RaceOptions {
  identity: ClientIdentity;
  /** The server's tls-config settings: certificates are verified as for every other call. */
  tls?: TlsSettings;
  limitMs?: number;
  signal?: AbortSignal;
}

/** One candidate's outcome: why it was not taken, for the message when none is. */
type Attempt = { ok: true } | { ok: false; reason: string };

/** A candidate's base URL: plex.tv's uri with nothing after the port. */
function baseUrlOf(uri: string): URL {
  const url = new URL(uri);
  url.pathname = '/';
  url.search = '';
  url.hash = '';
  return url;
}

/**
 * The first of `uris` (ranked best first) that answers /identity with `machineIdentifier`,
 * as a base URL without trailing slash. Rejects with PLEX_UNREACHABLE naming every address
 * tried and why, when none does. The token never goes to any of them here.
 */
export async function firstAnswering(uris: readonly string[], machineIdentifier: string, options: RaceOptions): Promise<string> {
  const limitMs = options.limitMs ?? CONNECTION_LIMIT_MS;
  const http = new HttpClient({ timeoutMs: limitMs, tls: options.tls });
  const controller = new AbortController();
  const stop = () => controller.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  const outcomes: Array<Attempt | undefined> = uris.map(() => undefined);
  try {
    return await new Promise<string>((resolve, reject) => {
      /** Decides as soon as every better-ranked candidate has failed and this one answered. */
      const settle = () => {
        for (let i = 0; i < uris.length; i++) {
          const outcome = outcomes[i];
          if (!outcome) return; // a better one may still answer
          if (outcome.ok) return resolve(baseUrlOf(uris[i]).origin);
        }
        if (options.signal?.aborted) return reject(new PlexError('finding the server: stopped', { kind: 'aborted' }));
        const tried = uris.map((uri, i) => `${uri} (${(outcomes[i] as { reason: string }).reason})`).join('; ');
        reject(new PlexError(`no connection of server ${machineIdentifier} answered: ${tried || 'plex.tv lists none'}`, { kind: 'network', code: 'PLEX_UNREACHABLE' }));
      };
      uris.forEach((uri, i) => {
        probe(http, uri, machineIdentifier, options.identity, controller.signal).then((outcome) => {
          outcomes[i] = outcome;
          settle();
        });
      });
      settle();
    });
  } finally {
    controller.abort(); // the losers: nobody waits for them
    options.signal?.removeEventListener('abort', stop);
    http.close();
  }
}

/** Asks one candidate who it is. Never rejects: a failure is a reason. */
async function probe(http: HttpClient, uri: string, machineIdentifier: string, identity: ClientIdentity, signal: AbortSignal): Promise<Attempt> {
  try {
    const url = new URL('identity', baseUrlOf(uri));
    const response = await http.request({ method: 'GET', url, headers: identityHeaders(identity), signal, peer: 'Plex Media Server' });
    const answered = identitySchema.check(response.body).value.MediaContainer.machineIdentifier;
    if (answered !== machineIdentifier) return { ok: false, reason: `another server answered (${answered.slice(0, 60)})` };
    return { ok: true };
  } catch (error) {
    if (error instanceof TypeError) return { ok: false, reason: 'not a URL' };
    return { ok: false, reason: error instanceof PlexError ? reasonOf(error) : String(error) };
  }
}

/** A short reason: the network code or status, else the message after the peer's name. */
function reasonOf(error: PlexError): string {
  if (error.kind === 'timeout') return 'no answer in time';
  if (error.kind === 'http') return `HTTP ${error.status}`;
  const code = /\(([A-Z_0-9]+)\)$/.exec(error.message)?.[1];
  return code ?? error.message.replace(/^Plex Media Server \([^)]*\)\s*/, '');
}
