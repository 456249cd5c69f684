import type { Node, NodeAPI, NodeDef } from 'node-red';
import { FlowNode, warnAll } from './lib/flow-node';
import { statusText } from './lib/status';
import { accountNode, usableAccount } from './lib/config-nodes';
import { evaluateOptional } from './lib/properties';

interface PlexPinConfig extends NodeDef {
  account: string;
  strong: boolean;
  forwardUrl: string;
  forwardUrlType?: string;
}

export = function (RED: NodeAPI): void {
  function PlexPin(this: Node, config: PlexPinConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const flow = new FlowNode(RED, node);
    // A PIN is how an account gets a token: no "not signed in" here, only "sign in again".
    flow.watchToken(accountNode(RED, config.account)?.account, { needsToken: false });
    const strong = config.strong !== false;

    // A PIN is always classic, on the account's own identifier: its token is what servers take (an account with auth "jwt" makes its key device after the sign-in).
    flow.handleInput(async ({ msg, send, signal, status }) => {
      const account = usableAccount(RED, config.account);
      const forwardUrl = strong ? await evaluateOptional(RED, node, config.forwardUrl, config.forwardUrlType, msg) : undefined;
      const { value: pin, warnings } = await account.plexTv.createPin({ strong, forwardUrl, signal });
      warnAll(node, warnings);
      msg.payload = pin;
      status({ fill: 'green', shape: 'dot', text: statusText(RED, strong ? 'pin-strong' : 'pin-code', { code: pin.code }) });
      send(msg);
    });
  }

  RED.nodes.registerType('plex-pin', PlexPin as never);
};
