import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { HttpClient, PlexError, parseRetryAfter, plexMessageOf, type PlexRequest } from '../../src/core';
import { serve, answer, plexErrorOf, closed, type Loopback } from './loopback';

const TOKEN = 'xYz4Ab-Cd.9+Q';

function request(url: string, extra: Partial<PlexRequest> = {}): PlexRequest {
  return { method: 'GET', url: new URL(url), headers: { Accept: 'application/json' }, peer: 'Test peer', ...extra };
}

describe('HttpClient', () => {
  const client = new HttpClient({ timeoutMs: 3000 });
  const servers: Loopback[] = [];
  async function server(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Loopback> {
    const started = await serve(handler);
    servers.push(started);
    return started;
  }
  after(async () => {
    client.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  describe('answers it can use', () => {
    it('reads a JSON answer and sends the headers it was given', async () => {
      const peer = await server(answer(200, '{"MediaContainer":{"size":0,"token":"t-1"}}'));
      const response = await client.request(request(`${peer.url}/security/token`, { headers: { Accept: 'application/json', 'X-Plex-Product': 'P' } }));
      assert.deepEqual(response, { status: 200, body: { MediaContainer: { size: 0, token: 't-1' } } });
      assert.equal(peer.requests[0].headers['x-plex-product'], 'P');
      assert.equal(peer.requests[0].headers['x-plex-token'], undefined, 'no token header without a token');
    });

    it('reads an XML answer into the JSON shape', async () => {
      const peer = await server(answer(200, '<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="0" token="t-2"/>\n', 'text/xml;charset=utf-8'));
      const response = await client.request(request(`${peer.url}/security/token`));
      assert.deepEqual(response.body, { MediaContainer: { size: 0, token: 't-2' } });
    });

    it('sends the token as X-Plex-Token', async () => {
      const peer = await server(answer(200, '{}'));
      await client.request(request(`${peer.url}/x`, { token: TOKEN }));
      assert.equal(peer.requests[0].headers['x-plex-token'], TOKEN);
      assert.ok(!peer.requests[0].url.includes(TOKEN));
    });
  });

  describe('error answers', () => {
    it('maps a Plex JSON error to status, code and message, naming peer, method and path', async () => {
      const peer = await server(answer(401, '{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/user`)));
      assert.equal(error.kind, 'http');
      assert.equal(error.status, 401);
      assert.equal(error.plexCode, 1001);
      assert.equal(error.plexMessage, 'User could not be authenticated');
      assert.equal(error.message, 'Test peer (GET /api/v2/user) answered 401 Unauthorized: User could not be authenticated (code 1001)');
      assert.equal(error.transient, false);
    });

    it('maps a 5xx Plex JSON error as a passing fault', async () => {
      const peer = await server(answer(500, '{"errors":[{"code":2000,"message":"Something broke","status":500}]}'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/pins/5`, { method: 'GET' })));
      assert.equal(error.status, 500);
      assert.equal(error.plexCode, 2000);
      assert.match(error.message, /^Test peer \(GET \/api\/v2\/pins\/5\) answered 500 Internal Server Error: Something broke \(code 2000\)$/);
      assert.equal(error.transient, true);
    });

    for (const [status, title] of [
      [403, 'Access denied'],
      [503, 'Down for maintenance'],
    ] as const) {
      it(`takes the title of an HTML ${status} page as Plex's message`, async () => {
        const page = `<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`;
        const peer = await server(answer(status, page, 'text/html'));
        const error = await plexErrorOf(client.request(request(`${peer.url}/security/resources?source=server://x`, { method: 'POST' })));
        assert.equal(error.kind, 'http');
        assert.equal(error.status, status);
        assert.equal(error.plexMessage, title);
        assert.equal(error.plexCode, undefined);
        assert.match(error.message, new RegExp(`^Test peer \\(POST /security/resources\\) answered ${status} .*: ${title}$`));
        assert.equal(error.transient, status === 503);
      });
    }

    it('reads an XML error body', async () => {
      const body = '<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n  <error code="1020" message="Code not found or expired" status="404"/>\n</errors>\n';
      const peer = await server(answer(404, body, 'application/xml'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/pins/7`)));
      assert.equal(error.status, 404);
      assert.equal(error.plexCode, 1020);
      assert.equal(error.plexMessage, 'Code not found or expired');
    });

    it('gives no Plex message for an error body nested 100,000 levels deep, and keeps the status', async () => {
      const peer = await server(answer(400, `<errors>${'<error>'.repeat(100_000)}`, 'application/xml'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/pins`)));
      assert.equal(error.kind, 'http');
      assert.equal(error.status, 400);
      assert.equal(error.plexMessage, undefined);
      assert.equal(error.plexCode, undefined);
      assert.equal(error.message, 'Test peer (GET /api/v2/pins) answered 400 Bad Request');
    });

    it('names the status alone when the error body is empty', async () => {
      const peer = await server(answer(502, '', 'text/plain'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/a`)));
      assert.equal(error.message, 'Test peer (GET /a) answered 502 Bad Gateway');
      assert.equal(error.plexMessage, undefined);
      assert.equal(error.transient, true);
    });
  });

  describe('2xx answers it cannot use', () => {
    it('refuses an empty body', async () => {
      const peer = await server(answer(200, '   '));
      const error = await plexErrorOf(client.request(request(`${peer.url}/a`)));
      assert.equal(error.kind, 'response');
      assert.match(error.message, /^Test peer \(GET \/a\) answered with an empty body$/);
      assert.equal(error.transient, false);
    });

    it('refuses truncated JSON', async () => {
      const peer = await server(answer(200, '{"MediaContainer":{"token":"t'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/a`)));
      assert.equal(error.kind, 'response');
      assert.match(error.message, /JSON that cannot be read/);
    });

    it('refuses an HTML page on 200', async () => {
      const peer = await server(answer(200, '<!doctype html><html><body>Sign in</body></html>', 'text/html'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/a`)));
      assert.equal(error.kind, 'response');
      assert.match(error.message, /answered with an HTML page instead of JSON/);
    });

    it('refuses XML nested 100,000 levels deep as an answer it cannot use, not as a network fault', async () => {
      const peer = await server(answer(200, `<MediaContainer size="1">${'<Device>'.repeat(100_000)}`, 'application/xml'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/security/resources`)));
      assert.equal(error.kind, 'response');
      assert.equal(error.transient, false);
      assert.equal(error.message, 'Test peer (GET /security/resources) answered with XML that cannot be read (nested deeper than 32 levels)');
    });

    it('asks for no compression, and refuses a compressed body as an answer it cannot use, not as a network fault', async () => {
      const peer = await server(
        (_req, res) => void res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end('not gzip at all'),
      );
      const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/user`)));
      assert.equal(error.kind, 'response');
      assert.match(error.message, /answered with JSON that cannot be read/);
      assert.equal(peer.requests[0].headers['accept-encoding'], undefined);
    });

    it('refuses a body over the size limit', async () => {
      const small = new HttpClient({ maxBodyBytes: 1024, timeoutMs: 3000 });
      after(() => small.close());
      const peer = await server(answer(200, JSON.stringify({ padding: 'x'.repeat(64 * 1024) })));
      const error = await plexErrorOf(small.request(request(`${peer.url}/big`)));
      assert.equal(error.kind, 'response');
      assert.match(error.message, /more than 1024 bytes; refused/);
    });
  });

  describe('faults on the way', () => {
    it('gives up on a server that never answers', async () => {
      const quick = new HttpClient({ timeoutMs: 300 });
      after(() => quick.close());
      const peer = await server(() => undefined);
      const error = await plexErrorOf(quick.request(request(`${peer.url}/hang`)));
      assert.equal(error.kind, 'timeout');
      assert.equal(error.message, 'Test peer (GET /hang) did not answer within 0.3 s');
      assert.equal(error.transient, true);
    });

    it('gives up on a body that never ends', async () => {
      const quick = new HttpClient({ timeoutMs: 300 });
      after(() => quick.close());
      const peer = await server((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"MediaContainer":');
      });
      const error = await plexErrorOf(quick.request(request(`${peer.url}/slow`)));
      assert.equal(error.kind, 'timeout');
    });

    it('reports a reset connection as a network fault', async () => {
      const peer = await server((req) => req.socket.destroy());
      const error = await plexErrorOf(client.request(request(`${peer.url}/reset`)));
      assert.equal(error.kind, 'network');
      assert.equal(error.transient, true);
      assert.match(error.message, /^Test peer \(GET \/reset\) could not be reached at 127\.0\.0\.1:\d+: .*ECONNRESET/);
    });

    it('reports a refused connection', async () => {
      const gone = await serve(answer(200, '{}'));
      await gone.close();
      const error = await plexErrorOf(client.request(request(`${gone.url}/a`)));
      assert.equal(error.kind, 'network');
      assert.match(error.message, /ECONNREFUSED/);
    });

    it('reports a name that does not resolve', async () => {
      const error = await plexErrorOf(client.request(request('http://nonexistent.invalid:32400/identity')));
      assert.equal(error.kind, 'network');
      assert.match(error.message, /could not be reached at nonexistent\.invalid:32400: .*\((ENOTFOUND|EAI_AGAIN)\)$/);
    });

    it('stops when the caller aborts, and tells it from a timeout', async () => {
      const peer = await server(() => undefined);
      const controller = new AbortController();
      const pending = plexErrorOf(client.request(request(`${peer.url}/wait`, { signal: controller.signal })));
      while (peer.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      controller.abort();
      const error = await pending;
      assert.equal(error.kind, 'aborted');
      assert.equal(error.transient, false);
      await closed(peer.requests[0].socket);
    });

    it('does not call out at all with a signal that is already aborted', async () => {
      const peer = await server(answer(200, '{}'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/a`, { signal: AbortSignal.abort() })));
      assert.equal(error.kind, 'aborted');
      assert.equal(peer.requests.length, 0);
    });
  });

  describe('redirects', () => {
    it('follows a same-origin redirect with the token', async () => {
      const peer = await server((req, res) => {
        if (req.url === '/old') return void res.writeHead(301, { Location: '/new' }).end();
        answer(200, '{"ok":true}')(req, res);
      });
      const response = await client.request(request(`${peer.url}/old`, { token: TOKEN }));
      assert.deepEqual(response.body, { ok: true });
      assert.deepEqual(
        peer.requests.map((r) => [r.url, r.headers['x-plex-token']]),
        [
          ['/old', TOKEN],
          ['/new', TOKEN],
        ],
      );
    });

    it('refuses a redirect to another host, and sends that host nothing', async () => {
      const other = await server(answer(200, '{"stolen":true}'));
      const peer = await server((_req, res) => void res.writeHead(302, { Location: `${other.url}/catch` }).end());
      const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/user`, { token: TOKEN })));
      assert.equal(error.kind, 'redirect');
      assert.equal(error.status, 302);
      assert.match(error.message, /redirected to another host \(127\.0\.0\.1:\d+\); not followed/);
      assert.equal(other.requests.length, 0);
      assert.equal(peer.requests.length, 1);
    });

    it('treats another host name for the same port as another origin', async () => {
      const peer = await server((req, res) => {
        if (req.url === '/start') return void res.writeHead(307, { Location: `http://localhost:${new URL(peer.url).port}/next` }).end();
        answer(200, '{}')(req, res);
      });
      const error = await plexErrorOf(client.request(request(`${peer.url}/start`, { token: TOKEN })));
      assert.equal(error.kind, 'redirect');
      assert.deepEqual(
        peer.requests.map((r) => r.url),
        ['/start'],
      );
    });

    it('stops after a few same-origin redirects', async () => {
      const peer = await server((_req, res) => void res.writeHead(302, { Location: '/loop' }).end());
      const error = await plexErrorOf(client.request(request(`${peer.url}/loop`)));
      assert.equal(error.kind, 'redirect');
      assert.match(error.message, /redirected too many times/);
      assert.equal(peer.requests.length, 4);
    });

    it('refuses a redirect to a location that is not a URL', async () => {
      const peer = await server((_req, res) => void res.writeHead(302, { Location: 'http://[not-a-host' }).end());
      const error = await plexErrorOf(client.request(request(`${peer.url}/a`, { token: TOKEN })));
      assert.equal(error.kind, 'redirect');
      assert.equal(error.transient, false);
    });
  });

  describe('Retry-After', () => {
    it('reads seconds', async () => {
      const peer = await server(answer(429, '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}', 'application/json', { 'Retry-After': '7' }));
      const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/pins/1`)));
      assert.equal(error.status, 429);
      assert.equal(error.plexCode, 1003);
      assert.equal(error.retryAfterMs, 7000);
      assert.equal(error.transient, true);
    });

    it('reads an HTTP date', async () => {
      const at = new Date(Date.now() + 30_000).toUTCString();
      const peer = await server(answer(503, '', 'text/plain', { 'Retry-After': at }));
      const error = await plexErrorOf(client.request(request(`${peer.url}/a`)));
      assert.ok(error.retryAfterMs! > 25_000 && error.retryAfterMs! <= 30_000, `retryAfterMs ${error.retryAfterMs}`);
    });

    it('parses the forms Plex and proxies send, and ignores the rest', () => {
      const now = Date.parse('2026-01-01T00:00:00Z');
      assert.equal(parseRetryAfter('120', now), 120_000);
      assert.equal(parseRetryAfter(' 1.5 ', now), 1500);
      assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
      assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past means now');
      assert.equal(parseRetryAfter('soon', now), undefined);
      assert.equal(parseRetryAfter('-5', now), undefined);
      assert.equal(parseRetryAfter(null, now), undefined);
      assert.equal(parseRetryAfter('', now), undefined);
    });
  });

  describe('tokens in what a peer sends back', () => {
    it('redacts a token echoed in a Plex error message', async () => {
      const peer = await server(answer(401, JSON.stringify({ errors: [{ code: 1001, message: `Token ${TOKEN} is not valid` }] })));
      const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/user`, { token: TOKEN })));
      assert.equal(error.plexMessage, 'Token [redacted] is not valid');
      assert.ok(!error.message.includes(TOKEN), error.message);
      assert.ok(!JSON.stringify(error).includes(TOKEN));
    });

    it('redacts a token echoed in an HTML page title', async () => {
      const peer = await server(answer(403, `<html><head><title>Forbidden for ${TOKEN}</title></head></html>`, 'text/html'));
      const error = await plexErrorOf(client.request(request(`${peer.url}/security/token`, { token: TOKEN })));
      assert.equal(error.plexMessage, 'Forbidden for [redacted]');
      assert.ok(!error.message.includes(TOKEN), error.message);
    });

    // Plex tokens are 20 characters; here it starts near the 200-character cut of a message.
    const LONG_TOKEN = 'Pq7Rs8Tu9Vw0Xy1Za2Bc';
    const leakedPrefix = (text: string) => {
      for (let length = LONG_TOKEN.length; length >= 8; length--) {
        if (text.toLowerCase().includes(LONG_TOKEN.slice(0, length).toLowerCase())) return LONG_TOKEN.slice(0, length);
      }
      return undefined;
    };
    for (const [what, body, contentType] of [
      ['a JSON errors[0].message', JSON.stringify({ errors: [{ code: 1001, message: `${'m'.repeat(190)} ${LONG_TOKEN} rest` }] }), 'application/json'],
      ['an HTML title', `<html><head><title>${'t'.repeat(190)} ${LONG_TOKEN} rest</title></head></html>`, 'text/html'],
      ['an XML error message', `<errors><error code="1001" message="${'x'.repeat(190)} ${LONG_TOKEN.toLowerCase()} rest"/></errors>`, 'application/xml'],
    ]) {
      it(`redacts a token across the cut of ${what} (redacted first, then cut)`, async () => {
        const peer = await server(answer(401, body, contentType));
        const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/user`, { token: LONG_TOKEN })));
        assert.equal(error.status, 401);
        assert.ok(
          error.plexMessage!.startsWith(`${body.includes('<title>') ? 't' : body.includes('<errors>') ? 'x' : 'm'}`.repeat(190) + ' [redac'),
          error.plexMessage,
        );
        assert.equal(error.plexMessage!.length, 200);
        for (const text of [error.message, error.plexMessage!, JSON.stringify(error)]) {
          assert.equal(leakedPrefix(text), undefined, text);
        }
      });
    }

    it('redacts a token echoed in the status line', async () => {
      const peer = await server((_req, res) => void res.writeHead(401, `Bad token ${TOKEN}`).end());
      const error = await plexErrorOf(client.request(request(`${peer.url}/api/v2/user`, { token: TOKEN })));
      assert.equal(error.status, 401);
      assert.ok(!error.message.includes(TOKEN), error.message);
      assert.match(error.message, /\[redacted\]/);
    });

    it('redacts a token echoed in a redirect target', async () => {
      const peer = await server((_req, res) => void res.writeHead(302, { Location: `http://${TOKEN}.example.invalid/` }).end());
      const error = await plexErrorOf(client.request(request(`${peer.url}/a`, { token: TOKEN })));
      assert.equal(error.kind, 'redirect');
      assert.ok(!error.message.toLowerCase().includes(TOKEN.toLowerCase()), error.message);
      assert.match(error.message, /another host \(\[redacted\]\.example\.invalid\)/);
    });
  });

  it('close() ends its keep-alive connections', async () => {
    const own = new HttpClient({ timeoutMs: 3000 });
    const peer = await server(answer(200, '{}'));
    await own.request(request(`${peer.url}/a`));
    await own.request(request(`${peer.url}/b`));
    assert.equal(peer.sockets.length, 1, 'the second request reused the connection');
    assert.equal(peer.sockets[0].destroyed, false, 'kept alive after the answer');
    own.close();
    await closed(peer.sockets[0]);
    const again = await own.request(request(`${peer.url}/c`));
    assert.equal(again.status, 200, 'still usable after close(), on a new connection');
    own.close();
  });
});

