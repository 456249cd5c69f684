import type catalog from '../../locales/en-US/plex-account.json';
import { textsOf } from '../lib/texts';

/** The plex-account dialog's texts (section "plex-account" of its catalog). */
export const _ = textsOf<(typeof catalog)['plex-account']>('plex-account');
