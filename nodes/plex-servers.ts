import type { Node, NodeAPI, NodeDef } from 'node-red';
import { publicServer } from '../src/core';
import { handleInput, statusText, warnAll } from './lib/flow-node';
import { signedInAccount } from './lib/config-nodes';
import { accountServers } from './lib/servers';

interface PlexServersConfig extends NodeDef {
  account: string;
}

export = function (RED: NodeAPI): void {
  function PlexServers(this: Node, config: PlexServersConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;

    handleInput(RED, node, async ({ msg, send, signal }) => {
      const { account } = signedInAccount(RED, config.account);
      // Asked for now, a flow gets plex.tv's list of now; it also refreshes what plex-server nodes reuse.
      const { value, warnings } = await account.withToken((token) => accountServers(account, token, { fresh: true, signal }));
      warnAll(node, warnings);
      msg.payload = value.map(publicServer);
      node.status({ fill: 'green', shape: 'dot', text: statusText(RED, 'servers', { count: value.length }) });
      send(msg);
    });
  }

  RED.nodes.registerType('plex-servers', PlexServers as never);
};
