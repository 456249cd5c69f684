/**
 * The limit for the benchmark (not shipped): a bare Node-RED node that makes the same call as
 * plex-transient-token with node-fetch, the same headers and JSON.parse, and sends the msg.
 * Nothing else: no status, no validation, no time limit, no abort on close, no error texts.
 * Whatever ours costs above it is ours.
 */
import http from 'node:http';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';

const BARE_TYPE = 'bench-bare-transient-token';

interface BareConfig extends NodeDef {
  url: string;
  headers: Record<string, string>;
}

export = function (RED: NodeAPI): void {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const fetching = import('node-fetch');

  function BareTransientToken(this: Node, config: BareConfig): void {
    RED.nodes.createNode(this, config);
    this.on('input', (msg: NodeMessageInFlow, send: (msg: NodeMessageInFlow) => void, done: (err?: Error) => void) => {
      fetching
        .then(({ default: fetch }) => fetch(config.url, { method: 'GET', headers: config.headers, agent }))
        .then((response) => response.text())
        .then((text) => {
          const body = JSON.parse(text) as { MediaContainer: { token: string } };
          msg.payload = { token: body.MediaContainer.token, expiresAt: new Date(Date.now() + 48 * 3600_000).toISOString() };
          send(msg);
          done();
        }, done);
    });
  }
  RED.nodes.registerType(BARE_TYPE, BareTransientToken as never);
};
