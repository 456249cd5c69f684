import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { firstAnswering, rankConnections, serversOf, publicServer, PlexError, MAX_PROBES_IN_FLIGHT, type ServerConnection } from '../../src/core';
import { serve, answer, plexErrorOf, type Loopback } from './loopback';
import { selfSignedCertificate } from '../self-signed';

const identity = { clientIdentifier: 'ranking-test', product: 'Node-RED', deviceName: 'test' };
const SERVER_ID = 'a1b2c3d4e5f6';

function connection(fields: Partial<ServerConnection>): ServerConnection {
  const protocol = fields.protocol ?? 'http';
  const address = fields.address ?? '10.0.0.5';
  const port = fields.port ?? 32400;
  return { uri: `${protocol}://${address}:${port}`, address, port, protocol, local: false, relay: false, IPv6: false, ...fields };
}

describe('ranking connections', () => {
  const localHttp = connection({ local: true, address: '192.168.1.20' });
  const localHttps = connection({ local: true, protocol: 'https', uri: 'https://192-168-1-20.abc.plex.direct:32400' });
  const remoteHttp = connection({ address: '203.0.113.7' });
  const remoteHttps = connection({ protocol: 'https', uri: 'https://203-0-113-7.abc.plex.direct:32400' });
  const relay = connection({ relay: true, protocol: 'https', uri: 'https://10-0-0-25.abc.plex.direct:8443' });

  it('puts local before remote before relay, and https before http', () => {
    const ranked = rankConnections([relay, remoteHttp, localHttp, remoteHttps, localHttps], true);
    assert.deepEqual(ranked, [localHttps, localHttp, remoteHttps, remoteHttp, relay]);
  });

  it('leaves out the local connections of a server the account does not own', () => {
    assert.deepEqual(rankConnections([localHttps, relay, remoteHttp, localHttp], false), [remoteHttp, relay]);
  });

  it('keeps plex.tv order among equals', () => {
    const other = connection({ address: '198.51.100.1' });
    assert.deepEqual(rankConnections([other, remoteHttp], true), [other, remoteHttp]);
  });

  it('takes only devices that provide "server", owner from sourceTitle, and a flow never sees the access token', () => {
    const device = {
      name: 'Wohnzimmer',
      product: 'Plex Media Server',
      productVersion: '1.41.0',
      clientIdentifier: SERVER_ID,
      provides: 'server,client',
      owned: false,
      sourceTitle: 'friend',
      presence: true,
      accessToken: 'SHARED-TOKEN',
      connections: [localHttp, remoteHttp],
    };
    const servers = serversOf([device, { ...device, clientIdentifier: 'phone', provides: 'client,player' }]);
    assert.equal(servers.length, 1);
    assert.equal(servers[0].accessToken, 'SHARED-TOKEN');
    const shown = publicServer(servers[0]);
    assert.deepEqual(shown, {
      name: 'Wohnzimmer',
      machineIdentifier: SERVER_ID,
      owned: false,
      owner: 'friend',
      online: true,
      product: 'Plex Media Server',
      version: '1.41.0',
      connections: [remoteHttp],
    });
    assert.ok(!JSON.stringify(shown).includes('SHARED-TOKEN'));
  });
});

