import type { Node, NodeAPI, NodeDef } from 'node-red';
import { publicServer } from '../src/core';
import { FlowNode, warnAll } from './lib/flow-node';
import { statusText } from './lib/status';
import { accountNode, usableAccount } from './lib/config-nodes';
import { serversOfAccount } from './lib/servers';

interface PlexServersConfig extends NodeDef {
  account: string;
}

export = function (RED: NodeAPI): void {
  function PlexServers(this: Node, config: PlexServersConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const flow = new FlowNode(RED, node);
    flow.watchToken(accountNode(RED, config.account)?.account);

    flow.handleInput(async ({ msg, send, signal, status }) => {
      const account = usableAccount(RED, config.account);
      // Asked for now, a flow gets plex.tv's list of now; it also refreshes what plex-server nodes reuse.
      const { value, warnings } = await serversOfAccount(config.account, account, { maxAgeMs: 0, signal });
      warnAll(node, warnings);
      msg.payload = value.map(publicServer);
      status({ fill: 'green', shape: 'dot', text: statusText(RED, 'servers', { count: value.length }) });
      send(msg);
    });
  }

  RED.nodes.registerType('plex-servers', PlexServers as never);
};
