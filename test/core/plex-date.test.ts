/**
 * A peer's dates, read on a machine in New York: a date read as local time would be 5 hours
 * off there. The zone is set for these tests only (other files may share the process).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient, PlexTvClient, ResponseSchema, isPlexDateTime, parseRetryAfter, readPlexDate } from '../../src/core';
import * as schemas from '../../src/core/schemas';
import { serve, answer, plexErrorOf, type Loopback } from './loopback';

const identity = { clientIdentifier: 'date-client', product: 'Node-RED', deviceName: 'Test' };
const NEW_YEAR_UTC = Date.UTC(2026, 0, 2, 3, 19, 5);
/** A PIN as the reference documents it, but for its dates. */
const DOCUMENTED_PIN = {
  id: 7,
  code: 'ABCD',
  product: 'Node-RED',
  trusted: false,
  qr: 'https://plex.tv/api/v2/pins/qr/ABCD',
  clientIdentifier: 'c',
  location: {
    code: 'US',
    continent_code: 'NA',
    country: 'United States',
    city: 'New York',
    european_union_member: false,
    time_zone: 'America/New_York',
    postal_code: '10001',
    in_privacy_restricted_country: false,
    in_privacy_restricted_region: false,
    subdivisions: 'New York',
    coordinates: '40.7, -74.0',
  },
  expiresIn: 900,
  createdAt: '2026-01-02T03:04:05Z',
  authToken: null,
};

