/** The contract's error codes (msg.error.code), from real HttpClient errors against loopback peers. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { HttpClient, PlexError, inputError, isTlsFaultCode, type HttpClientOptions, type PlexErrorCode } from '../../src/core';
import { serve, answer, plexErrorOf, type Loopback } from './loopback';
import { selfSignedCertificate } from '../self-signed';

function get(client: HttpClient, url: string): Promise<unknown> {
  return client.request({ method: 'GET', url: new URL(url), headers: { Accept: 'application/json' }, token: 'a-token', peer: 'Test peer' });
}

describe('PlexError codes', () => {
  const client = new HttpClient({ timeoutMs: 3000 });
  const servers: Loopback[] = [];
  after(async () => {
    client.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  async function codeFrom(handler: Parameters<typeof serve>[0], options?: HttpClientOptions): Promise<PlexError> {
    const peer = await serve(handler);
    servers.push(peer);
    const own = options ? new HttpClient(options) : client;
    try {
      return await plexErrorOf(get(own, `${peer.url}/x`));
    } finally {
      if (own !== client) own.close();
    }
  }

  const answers: Array<[string, number, string, PlexErrorCode, string?]> = [
    ['401 with Plex JSON', 401, '{"errors":[{"code":1001,"message":"User could not be authenticated"}]}', 'PLEX_TOKEN_REJECTED'],
    ['401 HTML page', 401, '<html><title>Unauthorized</title></html>', 'PLEX_TOKEN_REJECTED', 'text/html'],
    ['422 "Invalid token"', 422, '{"errors":[{"code":1001,"message":"Invalid token"}]}', 'PLEX_TOKEN_REJECTED'],
    [
      '422 "Invalid token" in XML',
      422,
      '<?xml version="1.0"?><errors><error code="1001" message="Invalid token" status="422"/></errors>',
      'PLEX_TOKEN_REJECTED',
      'text/xml',
    ],
    ['422 about something else', 422, '{"errors":[{"code":1099,"message":"Thumbprint Already Taken"}]}', 'PLEX_HTTP'],
    ['422 without a message', 422, '', 'PLEX_HTTP', 'text/plain'],
    ['429', 429, '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}', 'PLEX_RATE_LIMITED'],
    ['400', 400, '{"errors":[{"code":1000,"message":"X-Plex-Client-Identifier is missing"}]}', 'PLEX_HTTP'],
    ['403 HTML page', 403, '<html><title>Forbidden</title></html>', 'PLEX_HTTP', 'text/html'],
    ['404', 404, '{"errors":[{"code":1020,"message":"Code not found or expired"}]}', 'PLEX_HTTP'],
    ['500', 500, 'boom', 'PLEX_HTTP', 'text/plain'],
    ['503 HTML page', 503, '<html><title>Down for maintenance</title></html>', 'PLEX_HTTP', 'text/html'],
    ['truncated JSON on 200', 200, '{"MediaContainer":{"tok', 'PLEX_BAD_ANSWER'],
    ['HTML on 200', 200, '<!doctype html><html><body>login</body></html>', 'PLEX_BAD_ANSWER', 'text/html'],
    ['an empty 200', 200, '', 'PLEX_BAD_ANSWER'],
  ];
  for (const [name, status, body, code, contentType] of answers) {
    it(`${name} → ${code}`, async () => {
      const error = await codeFrom(answer(status, body, contentType));
      assert.equal(error.code, code, error.message);
      assert.equal(error.status, status === 200 ? undefined : status);
    });
  }

  it('a body over the limit → PLEX_BAD_ANSWER', async () => {
    const error = await codeFrom(answer(200, `{"x":"${'a'.repeat(4096)}"}`), { maxBodyBytes: 1024, timeoutMs: 3000 });
    assert.equal(error.kind, 'response');
    assert.equal(error.code, 'PLEX_BAD_ANSWER');
  });

  it('a redirect to another host → PLEX_HTTP', async () => {
    const error = await codeFrom(answer(302, '', 'text/plain', { Location: 'http://127.0.0.2:1/x' }));
    assert.equal(error.kind, 'redirect');
    assert.equal(error.code, 'PLEX_HTTP');
  });

  it('a reset connection → PLEX_UNREACHABLE', async () => {
    const error = await codeFrom((req) => req.socket.destroy());
    assert.equal(error.kind, 'network');
    assert.equal(error.code, 'PLEX_UNREACHABLE');
  });

  it('no answer in time → PLEX_UNREACHABLE', async () => {
    const error = await codeFrom(() => {}, { timeoutMs: 300 });
    assert.equal(error.kind, 'timeout');
    assert.equal(error.code, 'PLEX_UNREACHABLE');
  });

  it('a refused port and an unknown host name → PLEX_UNREACHABLE', async () => {
    for (const url of ['http://127.0.0.1:1/x', 'http://nonexistent.invalid:32400/x']) {
      const error = await plexErrorOf(get(client, url));
      assert.equal(error.kind, 'network');
      assert.equal(error.code, 'PLEX_UNREACHABLE', error.message);
    }
  });

  describe('TLS', () => {
    const certificate = selfSignedCertificate();
    let server: https.Server;
    let url: string;
    before(async () => {
      server = https.createServer({ key: certificate.key, cert: certificate.cert }, answer(200, '{}'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      certificate.remove();
    });

    async function tlsError(options: HttpClientOptions): Promise<PlexError> {
      const own = new HttpClient({ timeoutMs: 3000, ...options });
      try {
        return await plexErrorOf(get(own, url));
      } finally {
        own.close();
      }
    }

    it('a self-signed certificate without its CA → PLEX_TLS, still a passing network fault for the poller', async () => {
      const error = await tlsError({});
      assert.match(error.message, /DEPTH_ZERO_SELF_SIGNED_CERT/);
      assert.equal(error.code, 'PLEX_TLS');
      assert.equal(error.kind, 'network');
      assert.equal(error.transient, true);
    });

    it('a certificate for another name → PLEX_TLS', async () => {
      const error = await tlsError({ tls: { ca: certificate.cert, servername: 'other.example' } });
      assert.match(error.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
      assert.equal(error.code, 'PLEX_TLS');
    });

    it('the same server with its CA trusted answers (the fault was the certificate)', async () => {
      const own = new HttpClient({ timeoutMs: 3000, tls: { ca: certificate.cert } });
      try {
        assert.equal(((await get(own, url)) as { status: number }).status, 200);
      } finally {
        own.close();
      }
    });
  });

  it("knows node's TLS fault codes, and not the codes of a missing peer", () => {
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'CERT_HAS_EXPIRED',
      'CERT_NOT_YET_VALID',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'ERR_SSL_WRONG_VERSION_NUMBER',
      'HOSTNAME_MISMATCH',
    ]) {
      assert.equal(isTlsFaultCode(code), true, code);
    }
    for (const code of [undefined, 'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']) {
      assert.equal(isTlsFaultCode(code), false, String(code));
    }
  });

  it('input errors → PLEX_BAD_INPUT; an explicit code wins over the kind', () => {
    assert.equal(inputError('PIN id must be a positive whole number').code, 'PLEX_BAD_INPUT');
    assert.equal(new PlexError('the account has no token', { kind: 'input', code: 'PLEX_NOT_SIGNED_IN' }).code, 'PLEX_NOT_SIGNED_IN');
    assert.equal(new PlexError('x: field id is missing', { kind: 'response', field: 'id' }).code, 'PLEX_BAD_ANSWER');
  });

  it('code is an own property (Node-RED copies only those into msg.error.code) and part of toJSON', () => {
    const error = new PlexError('Test peer answered 429 Too Many Requests', { kind: 'http', status: 429 });
    assert.ok(Object.prototype.hasOwnProperty.call(error, 'code'));
    assert.equal(error.code, 'PLEX_RATE_LIMITED');
    assert.equal(error.toJSON().code, 'PLEX_RATE_LIMITED');
    assert.equal(JSON.parse(JSON.stringify(error)).code, 'PLEX_RATE_LIMITED');
  });
});
