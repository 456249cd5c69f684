/**
 * The caps on a peer's lists (schemas.ts) and on what a body may hold (http.ts, xml.ts): over
 * a cap an answer is refused naming the field and the cap, or cut with a warning, before
 * anything checks, copies or imports the whole of it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { HttpClient, MediaServerClient, PlexTvClient, ResponseSchema, checkedServers, MAX_JSON_CONTAINERS, type PlexError } from '../../src/core';
import { parsePlexXml, MAX_XML_ATTRIBUTES, MAX_XML_ELEMENTS } from '../../src/core/xml';
import * as schemas from '../../src/core/schemas';
import { MAX_CONNECTIONS, MAX_DEVICES, MAX_PLEX_KEYS } from '../../src/core/schemas';
import { serve, answer, plexErrorOf, type Loopback } from './loopback';

const identity = { clientIdentifier: 'caps-client', product: 'Node-RED', deviceName: 'Test' };

function connection(index: number) {
  const address = `10.0.${index >> 8}.${index & 255}`;
  return { protocol: 'http', address, port: 32400, uri: `http://${address}:32400`, local: false, relay: false, IPv6: false };
}

function device(name: string, connections: number) {
  return { name, clientIdentifier: name, provides: 'server', owned: true, connections: Array.from({ length: connections }, (_, i) => connection(i)) };
}

function refusal(run: () => unknown): PlexError {
  try {
    run();
  } catch (error) {
    return error as PlexError;
  }
  assert.fail('expected a refusal');
}

describe("the account's servers (/api/v2/resources)", () => {
  it(`takes ${MAX_DEVICES} devices, and refuses one more, naming the field and the cap`, () => {
    const devices = Array.from({ length: MAX_DEVICES }, (_, i) => device(`server-${i}`, 1));
    assert.equal(checkedServers(devices).value.length, MAX_DEVICES);
    const error = refusal(() => checkedServers([...devices, device('one-more', 1)]));
    assert.equal(error.code, 'PLEX_BAD_ANSWER');
    assert.equal(error.field, '(body)');
    assert.equal(error.message, `plex.tv resources: field (body) must NOT have more than ${MAX_DEVICES} items`);
  });

  it(`tries the first ${MAX_CONNECTIONS} connections of a server that lists more, with a warning; the other servers are untouched`, () => {
    const { value, warnings } = checkedServers([device('flooded', 5000), device('usual', 3), device('also-flooded', MAX_CONNECTIONS + 1)]);
    assert.deepEqual(
      value.map((server) => server.connections.length),
      [MAX_CONNECTIONS, 3, MAX_CONNECTIONS],
    );
    assert.deepEqual(
      value[0].connections.map((each) => each.address),
      Array.from({ length: MAX_CONNECTIONS }, (_, i) => connection(i).address),
    );
    // The devices here stray from the documented schema too: that warning comes first.
    assert.deepEqual(warnings.slice(1), [
      `plex.tv resources: 2 device(s) list more than ${MAX_CONNECTIONS} connections; only their first ${MAX_CONNECTIONS} are tried`,
    ]);
    assert.equal(checkedServers([device('usual', MAX_CONNECTIONS)]).warnings.length, 1);
  });

  it('finds "server" as one item of provides however it is spaced, and only as a whole item', () => {
    const provides = ['server', 'client, server ,player', 'player,server', ' server', 'servers', 'client,player', 'media-server', ''];
    const found = checkedServers(provides.map((each, i) => ({ ...device(`d${i}`, 0), provides: each }))).value.map((server) => server.name);
    assert.deepEqual(found, ['d0', 'd1', 'd2', 'd3']);
  });

  it('names only the first drift of an answer with a list (each of thousands of entries may stray); an answer without one, every drift', () => {
    const { warnings } = checkedServers([device('a', 1), device('b', 1)]);
    assert.deepEqual(warnings, ['plex.tv resources strays from the documented schema: [0].product is missing']);
    const pin = new ResponseSchema('plex.tv PIN', schemas.pin);
    assert.match(pin.check({ id: 5, code: 'ABCD' }).warnings[0], /product is missing; trusted is missing; .+; and \d+ more$/);
  });
});

describe('calls that read a list from a peer', () => {
  let body = '';
  let peer: Loopback;
  const http = new HttpClient({ timeoutMs: 2000 });
  before(async () => {
    peer = await serve((req, res) => answer(200, body)(req, res));
  });
  after(async () => {
    http.close();
    await peer.close();
  });

  it(`plex.tv's keys: ${MAX_PLEX_KEYS} are imported, one more is a refusal naming the field and the cap`, async () => {
    const plexTv = new PlexTvClient(identity, http, peer.url);
    const key = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    body = JSON.stringify({ keys: Array(MAX_PLEX_KEYS).fill(key) });
    assert.equal((await plexTv.getAuthKeys()).keys.length, MAX_PLEX_KEYS);
    body = JSON.stringify({ keys: Array(MAX_PLEX_KEYS + 1).fill(key) });
    const error = await plexErrorOf(plexTv.getAuthKeys());
    assert.equal(error.code, 'PLEX_BAD_ANSWER');
    assert.equal(error.field, 'keys');
    assert.equal(error.message, `plex.tv keys: field keys must NOT have more than ${MAX_PLEX_KEYS} items`);
  });

  it(`a source's connections: the first ${MAX_CONNECTIONS} are passed on, with a warning`, async () => {
    const server = new MediaServerClient(peer.url, identity, http);
    const listed = Array.from({ length: 3000 }, (_, i) => connection(i));
    body = JSON.stringify({ MediaContainer: { size: 1, Device: { name: 'n', clientIdentifier: 'c', accessToken: 'a', Connection: listed } } });
    const { value, warnings } = await server.sourceInfo('server-token', 'server://c', false);
    assert.deepEqual(
      value.connections.map((each) => each.uri),
      listed.slice(0, MAX_CONNECTIONS).map((each) => each.uri),
    );
    assert.deepEqual(warnings, [`Plex Media Server source information lists 3000 connections; only the first ${MAX_CONNECTIONS} are passed on`]);
  });
});

describe('what a body may hold', () => {
  let body = '';
  let status = 200;
  let contentType = 'application/json';
  let peer: Loopback;
  const http = new HttpClient({ timeoutMs: 2000 });
  const get = () => http.request({ method: 'GET', url: new URL(`${peer.url}/list`), headers: {}, peer: 'Peer' });
  before(async () => {
    peer = await serve((req, res) => answer(status, body, contentType)(req, res));
  });
  after(async () => {
    http.close();
    await peer.close();
  });

  it(`JSON: ${MAX_JSON_CONTAINERS} objects and arrays are read, one more is refused before JSON.parse`, async () => {
    status = 200;
    contentType = 'application/json';
    body = `[${Array(MAX_JSON_CONTAINERS - 1)
      .fill('{}')
      .join(',')}]`;
    assert.equal(((await get()).body as unknown[]).length, MAX_JSON_CONTAINERS - 1);
    body = `[${Array(MAX_JSON_CONTAINERS).fill('{}').join(',')}]`;
    const error = await plexErrorOf(get());
    assert.equal(error.code, 'PLEX_BAD_ANSWER');
    assert.equal(error.message, `Peer (GET /list) answered with JSON of more than ${MAX_JSON_CONTAINERS} objects and arrays; refused`);
  });

  it('JSON: an error answer that holds too many is still its HTTP error, without a message from its body', async () => {
    status = 403;
    body = `{"errors":[{"code":1,"message":"Forbidden"}],"junk":[${Array(MAX_JSON_CONTAINERS).fill('{}').join(',')}]}`;
    const error = await plexErrorOf(get());
    assert.equal(error.status, 403);
    assert.equal(error.plexMessage, undefined);
    body = '{"errors":[{"code":1,"message":"Forbidden"}]}';
    assert.equal((await plexErrorOf(get())).plexMessage, 'Forbidden');
  });

  it(`XML: ${MAX_XML_ELEMENTS} elements and ${MAX_XML_ATTRIBUTES} attributes are read, one more is refused`, async () => {
    const xml = (connections: number) =>
      `<MediaContainer size="1"><Device name="n">${'<Connection uri="http://a:1"/>'.repeat(connections)}</Device></MediaContainer>`;
    const root = parsePlexXml(xml(MAX_XML_ELEMENTS - 2)) as { MediaContainer: { Device: { Connection: unknown[] } } };
    assert.equal(root.MediaContainer.Device.Connection.length, MAX_XML_ELEMENTS - 2);
    assert.throws(() => parsePlexXml(xml(MAX_XML_ELEMENTS - 1)), { message: `more than ${MAX_XML_ELEMENTS} elements` });
    // Attributes count across elements: the last tag passes the cap.
    const attributes = (count: number) => ` a=""`.repeat(count);
    const half = MAX_XML_ATTRIBUTES / 2;
    assert.ok(parsePlexXml(`<MediaContainer${attributes(half)}><Device${attributes(half)}/></MediaContainer>`));
    assert.throws(() => parsePlexXml(`<MediaContainer${attributes(half)}><Device${attributes(half + 1)}/></MediaContainer>`), {
      message: `more than ${MAX_XML_ATTRIBUTES} attributes`,
    });
    status = 200;
    contentType = 'application/xml';
    body = xml(MAX_XML_ELEMENTS);
    const error = await plexErrorOf(get());
    assert.equal(error.code, 'PLEX_BAD_ANSWER');
    assert.match(error.message, new RegExp(`answered with XML that cannot be read \\(more than ${MAX_XML_ELEMENTS} elements\\)$`));
  });
});
