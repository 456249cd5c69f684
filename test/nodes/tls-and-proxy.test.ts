import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, MediaServerClient } from '../../src/core';
import { helper, startRuntime, stopRuntime, outcome, ACCOUNT_TOKEN } from './harness';
import { allNodes } from '../support';
import { selfSignedCertificate } from '../self-signed';

const tlsNode = require('@node-red/nodes/core/network/05-tls.js');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

describe('plex-server over https with a tls-config node', () => {
  const certificate = selfSignedCertificate();
  const standIn = new PlexStandIn({ tls: { key: certificate.key, cert: certificate.cert } });

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stop();
    certificate.remove();
  });
  afterEach(() => helper.unload());

  function load(tls: string) {
    const flow: any[] = [
      { id: 'tab', type: 'tab' },
      { id: 'acct', type: 'plex-account', clientIdentifier: 'c', product: 'p', deviceName: 'd', plexTvUrl: 'https://plex.tv' },
      { id: 'ca', type: 'tls-config', cert: '', key: '', ca: certificate.certFile, verifyservercert: true, servername: '' },
      { id: 'srv', type: 'plex-server', url: standIn.url, account: 'acct', tls },
      { id: 'under', type: 'plex-transient-token', z: 'tab', server: 'srv', x: 1, y: 1, wires: [['out0']] },
      { id: 'out0', type: 'helper', z: 'tab', x: 1, y: 1 },
      { id: 'catch', type: 'catch', z: 'tab', scope: null, x: 1, y: 1, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', x: 1, y: 1 },
    ];
    return helper.load([...allNodes, tlsNode, catchNode], flow, { acct: { token: ACCOUNT_TOKEN } });
  }

  it('refuses a certificate it cannot verify, and never turns verification off by itself', async () => {
    await load('');
    const result = await outcome({});
    assert.ok('error' in result);
    assert.match(result.error.message, /could not be reached .*(self-signed|self signed)/i);
  });

  it('trusts the CA of the tls-config node', async () => {
    await load('ca');
    const result = await outcome({});
    assert.ok('port' in result, JSON.stringify(result));
    assert.match(result.msg.payload.token, /^transient-/);
  });
});

describe('proxies from the environment', () => {
  const standIn = new PlexStandIn();
  const proxied: string[] = [];
  // A tunnelling proxy, as Node-RED's own HTTP nodes use them (CONNECT, then bytes both ways).
  const proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    proxied.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const saved = { http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy, NO_PROXY: process.env.NO_PROXY };

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await new Promise((resolve) => proxy.close(resolve));
    await standIn.stop();
  });

  it('sends calls through http_proxy, except to hosts in no_proxy', async () => {
    process.env.http_proxy = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    delete process.env.NO_PROXY;
    process.env.no_proxy = '';
    const viaProxy = new HttpClient();
    const server = new MediaServerClient(standIn.url, { clientIdentifier: 'c', product: 'p', deviceName: 'd' }, viaProxy);
    const { value } = await server.transientToken(ACCOUNT_TOKEN);
    assert.match(value.token, /^transient-/);
    assert.deepEqual(proxied, [new URL(standIn.url).host]);
    viaProxy.close();

    process.env.no_proxy = '127.0.0.1';
    const direct = new HttpClient();
    await new MediaServerClient(standIn.url, { clientIdentifier: 'c', product: 'p', deviceName: 'd' }, direct).transientToken(ACCOUNT_TOKEN);
    assert.equal(proxied.length, 1, 'no_proxy is honoured');
    direct.close();
  });
});
