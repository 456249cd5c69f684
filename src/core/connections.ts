/**
 * Choosing how to reach a server: the candidate connections are asked GET /identity at once
 * (no token), up to MAX_PROBES_IN_FLIGHT of them, best-ranked first, with a short limit, and
 * the best-ranked one that answers with the server's machineIdentifier wins. Costs the slowest
 * allowed attempt, not the sum of them, while fewer than that many hang before the winner.
 */
import { type ClientIdentity, identityHeaders } from './identity';
import { HttpClient, type TlsSettings } from './http';
import { PlexError } from './errors';
import { identitySchema } from './media-server';

/** How long one connection may take to answer /identity: a hanging address costs no more than this. */
export const CONNECTION_LIMIT_MS = 3000;
/**
 * Candidates asked at once: servers list a handful, and a list of thousands (a hostile or
 * broken plex.tv) must not open thousands of sockets in the Node-RED process (EMFILE).
 */
export const MAX_PROBES_IN_FLIGHT = 16;
/** Candidates named in the message when none answers; the rest are counted. */
const MAX_NAMED_IN_ERROR = 10;

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
 * as a base URL without trailing slash. At most MAX_PROBES_IN_FLIGHT are asked at once, best
 * first; none ranked after one that answered is asked. Rejects with PLEX_UNREACHABLE naming
 * the addresses tried and why, when none does. The token never goes to any of them here.
 */
export async function firstAnswering(uris: readonly string[], machineIdentifier: string, options: RaceOptions): Promise<string> {
  const limitMs = options.limitMs ?? CONNECTION_LIMIT_MS;
  const http = new HttpClient({ timeoutMs: limitMs, tls: options.tls });
  // One question per candidate: its socket closes with the answer instead of idling in the pool until the race ends.
  const headers = { ...identityHeaders(options.identity), Connection: 'close' };
  const controller = new AbortController();
  const stop = () => controller.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  const outcomes: Array<Attempt | undefined> = uris.map(() => undefined);
  try {
    return await new Promise<string>((resolve, reject) => {
      /** The next candidate to ask. */
      let next = 0;
      let inFlight = 0;
      /** Every candidate before this one has failed. */
      let failedBefore = 0;
      /** The best-ranked candidate that answered so far: none after it is worth asking. */
      let bestAnswered = uris.length;
      const ask = () => {
        while (inFlight < MAX_PROBES_IN_FLIGHT && next < bestAnswered && !controller.signal.aborted) {
          const i = next++;
          inFlight += 1;
          void probe(http, uris[i], machineIdentifier, headers, controller.signal).then((outcome) => {
            inFlight -= 1;
            outcomes[i] = outcome;
            if (outcome.ok) bestAnswered = Math.min(bestAnswered, i);
            settle();
          });
        }
      };
      /** Decides as soon as every better-ranked candidate has failed and this one answered; else asks the next ones. */
      const settle = () => {
        while (failedBefore < uris.length && outcomes[failedBefore]?.ok === false) failedBefore += 1;
        if (failedBefore === bestAnswered && bestAnswered < uris.length) return resolve(baseUrlOf(uris[bestAnswered]).origin);
        if (options.signal?.aborted) return reject(new PlexError('finding the server: stopped', { kind: 'aborted' }));
        if (failedBefore < uris.length) return ask();
        reject(
          new PlexError(`no connection of server ${machineIdentifier} answered: ${triedOf(uris, outcomes as Attempt[])}`, {
            kind: 'network',
            code: 'PLEX_UNREACHABLE',
          }),
        );
      };
      settle();
    });
  } finally {
    controller.abort(); // the losers: nobody waits for them
    options.signal?.removeEventListener('abort', stop);
    http.close();
  }
}

/** Every candidate with why it failed, the first few named and the rest counted: a list of thousands makes no message of megabytes. */
function triedOf(uris: readonly string[], outcomes: readonly Attempt[]): string {
  if (!uris.length) return 'plex.tv lists none';
  const named = uris.slice(0, MAX_NAMED_IN_ERROR).map((uri, i) => `${uri.slice(0, 200)} (${(outcomes[i] as { reason: string }).reason})`);
  const more = uris.length - named.length;
  return named.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/** Asks one candidate who it is. Never rejects: a failure is a reason. */
async function probe(
  http: HttpClient,
  uri: string,
  machineIdentifier: string,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<Attempt> {
  try {
    const url = new URL('identity', baseUrlOf(uri));
    const response = await http.request({ method: 'GET', url, headers, signal, peer: 'Plex Media Server' });
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
