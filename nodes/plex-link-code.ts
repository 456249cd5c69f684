import type { Node, NodeAPI, NodeDef } from 'node-red';
import { FlowNode } from './lib/flow-node';
import { statusText } from './lib/status';
import { accountNode, usableAccount } from './lib/config-nodes';

interface PlexLinkCodeConfig extends NodeDef {
  account: string;
}

export = function (RED: NodeAPI): void {
  function PlexLinkCode(this: Node, config: PlexLinkCodeConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const flow = new FlowNode(RED, node);
    flow.watchHealth(accountNode(RED, config.account)?.account?.health);

    flow.handleInput(async ({ msg, send, signal, status }) => {
      const account = usableAccount(RED, config.account);
      // A call about the account itself: with its key device's Plex JWT when it has one.
      const linked = await account.withPlexTvToken((token, plexTv) => plexTv.linkCode(msg.payload, token, signal));
      msg.payload = linked;
      status({ fill: 'green', shape: 'dot', text: statusText(RED, 'linked', { code: linked.code }) });
      send(msg);
    });
  }

  RED.nodes.registerType('plex-link-code', PlexLinkCode as never);
};
