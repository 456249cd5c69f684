import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

/** Who this client is to plex.tv and to a Plex Media Server: the X-Plex-* headers. */
export interface ClientIdentity {
  /** X-Plex-Client-Identifier: made once per account node and never changed. */
  clientIdentifier: string;
  /** X-Plex-Product: the name users see in their plex.tv device list. */
  product: string;
  /** X-Plex-Device-Name. */
  deviceName: string;
}

export const DEFAULT_PRODUCT = 'Node-RED';
export const DEFAULT_DEVICE_NAME = 'Node-RED';

/** This package's name and version, from its package.json. */
export const packageInfo: Readonly<{ name: string; version: string }> = (() => {
  // Compiled to dist/src/core: the package root is three levels up; the source is two.
  for (const up of ['../../..', '../..']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, up, 'package.json'), 'utf8'));
      if (typeof pkg.version === 'string') return Object.freeze({ name: String(pkg.name), version: pkg.version });
    } catch {
      // try the next candidate
    }
  }
  return Object.freeze({ name: 'node-red-plex-auth', version: '0.0.0' });
})();

/** Header values that describe this installation rather than the account. */
const platformHeaders = Object.freeze({
  'X-Plex-Version': packageInfo.version,
  'X-Plex-Platform': 'Node.js',
  'X-Plex-Platform-Version': process.versions.node,
  'X-Plex-Device': `${os.type()} ${os.arch()}`,
});

export function newClientIdentifier(): string {
  return randomUUID();
}

/** The full identity header set that every Plex call carries. */
export function identityHeaders(identity: ClientIdentity): Record<string, string> {
  return {
    Accept: 'application/json',
    'X-Plex-Client-Identifier': identity.clientIdentifier,
    'X-Plex-Product': identity.product || DEFAULT_PRODUCT,
    'X-Plex-Device-Name': identity.deviceName || DEFAULT_DEVICE_NAME,
    ...platformHeaders,
  };
}

/** The X-Plex-* names of a header set that cannot travel as headers; a client's set is looked at once. */
const unsafeNames = new WeakMap<object, string[]>();

/** What an HTTP header may carry as it is: printable ASCII. */
const HEADER_SAFE = /^[\x20-\x7e]*$/;

/**
 * HTTP headers cannot carry "Wohnzimmer-Ü" or "リビング" (Node refuses them with
 * ERR_INVALID_CHAR). Plex takes every X-Plex-* value as a query parameter too, UTF-8
 * percent-encoded, as its web client sends them: such values travel there instead.
 */
export function withHeaderSafeIdentity(url: URL, headers: Readonly<Record<string, string>>): { url: URL; headers: Readonly<Record<string, string>> } {
  let unsafe = unsafeNames.get(headers);
  if (!unsafe) {
    unsafe = Object.keys(headers).filter((name) => name.startsWith('X-Plex-') && !HEADER_SAFE.test(headers[name]));
    unsafeNames.set(headers, unsafe);
  }
  if (!unsafe.length) return { url, headers };
  const moved = new URL(url);
  const kept = { ...headers };
  for (const name of unsafe) {
    moved.searchParams.set(name, kept[name]);
    delete kept[name];
  }
  return { url: moved, headers: kept };
}
