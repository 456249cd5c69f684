import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient, PlexError } from '../../src/core';
import { HOSTILE_ANSWERS, HOSTILE_BODIES, HOSTILE_LISTS, longestStallMs, stallReading, stallReadingList } from './hostile-bodies';

/**
 * Generous: the linear readers stall for a few milliseconds (the bench prints the figures), the
 * backtracking ones for seconds to minutes. A machine busy with browser tests once stretched a
 * linear read to 511 ms, so the bound tells the two kinds apart, not fast from slow.
 */
const STALL_BOUND_MS = 1500;

/**
 * For a list of about 1 MB: before caps and first-error checks they stalled 60–660 ms, now 6–16
 * ms (the bench holds them to 50 ms). The least of three reads under a loaded CI was once 58 ms,
 * so the bound leaves room for a busy machine and still fails what the old code did.
 */
const LIST_STALL_BOUND_MS = 100;

describe('hostile bodies of about 900 KB read through HttpClient', () => {
  const client = new HttpClient({ timeoutMs: 600_000 });
  after(() => client.close());

  it('the stall measure sees a blocked event loop', async () => {
    const stallMs = await longestStallMs(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const until = Date.now() + 100;
      while (Date.now() < until); // block the loop for 100 ms
    });
    assert.ok(stallMs >= 90, `measured ${stallMs} ms`);
  });

  for (const { name, body } of HOSTILE_BODIES) {
    for (const [status, contentType] of HOSTILE_ANSWERS) {
      it(`${name}, answered ${status}: the event loop stalls < ${STALL_BOUND_MS} ms, and the answer is refused`, async () => {
        const { stallMs, error } = await stallReading(client, body, status, contentType);
        assert.ok(stallMs < STALL_BOUND_MS, `event loop stalled ${stallMs.toFixed(1)} ms`);
        assert.ok(error instanceof PlexError, `expected a PlexError, got ${String(error)}`);
        assert.equal(error.kind, status === 200 ? 'response' : 'http');
        if (status !== 200) {
          assert.equal(error.status, status);
          // The legit title lies beyond the part of the page that is searched.
          assert.equal(error.plexMessage, undefined);
        }
      });
    }
  }

  it('still finds a title behind junk within the part of the page it searches', async () => {
    const body = `<html>${'<title'.repeat(10_000)}><br><title>Real title</title>`;
    const { error } = await stallReading(client, body, 503, 'text/html');
    assert.ok(error instanceof PlexError);
    assert.equal(error.plexMessage, 'Real title');
  });
});

describe('answers of about 1 MB full of list entries, read and checked by the calls that read lists', () => {
  const client = new HttpClient({ timeoutMs: 600_000 });
  after(() => client.close());

  for (const list of HOSTILE_LISTS) {
    const ending = 'error' in list.ends ? 'is refused, naming the cap it passed' : 'is used, with a warning';
    it(`${list.name}: the event loop stalls < ${LIST_STALL_BOUND_MS} ms, and the answer ${ending}`, async () => {
      // The least of five reads: a busy machine stretches some, not all; unbounded lists stalled every time.
      const reads = [];
      for (let read = 0; read < 5; read++) reads.push(await stallReadingList(client, list));
      const { value, error } = reads[0];
      const stallMs = Math.min(...reads.map((each) => each.stallMs));
      assert.ok(stallMs < LIST_STALL_BOUND_MS, `event loop stalled at least ${stallMs.toFixed(1)} ms`);
      if ('error' in list.ends) {
        assert.ok(error instanceof PlexError, `expected a PlexError, got ${String(error ?? 'an answer')}`);
        assert.equal(error.code, 'PLEX_BAD_ANSWER');
        assert.match(error.message, list.ends.error);
      } else {
        assert.equal(error, undefined);
        assert.match((value as { warnings: string[] }).warnings.join('\n'), list.ends.warning);
      }
    });
  }
});
