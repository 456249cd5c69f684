import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { parseSource } from '../src/core';
import { FlowNode, warnAll } from './lib/flow-node';
import { statusText } from './lib/status';
import { serverNode, usableServer } from './lib/config-nodes';
import { evaluateOptional } from './lib/properties';

interface PlexSourceInfoConfig extends NodeDef {
  server: string;
  source: string;
  sourceType?: string;
  refresh: boolean;
}

/** The node's source when set, else msg.source, else a string msg.payload. */
async function sourceOf(RED: NodeAPI, node: Node, config: PlexSourceInfoConfig, msg: NodeMessage & { source?: unknown }): Promise<unknown> {
  const configured = await evaluateOptional(RED, node, config.source, config.sourceType, msg, 'source');
  if (configured) return configured;
  if (msg.source !== undefined) return msg.source;
  return msg.payload;
}

export = function (RED: NodeAPI): void {
  function PlexSourceInfo(this: Node, config: PlexSourceInfoConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const flow = new FlowNode(RED, node);
    flow.watchToken(serverNode(RED, config.server)?.server?.tokens);

    flow.handleInput(async ({ msg, send, signal, status }) => {
      const server = usableServer(RED, config.server);
      const source = parseSource(await sourceOf(RED, node, config, msg));
      const { value, warnings } = await server.withToken((token) => server.client.sourceInfo(token, source, config.refresh === true, signal));
      warnAll(node, warnings);
      msg.payload = value;
      status({ fill: 'green', shape: 'dot', text: statusText(RED, 'connections', { count: value.connections.length }) });
      send(msg);
    });
  }

  RED.nodes.registerType('plex-source-info', PlexSourceInfo as never);
};
