/** The account's server list, reused for a few minutes: on a clock the test sets. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES_MAX_AGE_MS, ResourcesCache, type AccountServerWithToken, type Checked } from '../../src/core';

describe('ResourcesCache', () => {
  /** A cache on a clock of the test's, and a loader that counts its calls and answers with the count. */
  function cacheOnClock() {
    const clock = { now: 1_700_000_000_000 };
    const cache = new ResourcesCache(RESOURCES_MAX_AGE_MS, () => clock.now);
    let loads = 0;
    const load = (): Promise<Checked<AccountServerWithToken[]>> => {
      loads += 1;
      return Promise.resolve({ value: [{ name: `list ${loads}` } as AccountServerWithToken], warnings: [] });
    };
    const names = async (key = 'acct|https://plex.tv/|token', maxAgeMs?: number) =>
      (await cache.get(key, load, { maxAgeMs })).value.map((server) => server.name);
    return { clock, cache, names, loads: () => loads };
  }

  it('reuses a list until it is as old as the cache allows, then asks again', async () => {
    const { clock, names, loads } = cacheOnClock();
    assert.deepEqual(await names(), ['list 1']);
    clock.now += RESOURCES_MAX_AGE_MS - 1;
    assert.deepEqual(await names(), ['list 1']);
    clock.now += 1;
    assert.deepEqual(await names(), ['list 2']);
    assert.equal(loads(), 2);
  });

  it('keeps a list per key, and asks anew when a caller wants one younger than the one kept', async () => {
    const { clock, names } = cacheOnClock();
    assert.deepEqual(await names('a'), ['list 1']);
    assert.deepEqual(await names('b'), ['list 2']);
    clock.now += 1000;
    assert.deepEqual(await names('a', 0), ['list 3']);
    assert.deepEqual(await names('b'), ['list 2']);
  });

  it('shares a list still loading, whatever age is asked for; a failed load is not kept', async () => {
    const clock = { now: 0 };
    const cache = new ResourcesCache(RESOURCES_MAX_AGE_MS, () => clock.now);
    let fail!: (error: Error) => void;
    const first = cache.get('a', () => new Promise((_, reject) => (fail = reject)));
    const second = cache.get('a', () => Promise.reject(new Error('not asked')), { maxAgeMs: 0 });
    assert.equal(second, first);
    fail(new Error('plex.tv down'));
    await assert.rejects(first, /plex.tv down/);
    const again = await cache.get('a', () => Promise.resolve({ value: [], warnings: [] }));
    assert.deepEqual(again.value, []);
  });

  it('asks again after the clock was set back: a list from the future is of unknown age', async () => {
    const { clock, names, loads } = cacheOnClock();
    assert.deepEqual(await names(), ['list 1']);
    clock.now -= 24 * 60 * 60_000; // a day back, as when a Pi's clock is corrected after boot
    assert.deepEqual(await names(), ['list 2']);
    clock.now += 1000;
    assert.deepEqual(await names(), ['list 2'], 'the new list is reused as usual');
    assert.equal(loads(), 2);
  });
});
