import { createHash } from 'node:crypto';
import { t } from './lib/i18n';
import type { NodeAPI } from 'node-red';
import {
  DEFAULT_DEVICE_NAME, DEFAULT_PLEX_TV_URL, DEFAULT_PRODUCT, DeviceKey, HttpClient, PlexError, PlexTvClient, TokenCheckSchedule, TokenRenewer, checkToken,
  type VerifiedPlexJwt,
} from '../src/core';
import type { PlexAccountConfig, PlexAccountNode, TokenCredentials } from './lib/types';
import { fingerprint, runtimeState, type SavedToken } from './lib/runtime-state';
import { registerAdminRoutes } from './lib/admin-routes';
import { TokenHealth } from './lib/token-health';
import { plexJwtTimes } from './lib/plex-jwt-times';
import { uuidFromBytes } from '../src/shared/client-id';
import { signInNeededTopic, type SignInNeeded } from './admin/contract';

/** For a flow written by hand without one: stable for the node's life, unique per node. */
function identifierFromNodeId(id: string): string {
  return uuidFromBytes(createHash('sha256').update(`plex-account:${id}`).digest());
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

/** A stored token bound to the deployed device key: that key's latest JWT (renewed since the last Deploy). */
function sameKey(saved: SavedToken, privateKey: string | undefined): boolean {
  return saved.privateKey !== undefined && saved.privateKey === privateKey;
}

function credentialsOf(credentials: TokenCredentials | undefined, token: string | undefined, privateKey: string | undefined): TokenCredentials {
  const { token: _token, privateKey: _key, ...others } = credentials ?? {};
  return { ...others, ...(token ? { token } : {}), ...(privateKey ? { privateKey } : {}) };
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

    node.auth = config.auth === 'jwt' ? 'jwt' : 'token';
    let token = node.credentials?.token || undefined;
    let privateKey = node.credentials?.privateKey || undefined;
    const saved = state.token(node.id);
    // A key made at runtime (a sign-in not yet deployed) beside the same token: keep that key.
    const keyMadeSince = saved?.privateKey !== undefined && !privateKey && fingerprint(saved.token || undefined) === fingerprint(token);
    if (saved && (supersedes(saved, token) || sameKey(saved, privateKey) || keyMadeSince)) {
      // Stored (or signed out, or renewed) at runtime since the last Deploy that saved a token: that is newer.
      token = saved.token || undefined;
      privateKey = saved.privateKey ?? privateKey;
      RED.nodes.addCredentials(node.id, credentialsOf(node.credentials, token, privateKey));
    } else if (saved && fingerprint(saved.token || undefined) !== fingerprint(token)) {
      // Neither the stored token nor one it replaced: the user brought another (an import): theirs wins.
      state.setToken(node.id, undefined);
    }
    // Else the credential already is the stored token: after Stop/Start flows it lives only in the
    // runtime's memory, not in flows_cred.json, so the sealed copy stays until a restart can do without it.

    node.token = () => token;
    // Every open editor offers a new sign-in (retained: an editor opened later too), until it is no longer needed.
    const tellEditors = (signInNeeded: boolean) => {
      const said: SignInNeeded = { name: node.name ?? '', signInNeeded };
      RED.comms.publish(signInNeededTopic(node.id), said, signInNeeded);
    };
    node.tokenHealth = new TokenHealth(RED, tellEditors);

    /** Into the runtime's credentials (saved on the next Deploy) and the sealed state (survives a restart). */
    const save = (replaces: string[]) => {
      RED.nodes.addCredentials(node.id, credentialsOf(node.credentials, token, privateKey));
      state.setToken(node.id, { token: token ?? '', replaces, ...(privateKey ? { privateKey } : {}) });
    };
    const replacedSoFar = () => supersededBy(state.token(node.id));

    let key: Promise<DeviceKey> | undefined;
    node.deviceKey = () => {
      key ??= (privateKey ? DeviceKey.fromPrivateKey(privateKey) : DeviceKey.generate().then((made) => {
        privateKey = made.exportPrivateKey();
        save(replacedSoFar());
        return made;
      }));
      // A key that cannot be read is asked for again next time (its error names no content).
      key.catch(() => (key = undefined));
      return key;
    };

    let closed = false;
    /** Renews the JWT the account holds: one renewer per account, stopped with the node or another token. */
    let renewer: TokenRenewer | undefined;
    /** Settles once the token's kind is known (reading a JWT's claims is asynchronous). */
    let renewerReady: Promise<void> = Promise.resolve();
    const stopRenewal = () => {
      renewer?.stop();
      renewer = undefined;
    };
    const renewHeldToken = () => {
      stopRenewal();
      const held = token;
      const plexTv = node.plexTv;
      if (!held || !plexTv || !privateKey) return;
      renewerReady = plexJwtTimes(held).then((jwt) => {
        if (!jwt || token !== held || closed) return;
        renewer = new TokenRenewer({
          renew: async (signal) => plexTv.obtainPlexJwt(await node.deviceKey(), signal),
          onRenewed: (renewed: VerifiedPlexJwt) => {
            token = renewed.token;
            node.tokenHealth.tokenChanged();
            // A renewal replaces nothing the user deployed: the same key tells it apart on a restart.
            save(replacedSoFar());
          },
          onRejected: () => node.tokenHealth.refused(node.tokenHealth.ticket()),
          onFault: (error, retryInMs) => node.warn(t(RED, 'warn.renew-fault', { message: error.message, seconds: Math.round(retryInMs / 1000) })),
        });
        renewer.start(jwt);
      });
    };

    const keep = (newToken: string | undefined) => {
      const replaced = [...replacedSoFar(), fingerprint(token)];
      token = newToken;
      node.tokenHealth.tokenChanged();
      checkWhileSignedIn();
      save([...new Set(replaced)].slice(-MAX_REPLACED));
      renewHeldToken();
    };
    node.storeToken = (newToken: string) => keep(newToken);
    node.forgetToken = () => keep(undefined);
    node.pinsWithKey = new Set();
    node.tokenExpiresAt = () => renewer?.jwt?.expiresAt;

    node.withToken = async (call) => {
      await renewerReady;
      const current = renewer ? await renewer.token() : token;
      if (!current) throw new PlexError(t(RED, 'error.not-signed-in'), { kind: 'input', code: 'PLEX_NOT_SIGNED_IN' });
      try {
        return await call(current);
      } catch (error) {
        if (!(error instanceof PlexError) || error.status !== 498 || !renewer) throw error;
      }
      // 498: the Plex JWT expired early on plex.tv's or the server's side. Renew once, retry once.
      const renewed = await renewer.renewNow(current);
      try {
        return await call(renewed);
      } catch (error) {
        // A second 498 is PLEX_TOKEN_REJECTED (errors.ts): renewing did not cure it.
        if (error instanceof PlexError && error.status === 498) node.tokenHealth.refused(node.tokenHealth.ticket());
        throw error;
      }
    };

    node.checkToken = async (signal) => {
      if (!token || !node.plexTv) return undefined;
      const ticket = node.tokenHealth.ticket();
      const result = await checkToken(node.plexTv, token, signal, node.withToken);
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
    renewHeldToken();

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      stopRenewal();
      checks.stop();
      node.http.close();
      if (node.tokenHealth.signInNeeded) tellEditors(false); // the node that held the mark is gone
      if (removed) state.setToken(node.id, undefined);
      state.flush();
      done();
    });
  }

  RED.nodes.registerType('plex-account', PlexAccount as never, {
    credentials: { token: { type: 'password' }, privateKey: { type: 'password' } },
  });
  registerAdminRoutes(RED);
};
