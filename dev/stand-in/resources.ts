/** Devices as plex.tv lists them in /api/v2/resources. */
import { SERVER_VERSION } from './media-server';

export function deviceDefaults(name: string, clientIdentifier: string): Record<string, unknown> {
  const seen = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    name,
    product: 'Plex Media Server',
    productVersion: SERVER_VERSION,
    platform: 'Linux',
    platformVersion: '6.1',
    device: 'PC',
    clientIdentifier,
    createdAt: '2024-01-01T00:00:00Z',
    lastSeenAt: seen,
    ownerId: null,
    sourceTitle: null,
    publicAddress: '203.0.113.7',
    home: false,
    synced: false,
    relay: true,
    presence: true,
    httpsRequired: false,
    publicAddressMatches: true,
    dnsRebindingProtection: false,
    natLoopbackSupported: true,
    owned: true,
  };
}

/** A device that is no server (a phone). */
export function clientDevice(name: string, clientIdentifier: string): Record<string, unknown> {
  return {
    ...deviceDefaults(name, clientIdentifier),
    product: 'Plex for Android',
    provides: 'client,player',
    accessToken: `client-${clientIdentifier}`,
    connections: [],
  };
}
