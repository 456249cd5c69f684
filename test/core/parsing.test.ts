import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlexXml } from '../../src/core/xml';
import { plexMessageOf, parseRetryAfter } from '../../src/core/http';
import { ResponseSchema } from '../../src/core/validate';
import * as schemas from '../../src/core/schemas';
import { PlexError, identityHeaders, parsePinId, buildAuthUrl, parseSource, parseServerUrl } from '../../src/core';

describe('parsePlexXml', () => {
  it('reads a MediaContainer as Plex writes it in JSON', () => {
    assert.deepEqual(parsePlexXml('<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="0" token="transient-1"/>'), {
      MediaContainer: { size: 0, token: 'transient-1' },
    });
  });

  it('reads a Device with its connections, booleans written as 1/0, and relay left out', () => {
    const xml = `<MediaContainer size="1"><!-- a comment --><Device name="Den &amp; Co" clientIdentifier="abc" accessToken="t">
      <Connection protocol="https" address="192.168.1.20" port="32400" uri="https://a.plex.direct:32400" local="1" relay="0"/>
      <Connection protocol="https" address="203.0.113.7" port="8443" uri="https://b.plex.direct:8443" local="0"/>
    </Device></MediaContainer>`;
    assert.deepEqual(parsePlexXml(xml), {
      MediaContainer: {
        size: 1,
        Device: {
          name: 'Den & Co',
          clientIdentifier: 'abc',
          accessToken: 't',
          Connection: [
            { protocol: 'https', address: '192.168.1.20', port: 32400, uri: 'https://a.plex.direct:32400', local: true, relay: false },
            { protocol: 'https', address: '203.0.113.7', port: 8443, uri: 'https://b.plex.direct:8443', local: false },
          ],
        },
      },
    });
  });

  it('reads a plex.tv pin flat, a code of digits stays a string, an empty authToken is null', () => {
    assert.deepEqual(parsePlexXml('<pin id="42" code="1234" authToken="" expiresIn="900"/>'), { id: 42, code: '1234', authToken: null, expiresIn: 900 });
  });

  it('gives nothing for text without an element', () => {
    assert.equal(parsePlexXml('not xml at all'), undefined);
  });
});

describe('plexMessageOf and parseRetryAfter', () => {
  it("finds Plex's own words in JSON, XML and HTML error bodies", () => {
    assert.deepEqual(plexMessageOf('{"errors":[{"code":1020,"message":"Code not found or expired"}]}'), { code: 1020, message: 'Code not found or expired' });
    assert.deepEqual(plexMessageOf('<errors><error code="1001" message="User could not be authenticated"/></errors>'), { code: 1001, message: 'User could not be authenticated' });
    assert.deepEqual(plexMessageOf('<html><head><title> Unauthorized\n</title></head></html>'), { message: 'Unauthorized' });
    assert.deepEqual(plexMessageOf('<html><body><h1>Bad Request</h1></body></html>'), { message: 'Bad Request' });
    assert.deepEqual(plexMessageOf('plain text that could say anything'), {});
    assert.deepEqual(plexMessageOf('{"errors": broken'), {});
  });

  it('reads Retry-After as seconds or as a date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter('1.5'), 1500);
    const now = Date.parse('2026-11-22T12:00:00Z');
    assert.equal(parseRetryAfter('Sun, 22 Nov 2026 12:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });
});

describe('ResponseSchema', () => {
  const transient = new ResponseSchema<{ MediaContainer: { token: string } }>('transient token', schemas.transientToken);

  it('passes a documented answer without warnings', () => {
    assert.deepEqual(transient.check({ MediaContainer: { size: 0, token: 't' } }), { value: { MediaContainer: { size: 0, token: 't' } }, warnings: [] });
  });

  it('passes drift outside the relied-on fields, with a warning that names the field', () => {
    const { warnings } = transient.check({ MediaContainer: { size: 'zero', token: 't' } });
    assert.deepEqual(warnings, ['transient token strays from the documented schema: MediaContainer.size must be integer']);
  });

  it('throws a PlexError naming a missing or mistyped relied-on field', () => {
    assert.throws(() => transient.check({ MediaContainer: {} }), (error: PlexError) => error.kind === 'response' && error.field === 'MediaContainer.token' && /MediaContainer\.token is missing/.test(error.message));
    assert.throws(() => transient.check({ MediaContainer: { token: 1 } }), /field MediaContainer\.token must be string/);
    assert.throws(() => transient.check([]), /field \(body\) must be object/);
  });

  it('checks a whole plex.tv PIN against the documented AuthPinContainer', () => {
    const pin = new ResponseSchema('PIN', schemas.pin);
    const { warnings } = pin.check({ id: 1, code: 'ABCD', authToken: null });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /product is missing; trusted is missing; qr is missing; and \d+ more/);
  });
});

describe('identity, ids, URLs', () => {
  it('sends every X-Plex-* header and asks for JSON', () => {
    const headers = identityHeaders({ clientIdentifier: 'id-1', product: '', deviceName: 'Pi' });
    assert.equal(headers.Accept, 'application/json');
    assert.equal(headers['X-Plex-Client-Identifier'], 'id-1');
    assert.equal(headers['X-Plex-Product'], 'Node-RED');
    assert.equal(headers['X-Plex-Device-Name'], 'Pi');
    assert.equal(headers['X-Plex-Platform'], 'Node.js');
    assert.equal(headers['X-Plex-Platform-Version'], process.versions.node);
    assert.match(headers['X-Plex-Version'], /^\d+\.\d+\.\d+/);
    assert.ok(headers['X-Plex-Device']);
  });

  it('takes only positive whole numbers as PIN ids', () => {
    assert.equal(parsePinId(12), 12);
    assert.equal(parsePinId(' 12 '), 12);
    for (const bad of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, NaN, '12a', '', null, undefined, true, {}, []]) {
      assert.throws(() => parsePinId(bad), /PIN id must be a positive whole number/, String(bad));
    }
  });

  it('builds the approval URL as Plex documents it, with the device context and forwardUrl', () => {
    const url = buildAuthUrl({ clientIdentifier: 'c 1', product: 'Node RED', deviceName: 'Pi' }, 'CODE', 'https://x.example/?a=1');
    assert.match(url, /^https:\/\/app\.plex\.tv\/auth#\?clientID=c%201&code=CODE&context%5Bdevice%5D%5Bproduct%5D=Node%20RED&/);
    assert.match(url, /context%5Bdevice%5D%5BdeviceName%5D=Pi/);
    assert.match(url, /&forwardUrl=https%3A%2F%2Fx\.example%2F%3Fa%3D1$/);
  });

  it('checks sources and server URLs', () => {
    assert.equal(parseSource(' provider://tv.plex.provider.vod '), 'provider://tv.plex.provider.vod');
    assert.throws(() => parseSource('abc'), /must start with server:\/\/ or provider:\/\//);
    assert.throws(() => parseSource(undefined), /source is missing/);
    assert.equal(parseServerUrl('http://192.168.1.20:32400/').href, 'http://192.168.1.20:32400/');
    assert.throws(() => parseServerUrl('ftp://x'), /must start with http/);
    assert.throws(() => parseServerUrl('http://u:p@host:32400'), /user name or password/);
    assert.throws(() => parseServerUrl('http://host:32400/?X-Plex-Token=t'), /must not have a query/);
  });
});
