import type { Node, NodeAPI, NodeDef } from 'node-red';
import { untilAborted } from '../src/core';
import { FlowNode, warnAll } from './lib/flow-node';
import { statusText } from './lib/status';
import { serverNode, usableServer } from './lib/config-nodes';

interface PlexTransientTokenConfig extends NodeDef {
  server: string;
  reuse?: boolean;
}

export = function (RED: NodeAPI): void {
  function PlexTransientToken(this: Node, config: PlexTransientTokenConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const reuse = config.reuse === true;
    const ready = { fill: 'green', shape: 'dot', text: statusText(RED, 'token-ready') } as const;
    const flow = new FlowNode(RED, node);
    flow.watchToken(serverNode(RED, config.server)?.server?.tokens);

    flow.handleInput(async ({ msg, send, signal, status }) => {
      const server = usableServer(RED, config.server);
      let answer;
      if (reuse) {
        // Not stopped by this node's signal: other nodes of the server may wait for the same call. Kept per token it was made with.
        answer = await untilAborted(
          server.withToken((token) => server.transientTokens.get(token, () => server.client.transientToken(token))),
          signal,
        );
      } else {
        answer = await server.withToken((token) => server.client.transientToken(token, signal));
      }
      warnAll(node, answer.warnings);
      msg.payload = { ...answer.value }; // each msg its own copy
      status(ready);
      send(msg);
    });
  }

  RED.nodes.registerType('plex-transient-token', PlexTransientToken as never);
};
