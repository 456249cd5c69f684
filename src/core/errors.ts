/** What went wrong, so that callers can decide between "give up" and "try again". */
export type PlexErrorKind =
  | 'http' // the peer answered with a non-2xx status
  | 'network' // refused, reset, DNS, TLS
  | 'timeout' // no complete answer in time
  | 'response' // a 2xx answer we cannot use (not JSON, too large, wrong shape)
  | 'redirect' // a redirect to another origin, refused so that no token follows it
  | 'aborted' // the caller stopped the request (node closed)
  | 'input'; // the caller's own input is not usable

/** The stable codes of the contract's "Errors" table: what a flow may branch on (msg.error.code). */
export type PlexErrorCode =
  | 'PLEX_NOT_SIGNED_IN' // the account (or server) has no token
  | 'PLEX_TOKEN_REJECTED' // the token was refused: the account needs a new sign-in
  | 'PLEX_RATE_LIMITED' // 429
  | 'PLEX_UNREACHABLE' // no answer: refused, DNS, reset, time limit
  | 'PLEX_TLS' // the certificate was not accepted
  | 'PLEX_HTTP' // any other HTTP error status, or a redirect we refused
  | 'PLEX_BAD_ANSWER' // an answer that cannot be read or lacks a field we rely on
  | 'PLEX_BAD_INPUT'; // the msg or the node's configuration is not usable

export interface PlexErrorDetails {
  kind: PlexErrorKind;
  /** The contract's code, when kind, status and systemCode do not tell it (e.g. no token). */
  code?: PlexErrorCode;
  /** Node's code for a 'network' fault (err.code: ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, ...). */
  systemCode?: string;
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

/** Node's codes for a certificate it did not accept or a TLS handshake that failed. */
const TLS_FAULT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
]);

/** Whether a Node.js error code (err.code) names a TLS fault rather than a missing peer. */
export function isTlsFaultCode(code: string | undefined): boolean {
  return code !== undefined && (TLS_FAULT_CODES.has(code) || /^(CERT_|CRL_|ERR_TLS_|ERR_SSL_)/.test(code));
}

/** Plex's words for a dead token on a 422 (plex.tv says "Invalid token"). */
const INVALID_TOKEN = /\binvalid\b.*\btoken\b|\btoken\b.*\binvalid\b/i;

/**
 * The peer refused the token itself (401, or 422 "invalid token"): only a new sign-in cures
 * it. Any other status, 498 (an expired JWT, renewed) included, says nothing of the account.
 */
export function refusesToken(details: Pick<PlexErrorDetails, 'kind' | 'status' | 'plexMessage'>): boolean {
  if (details.kind !== 'http') return false;
  return details.status === 401 || (details.status === 422 && INVALID_TOKEN.test(details.plexMessage ?? ''));
}

function codeOf(details: PlexErrorDetails): PlexErrorCode {
  switch (details.kind) {
    case 'input':
      return 'PLEX_BAD_INPUT';
    case 'response':
      return 'PLEX_BAD_ANSWER';
    case 'redirect':
      return 'PLEX_HTTP';
    case 'network':
      // A TLS fault stays kind 'network' (the PIN poller retries it like any other); its code tells it apart.
      return isTlsFaultCode(details.systemCode) ? 'PLEX_TLS' : 'PLEX_UNREACHABLE';
    case 'timeout':
    case 'aborted': // never reaches a flow (the node closed), but no answer came all the same
      return 'PLEX_UNREACHABLE';
    case 'http':
      // 498: an expired JWT; it reaches a flow only when renewing did not cure it.
      if (details.status === 498 || refusesToken(details)) return 'PLEX_TOKEN_REJECTED';
      if (details.status === 429) return 'PLEX_RATE_LIMITED';
      return 'PLEX_HTTP';
  }
}

export class PlexError extends Error {
  /**
   * The contract's code. An own property, set here, because Node-RED copies err.code into
   * msg.error.code for a Catch node only when hasOwnProperty('code') holds.
   */
  readonly code: PlexErrorCode;
  readonly kind: PlexErrorKind;
  readonly status?: number;
  readonly plexCode?: number;
  readonly plexMessage?: string;
  readonly retryAfterMs?: number;
  readonly field?: string;

  constructor(message: string, details: PlexErrorDetails) {
    super(message);
    this.name = 'PlexError';
    this.code = details.code ?? codeOf(details);
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
      code: this.code,
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
