import type { Node, NodeAPI, NodeDef } from 'node-red';
import { handleInput, statusText, warnAll } from './lib/flow-node';
import { createAccountPin } from './lib/key-pins';
import { t } from './lib/i18n';
import { usableAccount } from './lib/config-nodes';
import { evaluateOptional } from './lib/properties';
import { useTokenOf } from './lib/token-health';

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
    useTokenOf(RED, node, { account: config.account }, { sendsToken: false });
    const strong = config.strong !== false;

    handleInput(RED, node, async ({ msg, send, signal, status }) => {
      const { account, plexTv } = usableAccount(RED, config.account);
      const forwardUrl = strong ? await evaluateOptional(RED, node, config.forwardUrl, config.forwardUrlType, msg) : undefined;
      const { value: pin, warnings } = await createAccountPin(account, plexTv, { strong, forwardUrl, signal }, (refusal) =>
        node.warn(t(RED, 'warn.key-pin-refused', { message: refusal.message })),
      );
      warnAll(node, warnings);
      msg.payload = pin;
      status({ fill: 'green', shape: 'dot', text: statusText(RED, strong ? 'pin-strong' : 'pin-code', { code: pin.code }) });
      send(msg);
    });
  }

  RED.nodes.registerType('plex-pin', PlexPin as never);
};
