import type { Node, NodeAPI, NodeMessageInFlow, NodeMessage } from 'node-red';
import { PlexError } from '../../src/core';
import { t } from './i18n';
import { watchTokenUse } from './token-health';

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

export interface InputContext {
  msg: NodeMessageInFlow;
  send: Send;
  /** Ends when the node closes, so that requests in flight stop. */
  signal: AbortSignal;
}

/** Texts for node.status are short and come from the catalogs. */
export function statusText(RED: NodeAPI, key: string, values?: Record<string, string | number>): string {
  return t(RED, `status.${key}`, values);
}

/** A short status for an error: its HTTP status, or what kind of fault it was. */
export function errorStatus(RED: NodeAPI, error: unknown): string {
  if (error instanceof PlexError) {
    if (error.kind === 'http' && error.status) return statusText(RED, 'http-error', { status: error.status });
    return statusText(RED, `error-${error.kind}`);
  }
  return statusText(RED, 'error');
}

/**
 * Runs an async handler for each input msg with Node-RED's (msg, send, done) contract:
 * every outcome ends in done() or done(err) — never an unhandled rejection — and every
 * request in flight is aborted when the node closes.
 */
export function handleInput(
  RED: NodeAPI,
  node: Node,
  handler: (input: InputContext) => Promise<void>,
  options: { busyStatus?: string } = {},
): void {
  const inFlight = new Set<AbortController>();
  node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
    const controller = new AbortController();
    inFlight.add(controller);
    node.status({ fill: 'blue', shape: 'dot', text: statusText(RED, options.busyStatus ?? 'requesting') });
    let outcome: Promise<void>;
    try {
      outcome = handler({ msg, send, signal: controller.signal });
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome
      .then(
        () => done(),
        (error: unknown) => {
          if (controller.signal.aborted) return done(); // closed: nobody is listening any more
          node.status({ fill: 'red', shape: 'ring', text: errorStatus(RED, error) });
          done(error instanceof Error ? error : new Error(String(error)));
        },
      )
      .catch((error: unknown) => node.error(error)) // a throwing done() must not become an unhandled rejection
      .finally(() => inFlight.delete(controller));
    watchTokenUse(node, outcome); // a refused token marks every node of the account
  });
  node.on('close', (_removed: boolean, done: () => void) => {
    for (const controller of inFlight) controller.abort();
    inFlight.clear();
    node.status({});
    done();
  });
}

/** Emits the warnings a schema check raised (answers that stray from the documented shape). */
export function warnAll(node: Node, warnings: string[]): void {
  for (const warning of warnings) node.warn(warning);
}
