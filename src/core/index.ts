/** The Plex client core: plex.tv PINs and accounts, Plex Media Server calls. No Node-RED here. */
export * from './errors';
export * from './identity';
export * from './http';
export * from './validate';
export * from './plex-date';
export * from './plex-tv';
export * from './media-server';
export * from './pin-poller';
export * from './sealed-file';
export * from './reuse';
export * from './token-check';
export * from './device-key';
export * from './plex-jwt';
export * from './token-renewer';
export * from './resources';
export * from './connections';
export * from './timers';
