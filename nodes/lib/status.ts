/** What a node shows under itself: short texts from the catalogs, at most a few changes a second. */
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import { PlexError } from '../../src/core';
import { t } from './i18n';

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

/** A short status for an error, in words: what happened, not an HTTP status (that stays in msg.error). */
export function errorStatus(RED: NodeAPI, error: unknown): string {
  if (!(error instanceof PlexError)) return statusText(RED, 'error');
  switch (error.code) {
    case 'PLEX_NOT_SIGNED_IN':
      return statusText(RED, 'not-signed-in');
    case 'PLEX_TOKEN_REJECTED':
      return statusText(RED, 'sign-in-again');
    case 'PLEX_RATE_LIMITED':
      return statusText(RED, 'error-rate-limited');
    case 'PLEX_TLS':
      return statusText(RED, 'error-tls');
    // An answer that fails a check after it was read (a Plex JWT that does not verify) is still a bad answer.
    case 'PLEX_BAD_ANSWER':
      return statusText(RED, 'error-response');
    case 'PLEX_HTTP':
      return httpStatus(RED, error);
    default:
      return statusText(RED, `error-${error.kind}`);
  }
}

function httpStatus(RED: NodeAPI, error: PlexError): string {
  const status = error.status ?? 0;
  if (error.kind === 'redirect') return statusText(RED, 'error-redirect');
  if (status === 404) return statusText(RED, 'error-not-found');
  if (status === 401 || status === 403) return statusText(RED, 'error-refused');
  if (status >= 500) return statusText(RED, 'error-server');
  return statusText(RED, 'http-error', { status });
}