describe('racing connections against /identity', () => {
  const identityOf = (id: string) => answer(200, JSON.stringify({ MediaContainer: { size: 0, claimed: true, machineIdentifier: id, version: '1.41.0' } }));
  let right: Loopback;
  let slowRight: Loopback;
  let decoy: Loopback;
  let silent: Loopback;
  let deadUrl: string;

  before(async () => {
    right = await serve(identityOf(SERVER_ID));
    slowRight = await serve((req, res) => setTimeout(() => identityOf(SERVER_ID)(req, res), 300));
    decoy = await serve(identityOf('someone-else'));
    silent = await serve(() => undefined); // never answers
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  after(async () => {
    for (const server of [right, slowRight, decoy, silent]) await server.close();
  });

  it('skips a decoy with another machineIdentifier, a dead port and a silent one, and sends no token', async () => {
    const chosen = await firstAnswering([decoy.url, deadUrl, silent.url, right.url], SERVER_ID, { identity, limitMs: 1000 });
    assert.equal(chosen, right.url);
    for (const server of [decoy, right, silent]) {
      for (const request of server.requests) {
        assert.equal(request.url, '/identity');
        assert.equal(request.headers['x-plex-token'], undefined);
      }
    }
  });

  it('takes the best-ranked that answers, not the first to answer', async () => {
    const chosen = await firstAnswering([slowRight.url, right.url], SERVER_ID, { identity, limitMs: 2000 });
    assert.equal(chosen, slowRight.url);
  });

  it('does not wait for worse-ranked candidates once a better one answered', async () => {
    const started = Date.now();
    const chosen = await firstAnswering([right.url, silent.url], SERVER_ID, { identity, limitMs: 5000 });
    assert.equal(chosen, right.url);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  it('costs the slowest allowed attempt, not the sum: six silent ones before the answering one', async () => {
    const started = Date.now();
    const silentOnes = Array.from({ length: 6 }, () => silent.url);
    const chosen = await firstAnswering([...silentOnes, right.url], SERVER_ID, { identity, limitMs: 700 });
    const took = Date.now() - started;
    assert.equal(chosen, right.url);
    assert.ok(took >= 650 && took < 2500, `took ${took} ms (the sum would be 4200)`);
  });

  it('names every address tried, with why, when none answers (PLEX_UNREACHABLE)', async () => {
    const error = await plexErrorOf(firstAnswering([decoy.url, deadUrl, silent.url], SERVER_ID, { identity, limitMs: 300 }));
    assert.equal(error.code, 'PLEX_UNREACHABLE');
    assert.match(error.message, new RegExp(`${decoy.url} \\(another server answered \\(someone-else\\)\\)`));
    assert.match(error.message, new RegExp(`${deadUrl} \\(ECONNREFUSED\\)`));
    assert.match(error.message, new RegExp(`${silent.url} \\(no answer in time\\)`));
  });

  it('stops every attempt when its signal ends', async () => {
    const controller = new AbortController();
    const race = firstAnswering([silent.url], SERVER_ID, { identity, limitMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await plexErrorOf(race);
    assert.equal(error.kind, 'aborted');
    assert.ok(error instanceof PlexError);
  });
});

describe('racing a long list of connections', () => {
  /**
   * Listeners, each its own address, that never answer ("hang") or answer 503 after `ms`; they
   * count the connections open at once across all of them, and the requests asked.
   */
  async function listeners(count: number, behaviour: { hang: true } | { failAfterMs: number }) {
    let open = 0;
    let peak = 0;
    let asked = 0;
    const servers = await Promise.all(
      Array.from({ length: count }, async () => {
        const server = http.createServer((_req, res) => {
          asked += 1;
          if ('failAfterMs' in behaviour) setTimeout(() => res.writeHead(503).end(), behaviour.failAfterMs);
        });
        server.on('connection', (socket) => {
          peak = Math.max(peak, ++open);
          socket.once('close', () => (open -= 1));
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        return server;
      }),
    );
    return {
      urls: servers.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      peak: () => peak,
      asked: () => asked,
      close: () =>
        Promise.all(
          servers.map((server) => {
            server.closeAllConnections();
            return new Promise((resolve) => server.close(resolve));
          }),
        ),
    };
  }
  const answering = () => serve(answer(200, JSON.stringify({ MediaContainer: { machineIdentifier: SERVER_ID } })));

  it(`keeps at most ${MAX_PROBES_IN_FLIGHT} connections open among 300 candidates, best-ranked first, and none after the one that answers`, async () => {
    const failing = await listeners(100, { failAfterMs: 20 });
    const right = await answering();
    try {
      const candidates = [...failing.urls, ...failing.urls, ...failing.urls.slice(0, 49), right.url, ...failing.urls.slice(0, 50)];
      assert.equal(candidates.length, 300);
      assert.equal(await firstAnswering(candidates, SERVER_ID, { identity, limitMs: 5000 }), right.url);
      assert.ok(failing.peak() <= MAX_PROBES_IN_FLIGHT, `${failing.peak()} connections open at once`);
      // The 249 before it were all asked; of the 50 after it, at most the rest of one window.
      assert.ok(failing.asked() >= 249 && failing.asked() < 249 + MAX_PROBES_IN_FLIGHT, `asked ${failing.asked()}`);
    } finally {
      await failing.close();
      await right.close();
    }
  });

  it('still finds the one ranked after 100 that hang, a time limit per window of them', async () => {
    const hanging = await listeners(100, { hang: true });
    const right = await answering();
    try {
      const started = Date.now();
      // Real time is the point here: the limit is what each window of hanging candidates costs. 400 ms leaves a loaded machine room to answer.
      assert.equal(await firstAnswering([...hanging.urls, right.url, ...hanging.urls], SERVER_ID, { identity, limitMs: 400 }), right.url);
      const took = Date.now() - started;
      const windows = Math.ceil(100 / MAX_PROBES_IN_FLIGHT);
      assert.ok(took >= windows * 400 - 50 && took < 20_000, `took ${took} ms for ${windows} windows of 400 ms`);
      assert.ok(hanging.asked() >= 100 && hanging.asked() < 100 + MAX_PROBES_IN_FLIGHT, `asked ${hanging.asked()}`);
    } finally {
      await hanging.close();
      await right.close();
    }
  });

  it('names the first few candidates in its error and counts the rest', async () => {
    const failing = await listeners(30, { failAfterMs: 0 });
    try {
      const error = await plexErrorOf(firstAnswering(failing.urls, SERVER_ID, { identity, limitMs: 5000 }));
      assert.equal(error.code, 'PLEX_UNREACHABLE');
      assert.equal(error.message.match(/\(HTTP 503\)/g)?.length, 10);
      assert.match(error.message, /; and 20 more$/);
    } finally {
      await failing.close();
    }
  });
});

describe('racing over https', () => {
  const certificate = selfSignedCertificate();
  const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ MediaContainer: { machineIdentifier: SERVER_ID } }));
  });
  let url = '';

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    certificate.remove();
  });

  it('verifies certificates as always, and a tls-config CA still applies', async () => {
    const refused = await plexErrorOf(firstAnswering([url], SERVER_ID, { identity, limitMs: 2000 }));
    assert.match(refused.message, /SELF_SIGNED|self.signed/i);
    assert.equal(await firstAnswering([url], SERVER_ID, { identity, limitMs: 2000, tls: { ca: certificate.cert } }), url);
  });
});