describe('dates read on a machine in New York', () => {
  const zone = process.env.TZ;
  before(() => {
    process.env.TZ = 'America/New_York';
  });
  after(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  describe('the zone these tests run in', () => {
    it('is in New York, 5 hours behind UTC in January', () => {
      assert.equal(new Date(NEW_YEAR_UTC).getTimezoneOffset(), 300);
    });
  });

  describe('readPlexDate', () => {
    it('reads RFC 3339 with Z, an offset or a fraction', () => {
      assert.deepEqual(readPlexDate('2026-01-02T03:19:05Z', 'expiresAt'), { epochMs: NEW_YEAR_UTC });
      assert.deepEqual(readPlexDate('2026-01-02t03:19:05z', 'expiresAt'), { epochMs: NEW_YEAR_UTC });
      assert.deepEqual(readPlexDate('2026-01-02T04:19:05+01:00', 'expiresAt'), { epochMs: NEW_YEAR_UTC });
      assert.deepEqual(readPlexDate('2026-01-01T22:19:05.250-05:00', 'expiresAt'), { epochMs: NEW_YEAR_UTC + 250 });
    });

    it('reads the form plex.tv writes some dates in ("2023-04-12 17:30:03 +0000 UTC")', () => {
      assert.deepEqual(readPlexDate('2023-04-12 17:30:03 +0000 UTC', 'createdAt'), { epochMs: Date.UTC(2023, 3, 12, 17, 30, 3) });
      assert.deepEqual(readPlexDate('2026-01-01 22:19:05 -0500 EST', 'createdAt'), { epochMs: NEW_YEAR_UTC });
      assert.deepEqual(readPlexDate('2026-01-02 03:19:05.5 +0000 UTC', 'createdAt'), { epochMs: NEW_YEAR_UTC + 500 });
    });

    it('reads a date without an offset as UTC, not as local time, with a warning that names the field', () => {
      for (const text of ['2026-01-02T03:19:05', '2026-01-02 03:19:05']) {
        assert.deepEqual(readPlexDate(text, 'expiresAt'), { epochMs: NEW_YEAR_UTC, warning: `expiresAt "${text}" names no UTC offset: read as UTC` });
      }
    });

    it('reads nothing else, not even what Date.parse takes', () => {
      for (const text of [
        'soon',
        '',
        '2026-02-30T00:00:00Z',
        '2026-01-02',
        'Fri, 02 Jan 2026 03:19:05 GMT',
        '2026-01-02T25:00:00Z',
        '2023-04-12 17:30:03 +0000',
        '1767323945',
      ]) {
        assert.equal(readPlexDate(text, 'expiresAt'), undefined, text);
      }
    });

    it('is the documented schemas\' "date-time": both of Plex\'s forms with an offset pass, and nothing else', () => {
      assert.ok(isPlexDateTime('2026-01-02T03:19:05Z'));
      assert.ok(isPlexDateTime('2023-04-12 17:30:03 +0000 UTC'));
      for (const text of ['2026-01-02T03:19:05', 'soon', '2026-02-30T00:00:00Z']) assert.equal(isPlexDateTime(text), false, text);
    });
  });

  describe('a PIN whose expiresAt comes without an offset', () => {
    let body = '';
    let peer: Loopback;
    const http = new HttpClient({ timeoutMs: 2000 });
    let plexTv: PlexTvClient;
    before(async () => {
      peer = await serve((req, res) => answer(req.method === 'POST' ? 201 : 200, body)(req, res));
      plexTv = new PlexTvClient(identity, http, peer.url);
    });
    after(async () => {
      http.close();
      await peer.close();
    });

    it("expires at that time UTC (it was 5 hours later here), and says so with the answer's other warnings", async () => {
      body = JSON.stringify({ ...DOCUMENTED_PIN, expiresAt: '2026-01-02T03:19:05' });
      const warnings = [
        'plex.tv PIN strays from the documented schema: expiresAt must match format "date-time"',
        'plex.tv PIN: expiresAt "2026-01-02T03:19:05" names no UTC offset: read as UTC',
      ];
      const created = await plexTv.createPin({ strong: false });
      assert.equal(created.value.expiresAt, '2026-01-02T03:19:05.000Z');
      assert.deepEqual(created.warnings, warnings);
      const polled = await plexTv.checkPin(7);
      assert.equal(polled.value.expiresAt, '2026-01-02T03:19:05.000Z');
      assert.deepEqual(polled.warnings, warnings);
    });

    it("in plex.tv's other form, expires at that time with no warning of its own", async () => {
      body = JSON.stringify({ ...DOCUMENTED_PIN, expiresAt: '2026-01-02 03:19:05 +0000 UTC' });
      const { value, warnings } = await plexTv.createPin({ strong: false });
      assert.equal(value.expiresAt, '2026-01-02T03:19:05.000Z');
      assert.deepEqual(warnings, []);
    });

    it('that is no date at all: expiresIn is used and the drift named, or, without expiresIn, the PIN is refused as before', async () => {
      body = JSON.stringify({ ...DOCUMENTED_PIN, expiresIn: 600, expiresAt: 'soon' });
      const { value, warnings } = await plexTv.createPin({ strong: false });
      assert.equal(value.expiresIn, 600);
      assert.ok(Math.abs(Date.parse(value.expiresAt) - (Date.now() + 600_000)) < 5000, value.expiresAt);
      assert.deepEqual(warnings, ['plex.tv PIN strays from the documented schema: expiresAt must match format "date-time"']);

      body = JSON.stringify({ ...DOCUMENTED_PIN, expiresIn: undefined, expiresAt: 'soon' });
      const error = await plexErrorOf(plexTv.createPin({ strong: false }));
      assert.equal(error.code, 'PLEX_BAD_ANSWER');
      assert.equal(error.field, 'expiresAt');
    });
  });

  describe('date-time in the documented schemas', () => {
    const pin = new ResponseSchema('plex.tv PIN', schemas.pin);

    it("passes both of Plex's forms; a date without an offset, or none at all, is drift; the relied schema refuses neither", () => {
      const check = (createdAt: string, expiresAt: string) => pin.check({ ...DOCUMENTED_PIN, createdAt, expiresAt }).warnings;
      assert.deepEqual(check('2026-01-02T03:04:05Z', '2026-01-02 03:19:05 +0000 UTC'), []);
      assert.match(check('2026-01-02T03:04:05', '2026-01-02T03:19:05Z')[0], /createdAt must match format "date-time"$/);
      assert.match(check('2026-01-02T03:04:05Z', 'tomorrow')[0], /expiresAt must match format "date-time"$/);
    });
  });

  describe('Retry-After as an HTTP date', () => {
    it('reads the asctime form, which names no zone, as UTC (it was 5 hours later here)', () => {
      const now = Date.UTC(2026, 0, 1);
      assert.equal(parseRetryAfter('Thu Jan  1 00:00:10 2026', now), 10_000);
      assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
      assert.equal(parseRetryAfter('Thursday, 01-Jan-26 00:00:10 GMT', now), 10_000);
    });
  });
});
