import type { Checked } from './validate';
import { PlexError } from './errors';

/**
 * A value with an expiry that many callers share: handed out again while it has more than
 * `minLeftMs` to live, fetched at most once at a time, and fetched anew for another key (a
 * transient token made with one account token is not handed out for another).
 */
export class Reusable<T extends { expiresAt: string }> {
  private kept?: { key: string; value: T };
  private pending?: { key: string; promise: Promise<Checked<T>> };

  constructor(private readonly minLeftMs: number) {}

  get(key: string, fetch: () => Promise<Checked<T>>): Promise<Checked<T>> {
    if (this.kept?.key === key && Date.parse(this.kept.value.expiresAt) - Date.now() > this.minLeftMs) {
      return Promise.resolve({ value: this.kept.value, warnings: [] });
    }
    if (this.pending?.key === key) return this.pending.promise;
    const promise = fetch()
      .then((checked) => {
        if (this.pending?.promise === promise) this.kept = { key, value: checked.value };
        return checked;
      })
      .finally(() => {
        if (this.pending?.promise === promise) this.pending = undefined;
      });
    this.pending = { key, promise };
    return promise;
  }
}

/** The promise's outcome, unless the signal ends first: a caller that stopped waiting for shared work. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new PlexError('request stopped', { kind: 'aborted' }));
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new PlexError('request stopped', { kind: 'aborted' }));
    signal.addEventListener('abort', stop, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}
