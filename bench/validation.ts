/** Nanoseconds per response for each schema check, the validators compiled once beforehand. */
import { performance } from 'node:perf_hooks';
import { ResponseSchema } from '../src/core/validate';
import * as schemas from '../src/core/schemas';
import { round } from './stats';

const samples = {
  pin: {
    id: 308667304, code: 'ABCDEFGHJKLMNPQRSTUVWXYZ2', product: 'Node-RED', trusted: false, qr: 'https://plex.tv/api/v2/pins/qr/X',
    clientIdentifier: 'c', location: { code: 'NL', continent_code: 'EU', country: 'NL', city: 'Breda', european_union_member: true, time_zone: 'Europe/Amsterdam', postal_code: '4814', in_privacy_restricted_country: false, in_privacy_restricted_region: false, subdivisions: 'NB', coordinates: '51, 4' },
    expiresIn: 1800, createdAt: '2024-07-16T17:03:05Z', expiresAt: '2024-07-16T17:33:05Z', authToken: null, newRegistration: null,
  },
  user: { id: 1, uuid: 'u', username: 'someone', title: 'someone', email: 'a@b.c' },
  transientToken: { MediaContainer: { size: 0, token: 'transient-1f2e3d4c' } },
  sourceInfo: { MediaContainer: { size: 1, Device: { name: 'n', clientIdentifier: 'c', accessToken: 't', Connection: [
    { protocol: 'https', address: '192.168.1.20', port: 32400, uri: 'https://a.plex.direct:32400', local: true, relay: false },
    { protocol: 'https', address: '203.0.113.7', port: 32400, uri: 'https://b.plex.direct:32400', local: false, relay: false },
  ] } } },
};

export function benchValidation(): Array<{ schema: string; nsPerResponse: number }> {
  return (Object.keys(samples) as Array<keyof typeof samples>).map((name) => {
    const schema = new ResponseSchema(name, schemas[name]);
    const body = samples[name];
    for (let i = 0; i < 20_000; i++) schema.check(body); // compile on first use, then warm up
    const runs = 200_000;
    const started = performance.now();
    for (let i = 0; i < runs; i++) schema.check(body);
    return { schema: name, nsPerResponse: round(((performance.now() - started) * 1e6) / runs, 0) };
  });
}
