import { t } from './lib/i18n';
import type { Node, NodeAPI } from 'node-red';
import { HttpClient, MediaServerClient, PlexError, parseServerUrl, type TlsSettings } from '../src/core';
import type { PlexAccountNode, PlexServerConfig, PlexServerNode } from './lib/types';
import { TokenHealth } from './lib/token-health';
import { followServer, type ServerFollower } from './lib/server-follower';
import { registerServerRoutes } from './lib/server-routes';

interface TlsConfigNode extends Node {
  addTLSOptions(options: TlsSettings): TlsSettings;
}

export = function (RED: NodeAPI): void {
  function PlexServer(this: PlexServerNode, config: PlexServerConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    node.account = (config.account ? RED.nodes.getNode(config.account) : undefined) as PlexAccountNode | undefined;
    const tlsNode = (config.tls ? RED.nodes.getNode(config.tls) : undefined) as TlsConfigNode | undefined;
    const tls = tlsNode?.addTLSOptions({});
    node.tls = tls;
    const http = new HttpClient({ tls });
    const serverToken = node.credentials?.token || undefined;
    const machineIdentifier = (config.machineIdentifier ?? '').trim();
    let follower: ServerFollower | undefined;

    if (!node.account) {
      node.configError = new PlexError(t(RED, 'error.no-account'), { kind: 'input' });
    } else {
      try {
        parseServerUrl(config.url); // first: an unusable url is an error even when an address was found before
        if (machineIdentifier) follower = followServer(RED, node, config.url, machineIdentifier, tls);
        node.client = new MediaServerClient(follower?.startUrl ?? config.url, node.account.identity, http, follower);
      } catch (error) {
        node.configError = error as PlexError;
      }
    }
    if (node.configError) node.error(t(RED, 'error.server-config', { message: node.configError.message }));

    node.token = () => serverToken ?? follower?.token() ?? node.account?.token();
    node.withToken = (call) => {
      const own = serverToken ?? follower?.token();
      if (own || !node.account) return call(own ?? '');
      return node.account.withToken(call);
    };
    node.tokenHealth = serverToken ? new TokenHealth(RED) : node.account?.tokenHealth;

    node.on('close', (removed: boolean, done: () => void) => {
      http.close();
      if (removed) follower?.forget();
      done();
    });
  }

  RED.nodes.registerType('plex-server', PlexServer as never, {
    credentials: { token: { type: 'password' } },
  });
  registerServerRoutes(RED);
};
