/** A plex-account's configuration as the account object takes it: the same for the running node and for an admin route that opens a deployed one. */
import { createHash } from 'node:crypto';
import { DEFAULT_DEVICE_NAME, DEFAULT_PLEX_TV_URL, DEFAULT_PRODUCT, type AccountAuth, type ClientIdentity } from '../../src/core';
import type { PlexAccountConfig } from './types';
import { uuidFromBytes } from '../../src/shared/client-id';

export interface AccountSettings {
  identity: ClientIdentity;
  plexTvUrl: string;
  auth: AccountAuth;
  keyDeviceIdentifier?: string;
}

/** For a flow written by hand without one: stable for the node's life, unique per node. */
function identifierFromNodeId(id: string): string {
  return uuidFromBytes(createHash('sha256').update(`plex-account:${id}`).digest());
}

export function accountSettingsOf(config: Partial<PlexAccountConfig>, id: string): AccountSettings {
  return {
    identity: {
      clientIdentifier: (config.clientIdentifier ?? '').trim() || identifierFromNodeId(id),
      product: (config.product ?? '').trim() || DEFAULT_PRODUCT,
      deviceName: (config.deviceName ?? '').trim() || DEFAULT_DEVICE_NAME,
    },
    plexTvUrl: (config.plexTvUrl ?? '').trim() || DEFAULT_PLEX_TV_URL,
    auth: config.auth === 'jwt' ? 'jwt' : 'token',
    keyDeviceIdentifier: (config.jwtClientIdentifier ?? '').trim() || undefined,
  };
}
