import { t } from './lib/i18n';
import type { Node, NodeAPI } from 'node-red';
import { HttpClient, MediaServerClient, PlexError, type TlsSettings } from '../src/core';
import type { PlexAccountNode, PlexServerConfig, PlexServerNode } from './lib/types';
import { TokenHealth } from './lib/token-health';

interface TlsConfigNode extends Node {
  addTLSOptions(options: TlsSettings): TlsSettings;
}

export = function (RED: NodeAPI): void {
  function PlexServer(this: PlexServerNode, config: PlexServerConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    node.account = (config.account ? RED.nodes.getNode(config.account) : undefined) as PlexAccountNode | undefined;
    const tlsNode = (config.tls ? RED.nodes.getNode(config.tls) : undefined) as TlsConfigNode | undefined;
    const http = new HttpClient({ tls: tlsNode?.addTLSOptions({}) });
    const serverToken = node.credentials?.token || undefined;

    if (!node.account) {
      node.configError = new PlexError(t(RED, 'error.no-account'), { kind: 'input' });
    } else {
      try {
        node.client = new MediaServerClient(config.url, node.account.identity, http);
      } catch (error) {
        node.configError = error as PlexError;
      }
    }
    if (node.configError) node.error(t(RED, 'error.server-config', { message: node.configError.message }));

    node.token = () => serverToken ?? node.account?.token();
    node.tokenHealth = serverToken ? new TokenHealth(RED) : node.account?.tokenHealth;

    node.on('close', (done: () => void) => {
      http.close();
      done();
    });
  }

  RED.nodes.registerType('plex-server', PlexServer as never, {
    credentials: { token: { type: 'password' } },
  });
};
