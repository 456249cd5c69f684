import type { NodeAPI } from 'node-red';
import { packageInfo } from '../../src/core';

/**
 * Runtime texts (status, errors, warnings) of every node live in one catalog, the
 * plex-account one (locales/<lang>/plex-account.json, section "plex-auth"), so that no
 * text is kept twice.
 */
const namespace = `${packageInfo.name}/plex-account:plex-auth`;

export function t(RED: NodeAPI, key: string, values?: Record<string, string | number>): string {
  return RED._(`${namespace}.${key}`, values);
}
