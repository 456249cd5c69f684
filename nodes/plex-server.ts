import type { Node, NodeAPI } from 'node-red';
import {
  HttpClient,
  MediaServerClient,
  PlexError,
  Reusable,
  TokenHealth,
  parseServerUrl,
  type TlsSettings,
  type TokenHolder,
  type TransientToken,
} from '../src/core';
import { t } from './lib/i18n';
import { accountNode } from './lib/config-nodes';
import { followServer, type ServerFollower } from './lib/server-follower';
import { registerServerRoutes } from './admin/server-routes';
import type { PlexServerConfig, PlexServerNode } from './lib/types';

/** With reuse on, a transient token is handed out again while it has more than this left. */
const REUSE_MIN_LEFT_MS = 60 * 60 * 1000;

/** A server token set in the dialog: always there, with a health of its own. */
function ownToken(): TokenHolder {
  return { health: new TokenHealth(), ready: Promise.resolve(), signedIn: true, onSignedInChange: () => () => undefined };
}

interface TlsConfigNode extends Node {
  addTLSOptions(options: TlsSettings): TlsSettings;
}

export = function (RED: NodeAPI): void {
  function PlexServerConfigNode(this: PlexServerNode, config: PlexServerConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const owner = accountNode(RED, config.account);
    const account = owner?.account;
    const tlsNode = (config.tls ? RED.nodes.getNode(config.tls) : undefined) as TlsConfigNode | undefined;
    const tls = tlsNode?.addTLSOptions({});
    const http = new HttpClient({ tls });
    const serverToken = node.credentials?.token || undefined;
    const machineIdentifier = (config.machineIdentifier ?? '').trim() || undefined;
    let follower: ServerFollower | undefined;
    let stopWatching: (() => void) | undefined;

    try {
      if (!account) throw owner?.configError ?? new PlexError(t(RED, 'error.no-account'), { kind: 'input' });
      parseServerUrl(config.url); // first: an unusable url is an error even when an address was found before
      if (machineIdentifier) {
        follower = followServer(RED, {
          nodeId: node.id,
          configuredUrl: config.url,
          machineIdentifier,
          tls,
          account,
          accountId: config.account,
          warn: (text) => node.warn(text),
        });
      }
      const client = new MediaServerClient(follower?.startUrl ?? config.url, account.identity, http, follower);
      // A server token of its own has a health of its own; else the account's token and health are the server's.
      const tokens: TokenHolder = serverToken ? ownToken() : account;
      node.server = {
        client,
        tls,
        account,
        machineIdentifier,
        tokens,
        withToken(call) {
          if (serverToken) return tokens.health.use(serverToken, call);
          const shared = follower?.token();
          return shared ? call(shared) : account.withServerToken(machineIdentifier, call);
        },
        transientTokens: new Reusable<TransientToken>(REUSE_MIN_LEFT_MS),
      };
      // For the day this server takes Plex JWTs (a "jwt" account checks it daily).
      if (machineIdentifier && !serverToken) stopWatching = account.watchServer({ machineIdentifier, client });
    } catch (error) {
      node.configError = error as PlexError;
      node.error(t(RED, 'error.server-config', { message: node.configError.message }));
    }

    node.on('close', (removed: boolean, done: () => void) => {
      stopWatching?.();
      http.close();
      if (removed) follower?.forget();
      done();
    });
  }

  RED.nodes.registerType('plex-server', PlexServerConfigNode as never, {
    credentials: { token: { type: 'password' } },
  });
  registerServerRoutes(RED);
};
