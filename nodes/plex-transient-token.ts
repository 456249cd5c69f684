import type { Node, NodeAPI, NodeDef } from 'node-red';
import { handleInput, statusText, warnAll } from './lib/flow-node';
import { usableServer } from './lib/config-nodes';
import { useTokenOf } from './lib/token-health';

interface PlexTransientTokenConfig extends NodeDef {
  server: string;
}

export = function (RED: NodeAPI): void {
  function PlexTransientToken(this: Node, config: PlexTransientTokenConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    useTokenOf(RED, node, { server: config.server });

    handleInput(RED, node, async ({ msg, send, signal }) => {
      const { client, token } = usableServer(RED, config.server);
      const { value, warnings } = await client.transientToken(token, signal);
      warnAll(node, warnings);
      msg.payload = value;
      node.status({ fill: 'green', shape: 'dot', text: statusText(RED, 'token-ready') });
      send(msg);
    });
  }

  RED.nodes.registerType('plex-transient-token', PlexTransientToken as never);
};
