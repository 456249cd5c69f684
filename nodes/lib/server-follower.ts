/**
 * A plex-server with a machineIdentifier follows its server: when its url stops answering,
 * the account's server list (plex.tv) names the server's connections; the best-ranked one
 * that answers /identity as that server is used from then on, across restarts too (sealed
 * runtime state), without changing the deployed configuration.
 */
import type { NodeAPI } from 'node-red';
import { PlexError, firstAnswering, type PlexAccount, type ServerAddress, type ServerRelocator, type TlsSettings } from '../../src/core';
import { fingerprint, runtimeState, type SavedServerAddress } from './runtime-state';
import { serversOfAccount } from './servers';
import { t } from './i18n';

export interface ServerFollower extends ServerRelocator {
  /** Where to start: the address found before (this configuration, earlier run), else the configured url. */
  startUrl: string;
  /** A shared server's own token, found through the account: only while the account holds the token it was found with. */
  token(): string | undefined;
  /** Forgets the address found (the node was removed). */
  forget(): void;
}

export interface FollowedServer {
  /** The plex-server node's id: what its found address is kept under. */
  nodeId: string;
  configuredUrl: string;
  machineIdentifier: string;
  tls: TlsSettings | undefined;
  account: PlexAccount;
  accountId: string;
  warn(text: string): void;
}

export function followServer(RED: NodeAPI, followed: FollowedServer): ServerFollower {
  const { nodeId, configuredUrl, machineIdentifier, account } = followed;
  const state = runtimeState(RED);
  let saved = state.serverAddress(nodeId);
  if (saved && (saved.configuredUrl !== configuredUrl || saved.machineIdentifier !== machineIdentifier)) {
    saved = undefined; // found for another configuration
    state.setServerAddress(nodeId, undefined);
  }
  /** One search at a time: requests that fail together wait for the same answer. */
  let search: Promise<ServerAddress> | undefined;

  async function find(failed: URL, fault: PlexError, signal?: AbortSignal): Promise<ServerAddress> {
    if (!account.token()) throw fault; // nobody to ask: the fault as it was
    let lastError: PlexError | undefined;
    // The list of the last few minutes first; when none of its addresses answers, plex.tv's list of now.
    for (const maxAgeMs of [undefined, 0]) {
      let servers;
      try {
        servers = (await serversOfAccount(followed.accountId, account, { maxAgeMs, signal })).value;
      } catch (error) {
        const reason = error instanceof PlexError ? error : new PlexError(String(error), { kind: 'response' });
        throw new PlexError(t(RED, 'error.server-lookup-failed', { message: fault.message, reason: reason.message }), {
          kind: reason.kind,
          code: reason.code,
          status: reason.status,
        });
      }
      const server = servers.find((each) => each.machineIdentifier === machineIdentifier);
      if (!server) {
        lastError = new PlexError(t(RED, 'error.server-not-listed', { message: fault.message, id: machineIdentifier }), {
          kind: 'network',
          code: 'PLEX_UNREACHABLE',
        });
        continue;
      }
      const candidates = server.connections.map((connection) => connection.uri).filter((uri) => URL.canParse(uri) && new URL(uri).origin !== failed.origin);
      try {
        const url = await firstAnswering(candidates, machineIdentifier, { identity: account.identity, tls: followed.tls, signal });
        return { url: new URL(url), token: server.owned ? undefined : server.accessToken || undefined };
      } catch (error) {
        if (!(error instanceof PlexError) || error.kind === 'aborted') throw error;
        lastError = new PlexError(`${fault.message}; ${error.message}`, { kind: 'network', code: 'PLEX_UNREACHABLE' });
      }
    }
    throw lastError!;
  }

  /** The shared server's token, while the account still holds the token it was found with (not after a sign-out or another user's sign-in). */
  function sharedToken(): string | undefined {
    if (!saved?.token) return undefined;
    if (saved.accountToken === fingerprint(account.token())) return saved.token;
    saved = { ...saved, token: undefined, accountToken: undefined };
    state.setServerAddress(nodeId, saved);
    return undefined;
  }

  return {
    startUrl: saved?.url ?? configuredUrl,
    token: sharedToken,
    forget: () => state.setServerAddress(nodeId, undefined),
    relocate(failed, fault, signal) {
      search ??= find(failed, fault, signal)
        .then((found) => {
          const kept: SavedServerAddress = { configuredUrl, machineIdentifier, url: found.url.origin, movedAt: Date.now() };
          if (found.token) Object.assign(kept, { token: found.token, accountToken: fingerprint(account.token()) });
          saved = kept;
          state.setServerAddress(nodeId, saved);
          followed.warn(t(RED, 'warn.server-moved', { url: failed.origin, address: found.url.origin }));
          return found;
        })
        .finally(() => {
          search = undefined;
        });
      return search;
    },
  };
}