describe('plexMessageOf', () => {
  it('reads JSON, XML and HTML error bodies and nothing else', () => {
    assert.deepEqual(plexMessageOf('{"errors":[{"code":1020,"message":"Code not found or expired"}]}'), { code: 1020, message: 'Code not found or expired' });
    assert.deepEqual(plexMessageOf('<errors><error code="1001" message="User could not be authenticated"/></errors>'), {
      code: 1001,
      message: 'User could not be authenticated',
    });
    assert.deepEqual(plexMessageOf('<html><body><h1>Unauthorized</h1></body></html>'), { message: 'Unauthorized' });
    assert.deepEqual(plexMessageOf('<html><head><title>\n  503   Service\n Unavailable </title></head></html>'), { message: '503 Service Unavailable' });
    assert.deepEqual(plexMessageOf('{"errors":'), {});
    assert.deepEqual(plexMessageOf('{"error":"plain words"}'), {});
    assert.deepEqual(plexMessageOf('just text'), {});
    assert.deepEqual(plexMessageOf(''), {});
    assert.equal(plexMessageOf(`{"errors":[{"message":"${'m'.repeat(500)}"}]}`).message!.length, 200);
    assert.equal(plexMessageOf(`{"errors":[{"message":"${'m'.repeat(195)}tok-123456"}]}`, 'TOK-123456').message, `${'m'.repeat(195)}[redacted]`.slice(0, 200));
    assert.deepEqual(plexMessageOf(`<errors>${'<error>'.repeat(100_000)}`), {}, 'nested too deep: no message, no throw');
  });
});

