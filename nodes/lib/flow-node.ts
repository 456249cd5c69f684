/**
 * What every flow node of the package shares, held by one object per node: its status line,
 * the signal that ends its requests when it closes, the input contract of Node-RED
 * (msg, send, done) with every async error routed to done(err), and "sign in again" shown
 * while the token it calls with is refused, idle or not (as MQTT nodes show their broker).
 */
import type { Node, NodeAPI, NodeMessageInFlow, NodeMessage, NodeStatus } from 'node-red';
import { setMaxListeners } from 'node:events';
import type { TokenHealth } from '../../src/core';
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
  /** Whether the node shows "sign in again" now: its own status since then is left alone when the mark clears. */
  private showingSignIn = false;
  private health?: TokenHealth;
  private stopWatching?: () => void;

  constructor(
    private readonly RED: NodeAPI,
    readonly node: Node,
  ) {
    this.status = new StatusLine(node);
    // One listener per request in flight: 1,000 msgs at once are not a leak.
    setMaxListeners(Infinity, this.closing.signal);
    node.on('close', (_removed: boolean, done: () => void) => {
      this.closing.abort();
      this.stopWatching?.();
      this.status.clear();
      done();
    });
  }

  /** Ends when the node closes. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  /** Shows "sign in again" while this health says the token is refused, from now until the node closes. */
  watchHealth(health: TokenHealth | undefined): void {
    if (!health) return;
    this.health = health;
    this.stopWatching = health.onChange((refused) => (refused ? this.showSignInAgain() : this.clearSignInAgain()));
    if (health.signInNeeded) this.showSignInAgain();
  }

  private showSignInAgain(): void {
    this.showingSignIn = true;
    this.status.showNow({ fill: 'red', shape: 'ring', text: statusText(this.RED, 'sign-in-again') });
  }

  private clearSignInAgain(): void {
    if (!this.showingSignIn) return;
    this.showingSignIn = false;
    this.status.showNow({});
  }

  /**
   * Runs an async handler for each input msg: every outcome ends in done() or done(err), never
   * an unhandled rejection, and every request in flight is aborted when the node closes.
   */
  handleInput(handler: (input: InputContext) => Promise<void>, options: { busyStatus?: string } = {}): void {
    const status = (shown: NodeStatus) => this.status.show(shown);
    const busy: NodeStatus = { fill: 'blue', shape: 'dot', text: statusText(this.RED, options.busyStatus ?? 'requesting') };
    this.node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      this.showingSignIn = false;
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
            if (this.health?.signInNeeded) this.showSignInAgain();
            else this.status.show({ fill: 'red', shape: 'ring', text: errorStatus(this.RED, error) });
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
