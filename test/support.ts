/** Shared by the tests: the node modules under test, and small waiting helpers. */
import path from 'node:path';

const dist = path.resolve(__dirname, '..', 'nodes');

/** Every node module of the package, compiled, as node-red-node-test-helper wants them. */
export const allNodes = [
  'plex-account',
  'plex-server',
  'plex-pin',
  'plex-poll-token',
  'plex-transient-token',
  'plex-source-info',
  'plex-link-code',
  'plex-servers',
].map((name) => require(path.join(dist, `${name}.js`)));

/** Resolves with the first value `register` hands to its callback, or rejects after `ms`. */
export function nextEvent<T>(register: (callback: (value: T) => void) => void, ms = 5000, what = 'event'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
