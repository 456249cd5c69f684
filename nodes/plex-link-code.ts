import type { Node, NodeAPI, NodeDef } from 'node-red';
import { handleInput, statusText } from './lib/flow-node';
import { signedInAccount } from './lib/config-nodes';
import { useTokenOf } from './lib/token-health';

interface PlexLinkCodeConfig extends NodeDef {
  account: string;
}

export = function (RED: NodeAPI): void {
  function PlexLinkCode(this: Node, config: PlexLinkCodeConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    useTokenOf(RED, node, { account: config.account });

    handleInput(RED, node, async ({ msg, send, signal, status }) => {
      const { account, plexTv } = signedInAccount(RED, config.account);
      const linked = await account.withToken((token) => plexTv.linkCode(msg.payload, token, signal));
      msg.payload = linked;
      status({ fill: 'green', shape: 'dot', text: statusText(RED, 'linked', { code: linked.code }) });
      send(msg);
    });
  }

  RED.nodes.registerType('plex-link-code', PlexLinkCode as never);
};
