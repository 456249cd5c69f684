/**
 * What every flow node of the package shares, held by one object per node: its status line,
 * the signal that ends its requests when it closes, the input contract of Node-RED
 * (msg, send, done) with every async error routed to done(err), and the state of the token it
 * calls with, shown from deploy on, idle or not (as MQTT nodes show their broker): "sign in
 * again" while it is refused, "not signed in" while there is none.
 */
import type { Node, NodeAPI, NodeMessageInFlow, NodeMessage, NodeStatus } from 'node-red';
import { setMaxListeners } from 'node:events';
import type { TokenHolder } from '../../src/core';
import { StatusLine, errorStatus, statusText } from './status';

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

export interface InputContext {
  msg: NodeMessageInFlow;
  send: Send;
  /** Ends when the node closes, so that requests in flight stop. */
  signal: AbortSignal;
  /** Shows a status under the node (on change only, a few times a second at most). */
  status: (status: NodeStatus) => void;
}

export class FlowNode {
  readonly status: StatusLine;
  private readonly closing = new AbortController();
  /** What the node shows of its token now ("sign in again", "not signed in"): its own status since is left alone when that clears. */
  private showingToken?: 'refused' | 'none';
  private holder?: TokenHolder;
  private readonly stopWatching: Array<() => void> = [];

  constructor(
    private readonly RED: NodeAPI,
    readonly node: Node,
  ) {
    this.status = new StatusLine(node);
    // One listener per request in flight: 1,000 msgs at once are not a leak.
    setMaxListeners(Infinity, this.closing.signal);
    node.on('close', (_removed: boolean, done: () => void) => {
      this.closing.abort();
      for (const stop of this.stopWatching) stop();
      this.status.clear();
      done();
    });
  }

  /** Ends when the node closes. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  /**
   * Shows the state of the token this node calls with, until the node closes: "sign in again"
   * while it is refused, and, for a node that needs one, "not signed in" while there is none.
   */
  watchToken(holder: TokenHolder | undefined, { needsToken = true } = {}): void {
    if (!holder) return;
    this.holder = holder;
    const show = () => {
      if (holder.health.signInNeeded) return this.showTokenState('refused');
      if (needsToken && !holder.signedIn) return this.showTokenState('none');
      if (!this.showingToken) return;
      this.showingToken = undefined;
      this.status.showNow({});
    };
    this.stopWatching.push(holder.health.onChange(show), holder.onSignedInChange(show));
    holder.ready.then(show, () => undefined);
  }

  private showTokenState(state: 'refused' | 'none'): void {
    this.showingToken = state;
    this.status.showNow(
      state === 'refused'
        ? { fill: 'red', shape: 'ring', text: statusText(this.RED, 'sign-in-again') }
        : { fill: 'yellow', shape: 'ring', text: statusText(this.RED, 'not-signed-in') },
    );
  }

  /**
   * Runs an async handler for each input msg: every outcome ends in done() or done(err), never
   * an unhandled rejection, and every request in flight is aborted when the node closes.
   */
  handleInput(
    handler: (input: InputContext) => Promise<void>,
    options: {
      busyStatus?: string;
      /** The node's own words for an error, where the general ones say less. */ errorStatus?: (error: unknown) => string | undefined;
    } = {},
  ): void {
    const status = (shown: NodeStatus) => this.status.show(shown);
    const busy: NodeStatus = { fill: 'blue', shape: 'dot', text: statusText(this.RED, options.busyStatus ?? 'requesting') };
    this.node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      this.showingToken = undefined;
      this.status.show(busy);
      let outcome: Promise<void>;
      try {
        outcome = handler({ msg, send, signal: this.closing.signal, status });
      } catch (error) {
        outcome = Promise.reject(error);
      }
      outcome
        .then(
          () => done(),
          (error: unknown) => {
            if (this.closing.signal.aborted) return done(); // closed: nobody is listening any more
            // A refused token leaves the node on "sign in again", which says what to do.
            if (this.holder?.health.signInNeeded) this.showTokenState('refused');
            else this.status.show({ fill: 'red', shape: 'ring', text: options.errorStatus?.(error) ?? errorStatus(this.RED, error) });
            done(error instanceof Error ? error : new Error(String(error)));
          },
        )
        .catch((error: unknown) => this.node.error(error)); // a throwing done() must not become an unhandled rejection
    });
  }
}

/** Emits the warnings a schema check raised (answers that stray from the documented shape). */
export function warnAll(node: Node, warnings: string[]): void {
  for (const warning of warnings) node.warn(warning);
}
