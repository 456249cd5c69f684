/**
 * What makes a base URL (plex.tv's, a Plex Media Server's) usable: the runtime refuses the
 * others, and the editor says why as the user types. Pure: WHATWG URL only, which Node.js and
 * the browser share.
 */
export type BaseUrlProblem = 'not-url' | 'scheme' | 'credentials' | 'query';
export type ServerUrlProblem = BaseUrlProblem | 'empty' | 'path';

/** The URL, or why it cannot be a base URL: http(s), no user name or password, no query or fragment. */
export function parseBaseUrl(value: string): { url: URL; problem?: undefined } | { url?: undefined; problem: BaseUrlProblem } {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { problem: 'not-url' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'scheme' };
  if (url.username || url.password) return { problem: 'credentials' };
  if (url.search || url.hash) return { problem: 'query' };
  return { url };
}

/** The path of a base URL without trailing slashes: "" for scheme, host and port only. */
export function baseUrlPath(url: URL): string {
  return url.pathname.replace(/\/+$/, '');
}

/** Why a Plex Media Server URL (scheme, host and port only) is not usable; null when it is. */
export function serverUrlProblem(value: string): ServerUrlProblem | null {
  if (!value.trim()) return 'empty';
  const { url, problem } = parseBaseUrl(value);
  if (!url) return problem;
  return baseUrlPath(url) ? 'path' : null;
}
