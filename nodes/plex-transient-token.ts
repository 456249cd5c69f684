import type { Node, NodeAPI, NodeDef } from 'node-red';
import { Reusable, untilAborted, type TransientToken } from '../src/core';
import { handleInput, statusText, warnAll } from './lib/flow-node';
import { usableServer } from './lib/config-nodes';
import type { PlexServerNode } from './lib/types';
import { useTokenOf } from './lib/token-health';

interface PlexTransientTokenConfig extends NodeDef {
  server: string;
  reuse?: boolean;
}

/** With reuse on, a token is handed out again while it has more than this left. */
const REUSE_MIN_LEFT_MS = 60 * 60 * 1000;

export = function (RED: NodeAPI): void {
  /** One kept token per server node, shared by every plex-transient-token with reuse on. */
  const kept = new WeakMap<PlexServerNode, Reusable<TransientToken>>();

  function PlexTransientToken(this: Node, config: PlexTransientTokenConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const reuse = config.reuse === true;
    const ready = { fill: 'green', shape: 'dot', text: statusText(RED, 'token-ready') } as const;
    useTokenOf(RED, node, { server: config.server });

    handleInput(RED, node, async ({ msg, send, signal, status }) => {
      const { server, client, token, withToken } = usableServer(RED, config.server);
      let answer;
      if (reuse) {
        let shared = kept.get(server);
        if (!shared) kept.set(server, (shared = new Reusable<TransientToken>(REUSE_MIN_LEFT_MS)));
        // Not stopped by this node's signal: other nodes may wait for the same call.
        answer = await untilAborted(shared.get(token, () => withToken((current) => client.transientToken(current))), signal);
      } else {
        answer = await withToken((current) => client.transientToken(current, signal));
      }
      warnAll(node, answer.warnings);
      msg.payload = { ...answer.value }; // each msg its own copy
      status(ready);
      send(msg);
    });
  }

  RED.nodes.registerType('plex-transient-token', PlexTransientToken as never);
};
