/**
 * The plex-account dialog refuses exactly the plex.tv URLs the runtime refuses: its validator,
 * run from the built dialog's script, against normaliseBaseUrl.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../dev/node-red-process';
import { normaliseBaseUrl } from '../../src/core';
import { loadDefinitions } from '../editor/node-definitions';

type Validate = (value: string, options: Record<string, unknown>) => true | string;

function lookup(object: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((value, part) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined), object);
}

/** The dialog's validator, from the built script as the editor runs it, with RED._ answering from a catalog. */
function dialogValidator(language: string): Validate {
  const catalog = JSON.parse(fs.readFileSync(path.join(repoRoot, 'nodes', 'locales', language, 'plex-account.json'), 'utf8'));
  const texts = (key: string) => {
    const text = lookup(catalog, key.slice(key.indexOf(':') + 1));
    return typeof text === 'string' ? text : key;
  };
  return loadDefinitions('plex-account', texts)['plex-account'].defaults.plexTvUrl.validate as Validate;
}

function runtimeRefusal(value: string): string | undefined {
  try {
    normaliseBaseUrl(value, 'plex.tv URL');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const URLS = [
  'https://plex.tv',
  'https://plex.tv/',
  'http://127.0.0.1:32400',
  ' https://plex.tv ',
  'HTTPS://PLEX.TV',
  'http://[::1]:8080/base/path/',
  'https:plex.tv',
  'https://plex.tv/?',
  'https://plex.tv/#',
  'https://me:pw@plex.tv',
  'https://me@127.0.0.1:1',
  'https://:pw@plex.tv',
  'https://plex.tv/?x=1',
  'https://plex.tv#top',
  'https://plex.tv/a?b#c',
  'ftp://plex.tv',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'data:text/plain,x',
  'plex.tv',
  '//plex.tv',
  '',
  ' ',
  'https://',
  'https://plex tv',
  'http://[::1',
];

describe('the plex-account dialog validates the plex.tv URL as the runtime does', () => {
  for (const language of ['en-US', 'de']) {
    it(`refuses exactly what normaliseBaseUrl refuses, with a message from the ${language} catalog`, () => {
      const validate = dialogValidator(language);
      assert.equal(validate.length, 2, 'a validator with two arguments may answer a message');
      for (const value of URLS) {
        const refusal = runtimeRefusal(value);
        const answer = validate(value, {});
        if (!refusal) {
          assert.equal(answer, true, `"${value}" is accepted by the runtime`);
          continue;
        }
        assert.equal(typeof answer, 'string', `"${value}" is refused by the runtime: ${refusal}`);
        assert.ok(!(answer as string).includes('plex-account.'), `"${value}": ${answer} is a text from the catalog`);
      }
      // Each reason has its own text.
      const reasons = ['https://me:pw@plex.tv', 'https://plex.tv?x=1', 'ftp://plex.tv', 'plex.tv'].map((value) => validate(value, {}));
      assert.equal(new Set(reasons).size, reasons.length, reasons.join(' | '));
    });
  }
});
