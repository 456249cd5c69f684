/**
 * A plex-server with a machineIdentifier follows its server: when its url stops answering,
 * the account's server list (plex.tv) names the server's connections; the best-ranked one
 * that answers /identity as that server is used from then on, across restarts too (sealed
 * runtime state), without changing the deployed configuration.
 */
import type { NodeAPI } from 'node-red';
import { PlexError, firstAnswering, type ServerAddress, type ServerRelocator, type TlsSettings } from '../../src/core';
import type { PlexServerNode } from './types';
import { runtimeState } from './runtime-state';
import { accountServers } from './servers';
import { t } from './i18n';

export interface ServerFollower extends ServerRelocator {
  /** Where to start: the address found before (this configuration, earlier run), else the configured url. */
  startUrl: string;
  /** A shared server's own token, once the server was found through the account. */
  token(): string | undefined;
  /** Forgets the address found (the node was removed). */
  forget(): void;
}

export function followServer(RED: NodeAPI, node: PlexServerNode, configuredUrl: string, machineIdentifier: string, tls: TlsSettings | undefined): ServerFollower {
  const state = runtimeState(RED);
  let saved = state.serverAddress(node.id);
  if (saved && (saved.configuredUrl !== configuredUrl || saved.machineIdentifier !== machineIdentifier)) {
    saved = undefined; // found for another configuration
    state.setServerAddress(node.id, undefined);
  }
  /** One search at a time: requests that fail together wait for the same answer. */
  let search: Promise<ServerAddress> | undefined;

  async function find(failed: URL, fault: PlexError, signal?: AbortSignal): Promise<ServerAddress> {
    const account = node.account;
    const token = account?.token();
    if (!account || !token) throw fault; // nobody to ask: the fault as it was
    let lastError: PlexError | undefined;
    // The list of the last few minutes first; when none of its addresses answers, plex.tv's list of now.
    for (const fresh of [false, true]) {
      let servers;
      try {
        servers = (await account.withToken((current) => accountServers(account, current, { fresh, signal }))).value;
      } catch (error) {
        const reason = error instanceof PlexError ? error : new PlexError(String(error), { kind: 'response' });
        throw new PlexError(t(RED, 'error.server-lookup-failed', { message: fault.message, reason: reason.message }), { kind: reason.kind, code: reason.code, status: reason.status });
      }
      const server = servers.find((each) => each.machineIdentifier === machineIdentifier);
      if (!server) {
        lastError = new PlexError(t(RED, 'error.server-not-listed', { message: fault.message, id: machineIdentifier }), { kind: 'network', code: 'PLEX_UNREACHABLE' });
        continue;
      }
      const candidates = server.connections.map((connection) => connection.uri).filter((uri) => URL.canParse(uri) && new URL(uri).origin !== failed.origin);
      try {
        const url = await firstAnswering(candidates, machineIdentifier, { identity: account.identity, tls, signal });
        return { url: new URL(url), token: server.owned ? undefined : server.accessToken || undefined };
      } catch (error) {
        if (!(error instanceof PlexError) || error.kind === 'aborted') throw error;
        lastError = new PlexError(`${fault.message}; ${error.message}`, { kind: 'network', code: 'PLEX_UNREACHABLE' });
      }
    }
    throw lastError!;
  }

  return {
    startUrl: saved?.url ?? configuredUrl,
    token: () => saved?.token,
    forget: () => state.setServerAddress(node.id, undefined),
    relocate(failed, fault, signal) {
      search ??= find(failed, fault, signal)
        .then((found) => {
          saved = { configuredUrl, machineIdentifier, url: found.url.origin, token: found.token, movedAt: Date.now() };
          state.setServerAddress(node.id, saved);
          node.warn(t(RED, 'warn.server-moved', { url: failed.origin, address: found.url.origin }));
          return found;
        })
        .finally(() => {
          search = undefined;
        });
      return search;
    },
  };
}
