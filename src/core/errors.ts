/** What went wrong, so that callers can decide between "give up" and "try again". */
export type PlexErrorKind =
  | 'http' // the peer answered with a non-2xx status
  | 'network' // refused, reset, DNS, TLS
  | 'timeout' // no complete answer in time
  | 'response' // a 2xx answer we cannot use (not JSON, too large, wrong shape)
  | 'redirect' // a redirect to another origin, refused so that no token follows it
  | 'aborted' // the caller stopped the request (node closed)
  | 'input'; // the caller's own input is not usable

export interface PlexErrorDetails {
  kind: PlexErrorKind;
  /** HTTP status, when the peer answered. */
  status?: number;
  /** Plex's own error code (errors[0].code), e.g. 1020 for an expired PIN. */
  plexCode?: number;
  /** Plex's own message, or the title of an HTML error page. */
  plexMessage?: string;
  /** Milliseconds the peer asked us to wait (Retry-After). */
  retryAfterMs?: number;
  /** The response field a schema check failed on. */
  field?: string;
}

export class PlexError extends Error {
  readonly kind: PlexErrorKind;
  readonly status?: number;
  readonly plexCode?: number;
  readonly plexMessage?: string;
  readonly retryAfterMs?: number;
  readonly field?: string;

  constructor(message: string, details: PlexErrorDetails) {
    super(message);
    this.name = 'PlexError';
    this.kind = details.kind;
    this.status = details.status;
    this.plexCode = details.plexCode;
    this.plexMessage = details.plexMessage;
    this.retryAfterMs = details.retryAfterMs;
    this.field = details.field;
  }

  /** A fault that may pass: worth trying again later (network, timeout, 429, 5xx). */
  get transient(): boolean {
    if (this.kind === 'network' || this.kind === 'timeout') return true;
    return this.kind === 'http' && (this.status === 429 || (this.status ?? 0) >= 500);
  }

  /** Plain data for msg.error and logs: never carries a token (messages are built without one). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      kind: this.kind,
      status: this.status,
      plexCode: this.plexCode,
      plexMessage: this.plexMessage,
      field: this.field,
    };
  }
}

export function inputError(message: string): PlexError {
  return new PlexError(message, { kind: 'input' });
}
