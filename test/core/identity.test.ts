import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { identityHeaders, newClientIdentifier, packageInfo, DEFAULT_PRODUCT, DEFAULT_DEVICE_NAME } from '../../src/core';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8'));

describe('identity headers', () => {
  it('carries the full X-Plex-* set and asks for JSON', () => {
    const headers = identityHeaders({ clientIdentifier: 'client-1', product: 'Home Automation', deviceName: 'Attic Pi' });
    assert.deepEqual(headers, {
      Accept: 'application/json',
      'X-Plex-Client-Identifier': 'client-1',
      'X-Plex-Product': 'Home Automation',
      'X-Plex-Version': pkg.version,
      'X-Plex-Platform': 'Node.js',
      'X-Plex-Platform-Version': process.versions.node,
      'X-Plex-Device': `${os.type()} ${os.arch()}`,
      'X-Plex-Device-Name': 'Attic Pi',
    });
  });

  it('falls back to the default product and device name when they are empty', () => {
    const headers = identityHeaders({ clientIdentifier: 'client-2', product: '', deviceName: '' });
    assert.equal(headers['X-Plex-Product'], DEFAULT_PRODUCT);
    assert.equal(headers['X-Plex-Device-Name'], DEFAULT_DEVICE_NAME);
    assert.equal(DEFAULT_PRODUCT, 'Node-RED');
    assert.equal(headers['X-Plex-Client-Identifier'], 'client-2');
  });

  it('reads its name and version from package.json', () => {
    assert.deepEqual({ ...packageInfo }, { name: pkg.name, version: pkg.version });
    assert.ok(Object.isFrozen(packageInfo));
  });

  it('makes a new random client identifier each time it is asked', () => {
    const ids = new Set(Array.from({ length: 50 }, newClientIdentifier));
    assert.equal(ids.size, 50);
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives each caller its own header object', () => {
    const identity = { clientIdentifier: 'c', product: 'p', deviceName: 'd' };
    const first = identityHeaders(identity);
    first['X-Plex-Version'] = 'changed';
    assert.equal(identityHeaders(identity)['X-Plex-Version'], pkg.version);
  });
});
