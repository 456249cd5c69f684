import type { Node, NodeAPI, NodeMessageInFlow, NodeMessage, NodeStatus } from 'node-red';
import { setMaxListeners } from 'node:events';
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
  /** Shows a status under the node (on change only, a few times a second at most). */
  status: (status: NodeStatus) => void;
}

/** At most one status every this long: each one goes to every open editor. */
const STATUS_EVERY_MS = 200;

/**
 * node.status on change only, and at most every STATUS_EVERY_MS; the last status asked for
 * during a pause is shown when it ends, so the node always ends up showing the latest.
 */
export class StatusLine {
  private shown = '';
  private shownAt = 0;
  private latest?: NodeStatus;
  private timer?: NodeJS.Timeout;

  constructor(private readonly node: Node) {}

  show(status: NodeStatus): void {
    if (this.timer) {
      this.latest = status;
      return;
    }
    const wait = this.shownAt + STATUS_EVERY_MS - Date.now();
    if (wait <= 0) return this.put(status);
    this.latest = status;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const latest = this.latest!;
      this.latest = undefined;
      this.put(latest);
    }, wait);
  }

  /** Shows it now, past any pause (a token refused must show at once), instead of what was pending. */
  showNow(status: NodeStatus): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
    this.put(status);
  }

  /** Clears the status and forgets a pending one: the node is closing. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
    this.shown = '';
    this.node.status({});
  }

  private put(status: NodeStatus): void {
    const key = `${status.fill}|${status.shape}|${status.text}`;
    if (key === this.shown) return;
    this.shown = key;
    this.shownAt = Date.now();
    this.node.status(status);
  }
}

/** Texts for node.status are short and come from the catalogs. */
export function statusText(RED: NodeAPI, key: string, values?: Record<string, string | number>): string {
  return t(RED, `status.${key}`, values);
}

/** A short status for an error: its HTTP status, or what kind of fault it was. */
export function errorStatus(RED: NodeAPI, error: unknown): string {
  if (error instanceof PlexError) {
    if (error.kind === 'http' && error.status) return statusText(RED, 'http-error', { status: error.status });
    // An answer that fails a check after it was read (a Plex JWT that does not verify) is still a bad answer.
    if (error.code === 'PLEX_BAD_ANSWER') return statusText(RED, 'error-response');
    return statusText(RED, `error-${error.kind}`);
  }
  return statusText(RED, 'error');
}

/**
 * Runs an async handler for each input msg with Node-RED's (msg, send, done) contract:
 * every outcome ends in done() or done(err) — never an unhandled rejection — and every
 * request in flight is aborted when the node closes.
 */
/** The status line of each node that handles input through handleInput. */
const statusLines = new WeakMap<Node, StatusLine>();

/** The node's status line, made on first use: everything that shows a status under the node goes through it. */
export function statusLineFor(node: Node): StatusLine {
  let line = statusLines.get(node);
  if (!line) statusLines.set(node, (line = new StatusLine(node)));
  return line;
}

/** Shows a status at once, through the node's status line when it has one, so the line knows what is shown. */
export function showStatusNow(node: Node, status: NodeStatus): void {
  const line = statusLines.get(node);
  if (line) line.showNow(status);
  else node.status(status);
}

export function handleInput(
  RED: NodeAPI,
  node: Node,
  handler: (input: InputContext) => Promise<void>,
  options: { busyStatus?: string } = {},
): void {
  // One signal for every request of this node: they all end when it closes.
  const closing = new AbortController();
  setMaxListeners(Infinity, closing.signal); // one listener per request in flight: 1,000 msgs at once are not a leak
  const statusLine = statusLineFor(node);
  const status = (shown: NodeStatus) => statusLine.show(shown);
  const busy: NodeStatus = { fill: 'blue', shape: 'dot', text: statusText(RED, options.busyStatus ?? 'requesting') };
  node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
    statusLine.show(busy);
    let outcome: Promise<void>;
    try {
      outcome = handler({ msg, send, signal: closing.signal, status });
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome
      .then(
        () => done(),
        (error: unknown) => {
          if (closing.signal.aborted) return done(); // closed: nobody is listening any more
          statusLine.show({ fill: 'red', shape: 'ring', text: errorStatus(RED, error) });
          done(error instanceof Error ? error : new Error(String(error)));
        },
      )
      .catch((error: unknown) => node.error(error)); // a throwing done() must not become an unhandled rejection
    watchTokenUse(node, outcome); // a refused token marks every node of the account
  });
  node.on('close', (_removed: boolean, done: () => void) => {
    closing.abort();
    statusLine.clear();
    done();
  });
}

/** Emits the warnings a schema check raised (answers that stray from the documented shape). */
export function warnAll(node: Node, warnings: string[]): void {
  for (const warning of warnings) node.warn(warning);
}