describe('PlexError', () => {
  it('classifies passing faults', () => {
    const cases: Array<[ConstructorParameters<typeof PlexError>[1], boolean]> = [
      [{ kind: 'network' }, true],
      [{ kind: 'timeout' }, true],
      [{ kind: 'http', status: 429 }, true],
      [{ kind: 'http', status: 500 }, true],
      [{ kind: 'http', status: 503 }, true],
      [{ kind: 'http', status: 400 }, false],
      [{ kind: 'http', status: 401 }, false],
      [{ kind: 'http', status: 404 }, false],
      [{ kind: 'response', status: 200 }, false],
      [{ kind: 'redirect', status: 302 }, false],
      [{ kind: 'aborted' }, false],
      [{ kind: 'input' }, false],
    ];
    for (const [details, transient] of cases) {
      assert.equal(new PlexError('x', details).transient, transient, JSON.stringify(details));
    }
  });

  it('turns into plain data for msg.error', () => {
    const error = new PlexError('plex.tv (GET /api/v2/user) answered 401', { kind: 'http', status: 401, plexCode: 1001, plexMessage: 'm', retryAfterMs: 5 });
    assert.deepEqual(JSON.parse(JSON.stringify(error)), {
      name: 'PlexError',
      message: 'plex.tv (GET /api/v2/user) answered 401',
      code: 'PLEX_TOKEN_REJECTED',
      kind: 'http',
      status: 401,
      plexCode: 1001,
      plexMessage: 'm',
    });
    assert.ok(error instanceof Error);
  });
});
