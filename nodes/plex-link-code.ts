import type { Node, NodeAPI, NodeDef } from 'node-red';
import { PlexError } from '../src/core';
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
    flow.watchToken(accountNode(RED, config.account)?.account);

    flow.handleInput(
      async ({ msg, send, signal, status }) => {
        const account = usableAccount(RED, config.account);
        // A call about the account itself: with its key device's Plex JWT when it has one.
        const linked = await account.withPlexTvToken((token, plexTv) => plexTv.linkCode(msg.payload, token, signal));
        msg.payload = linked;
        status({ fill: 'green', shape: 'dot', text: statusText(RED, 'linked', { code: linked.code }) });
        send(msg);
      },
      {
        // plex.tv's 404 says the code is unknown or expired: the status says so, msg.error keeps the HTTP status.
        errorStatus: (error) => (error instanceof PlexError && error.status === 404 ? statusText(RED, 'code-unknown') : undefined),
      },
    );
  }

  RED.nodes.registerType('plex-link-code', PlexLinkCode as never);
};
