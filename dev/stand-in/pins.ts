/** PINs as plex.tv answers them, shared by the classic and the JWT routes. */
import type { PlexStandIn, StandInPin } from '../plex-stand-in';
import { Refusal } from './exchange';

/** The location plex.tv puts in every PIN it answers (as the reference description shows it). */
export const pinLocation = {
  code: 'NL',
  continent_code: 'EU',
  country: 'The Netherlands',
  city: 'Breda',
  european_union_member: true,
  time_zone: 'Europe/Amsterdam',
  postal_code: '4814',
  in_privacy_restricted_country: false,
  in_privacy_restricted_region: false,
  subdivisions: 'North Brabant',
  coordinates: '51.5869, 4.7471',
};

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** A PIN as plex.tv answers it. */
export function pinBody(pin: StandInPin): Record<string, unknown> {
  return {
    id: pin.id,
    code: pin.code,
    product: pin.product,
    trusted: false,
    qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
    clientIdentifier: pin.clientIdentifier,
    location: pinLocation,
    expiresIn: Math.max(0, Math.round((pin.expiresAt - Date.now()) / 1000)),
    createdAt: isoSeconds(pin.createdAt),
    expiresAt: isoSeconds(pin.expiresAt),
    authToken: pin.authToken,
    newRegistration: pin.authToken ? false : null,
  };
}

/** A PIN of this client that has not expired; else plex.tv's 404. */
export function livePin(standIn: PlexStandIn, id: number, clientId: string): StandInPin {
  const pin = standIn.pins.get(id);
  if (!pin || pin.clientIdentifier !== clientId || Date.now() >= pin.expiresAt) throw new Refusal(404, 1020, 'Code not found or expired');
  return pin;
}
