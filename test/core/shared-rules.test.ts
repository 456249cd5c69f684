/** The rules the runtime and the editor share (src/shared): one copy, pure, the same answers on both sides. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { baseUrlPath, parseBaseUrl, serverUrlProblem } from '../../src/shared/base-url';
import { uuidFromBytes } from '../../src/shared/client-id';
import { formatMoment, formatTimeLeft } from '../../src/shared/time';
import { normaliseBaseUrl, parseServerUrl } from '../../src/core';

describe('rules shared by the runtime and the editor', () => {
  it('need nothing of Node.js or the DOM: they import nothing', () => {
    const dir = path.resolve(__dirname, '..', '..', 'src', 'shared');
    for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.js'))) {
      assert.doesNotMatch(fs.readFileSync(path.join(dir, file), 'utf8'), /require\(/, file);
    }
  });

  it('a base URL: http(s), no credentials, no query; the runtime refuses what the editor marks', () => {
    assert.equal(parseBaseUrl(' https://plex.tv/ ').url?.href, 'https://plex.tv/');
    assert.deepEqual(
      ['plex.tv', 'ftp://plex.tv', 'https://me:pw@plex.tv', 'https://plex.tv/?a=1', 'https://plex.tv/#x'].map((value) => parseBaseUrl(value).problem),
      ['not-url', 'scheme', 'credentials', 'query', 'query'],
    );
    for (const value of ['plex.tv', 'ftp://plex.tv', 'https://me:pw@plex.tv', 'https://plex.tv/?a=1']) {
      assert.throws(() => normaliseBaseUrl(value, 'plex.tv URL'), { code: 'PLEX_BAD_INPUT' }, value);
    }
    assert.equal(normaliseBaseUrl('http://127.0.0.1:8080/stand-in//', 'plex.tv URL').href, 'http://127.0.0.1:8080/stand-in');
    assert.equal(baseUrlPath(new URL('http://h:1/a/b//')), '/a/b');
  });

  it('a server URL: scheme, host and port only, as the dialog and the runtime both say', () => {
    const cases: Array<[string, ReturnType<typeof serverUrlProblem>]> = [
      ['http://192.168.1.20:32400', null],
      ['https://1-2-3-4.abc.plex.direct:32400/', null],
      ['http://192.168.1.20:32400/library', 'path'],
      ['  ', 'empty'],
      ['192.168.1.20:32400', 'not-url'],
      ['plex.local:32400', 'scheme'],
      ['http://u:p@h:1', 'credentials'],
    ];
    for (const [value, problem] of cases) {
      assert.equal(serverUrlProblem(value), problem, value);
      if (problem) assert.throws(() => parseServerUrl(value), { code: 'PLEX_BAD_INPUT' }, value);
      else assert.doesNotThrow(() => parseServerUrl(value), value);
    }
  });

  it('time left as m:ss, rounded up, never below 0:00', () => {
    assert.deepEqual([0, 1, 999, 59_001, 61_000, 3_600_000, -5_000].map(formatTimeLeft), ['0:00', '0:01', '0:01', '1:00', '1:01', '60:00', '0:00']);
  });

  it("a moment: the time of day when it is today, else the date too, in the editor's language", () => {
    const now = new Date(2026, 11, 3, 18, 0).getTime();
    assert.equal(formatMoment(new Date(2026, 11, 3, 9, 5).toISOString(), 'de-DE', now), '09:05');
    assert.equal(formatMoment(new Date(2026, 11, 4, 9, 5).toISOString(), 'de-DE', now), '04.12.26, 09:05');
    assert.match(formatMoment(new Date(2026, 11, 3, 14, 5).getTime(), 'en-US', now), /^02:05\sPM$/);
  });

  it("a client identifier: a version-4 UUID; the runtime's one made of the node id stays as it was", () => {
    assert.match(uuidFromBytes(new Uint8Array(16).fill(0xff)), /^ffffffff-ffff-4fff-8fff-ffffffffffff$/);
    const ofNodeId = (id: string) => uuidFromBytes(createHash('sha256').update(`plex-account:${id}`).digest());
    // What plex-account derived for a node without one before the rule moved here: plex.tv knows the device by it.
    assert.equal(ofNodeId('a1b2c3d4e5f60718'), '882ccabb-4ed3-4010-862e-614dec414254');
    assert.equal(ofNodeId('acct'), 'd2e2e2e9-815b-4a4b-85f2-857164fe21ee');
  });
});
