import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { parseSource } from '../src/core';
import { handleInput, statusText, warnAll } from './lib/flow-node';
import { usableServer } from './lib/config-nodes';
import { evaluateOptional } from './lib/properties';
import { useTokenOf } from './lib/token-health';

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
    useTokenOf(RED, node, { server: config.server });

    handleInput(RED, node, async ({ msg, send, signal, status }) => {
      const { client, withToken } = usableServer(RED, config.server);
      const source = parseSource(await sourceOf(RED, node, config, msg));
      const { value, warnings } = await withToken((token) => client.sourceInfo(token, source, config.refresh === true, signal));
      warnAll(node, warnings);
      msg.payload = value;
      status({ fill: 'green', shape: 'dot', text: statusText(RED, 'connections', { count: value.connections.length }) });
      send(msg);
    });
  }

  RED.nodes.registerType('plex-source-info', PlexSourceInfo as never);
};
