import { createHash } from 'node:crypto';
import { t } from './lib/i18n';
import type { NodeAPI } from 'node-red';
import { DEFAULT_DEVICE_NAME, DEFAULT_PLEX_TV_URL, DEFAULT_PRODUCT, HttpClient, PlexError, PlexTvClient, TokenCheckSchedule, checkToken } from '../src/core';
import type { PlexAccountConfig, PlexAccountNode, TokenCredentials } from './lib/types';
import { fingerprint, runtimeState, type SavedToken } from './lib/runtime-state';
import { registerAdminRoutes } from './lib/admin-routes';
import { TokenHealth } from './lib/token-health';

/** For a flow written by hand without one: stable for the node's life, unique per node. */
function identifierFromNodeId(id: string): string {
  const hex = createHash('sha256').update(`plex-account:${id}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Sign-ins and sign-outs chained since the last Deploy that saved a token: a few suffice. */
const MAX_REPLACED = 8;

/** Fingerprints of the credentials a stored token is newer than (older state files kept one). */
function supersededBy(saved: SavedToken | undefined): string[] {
  return saved ? ([] as string[]).concat(saved.replaces) : [];
}

/** Whether the stored token is newer than this deployed credential: one it replaced at runtime. */
function supersedes(saved: SavedToken, credential: string | undefined): boolean {
  return supersededBy(saved).includes(fingerprint(credential));
}

function withToken(credentials: TokenCredentials | undefined, token: string | undefined): TokenCredentials {
  const { token: _previous, ...others } = credentials ?? {};
  return token ? { ...others, token } : others;
}

export = function (RED: NodeAPI): void {
  const state = runtimeState(RED);

  function PlexAccount(this: PlexAccountNode, config: PlexAccountConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const clientIdentifier = (config.clientIdentifier ?? '').trim();
    if (!clientIdentifier) node.warn(t(RED, 'warn.no-client-identifier'));
    node.identity = {
      clientIdentifier: clientIdentifier || identifierFromNodeId(node.id),
      product: (config.product ?? '').trim() || DEFAULT_PRODUCT,
      deviceName: (config.deviceName ?? '').trim() || DEFAULT_DEVICE_NAME,
    };
    node.http = new HttpClient();
    try {
      node.plexTv = new PlexTvClient(node.identity, node.http, config.plexTvUrl || DEFAULT_PLEX_TV_URL);
    } catch (error) {
      node.configError = error as PlexError;
      node.error(t(RED, 'error.account-config', { message: node.configError.message }));
    }

    let token = node.credentials?.token || undefined;
    const saved = state.token(node.id);
    if (saved && supersedes(saved, token)) {
      // Stored (or signed out) at runtime since the last Deploy that saved a token: that is newer.
      token = saved.token || undefined;
      RED.nodes.addCredentials(node.id, withToken(node.credentials, token));
    } else if (saved && fingerprint(saved.token || undefined) !== fingerprint(token)) {
      // Neither the stored token nor one it replaced: the user brought another (an import): theirs wins.
      state.setToken(node.id, undefined);
    }
    // Else the credential already is the stored token: after Stop/Start flows it lives only in the
    // runtime's memory, not in flows_cred.json, so the sealed copy stays until a restart can do without it.

    node.token = () => token;
    node.tokenHealth = new TokenHealth(RED);
    const keep = (newToken: string | undefined) => {
      const replaced = [...supersededBy(state.token(node.id)), fingerprint(token)];
      token = newToken;
      node.tokenHealth.tokenChanged();
      checkWhileSignedIn();
      RED.nodes.addCredentials(node.id, withToken(node.credentials, token));
      state.setToken(node.id, { token: token ?? '', replaces: [...new Set(replaced)].slice(-MAX_REPLACED) });
    };
    node.storeToken = (newToken: string) => keep(newToken);
    node.forgetToken = () => keep(undefined);

    node.checkToken = async (signal) => {
      if (!token || !node.plexTv) return undefined;
      const ticket = node.tokenHealth.ticket();
      const result = await checkToken(node.plexTv, token, signal);
      if (!signal?.aborted) node.tokenHealth.checkedWith(ticket, result);
      return result;
    };
    // A token revoked while Node-RED was down (or during the day) shows up without waiting for a flow to fail.
    const checks = new TokenCheckSchedule({
      run: async (signal) => void (await node.checkToken(signal)),
      onError: (error) => node.warn(String(error)),
    });
    // Only an account holding a token has anything to check: a new one is checked soon after it is stored.
    const checkWhileSignedIn = () => (token ? checks.start() : checks.stop());
    checkWhileSignedIn();

    node.on('close', (removed: boolean, done: () => void) => {
      checks.stop();
      node.http.close();
      if (removed) state.setToken(node.id, undefined);
      state.flush();
      done();
    });
  }

  RED.nodes.registerType('plex-account', PlexAccount as never, {
    credentials: { token: { type: 'password' } },
  });
  registerAdminRoutes(RED);
};
