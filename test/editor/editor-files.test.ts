/** Static checks of what the editor loads: catalogs, help, defaults, examples, icon. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { nodeTypes as types } from '../support';

const root = path.resolve(__dirname, '..', '..', '..');
const nodesDir = path.join(root, 'nodes');
const editorFile = (type: string) => fs.readFileSync(path.join(nodesDir, `${type}.html`), 'utf8');
const flowTypes = types.filter((type) => !/category: 'config'/.test(editorFile(type)));
const languages = ['en-US', 'de'];

function catalog(language: string, type: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(nodesDir, 'locales', language, `${type}.json`), 'utf8'));
}

function lookup(object: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((value, part) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined), object);
}

function keys(object: unknown, prefix = ''): string[] {
  if (!object || typeof object !== 'object') return [prefix];
  return Object.entries(object).flatMap(([key, value]) => keys(value, prefix ? `${prefix}.${key}` : key));
}

/** A literal `defaults: { name: { value: ... } }` read from a node's HTML. */
function defaultsOf(html: string): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  const block = html.slice(html.indexOf('defaults:'), html.indexOf('},\n    credentials') > 0 ? html.indexOf('},\n    credentials') : html.indexOf('inputs:'));
  for (const [, name, value] of block.matchAll(/^\s{6}(\w+): \{\s*value: ('[^']*'|true|false|\d+)/gm)) {
    found[name] = value.startsWith("'") ? value.slice(1, -1) : value === 'true' ? true : value === 'false' ? false : Number(value);
  }
  return found;
}

describe('editor files', () => {
  for (const type of types) {
    it(`${type}: every text key the dialog uses is in every catalog`, () => {
      const html = editorFile(type);
      const used = [
        ...[...html.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]),
        ...[...html.matchAll(/this\._\('([^']+)'/g)].map((m) => m[1]),
      ];
      for (const language of languages) {
        const messages = catalog(language, type);
        for (const key of used) assert.ok(typeof lookup(messages, key) === 'string', `${language}/${type}.json lacks ${key}`);
      }
    });

    it(`${type}: German has every key English has, and help in both`, () => {
      const english = keys(catalog('en-US', type)).sort();
      assert.deepEqual(keys(catalog('de', type)).sort(), english);
      for (const language of languages) {
        const help = fs.readFileSync(path.join(nodesDir, 'locales', language, `${type}.html`), 'utf8');
        assert.match(help, new RegExp(`data-help-name="${type}"`));
      }
    });
  }

  it('the flow nodes have the defaults of the contract', () => {
    const expected: Record<string, Record<string, unknown>> = {
      'plex-pin': { account: '', strong: true, forwardUrl: '' },
      'plex-poll-token': { account: '', interval: 2, timeout: 0, store: false },
      'plex-transient-token': { server: '' },
      'plex-source-info': { server: '', source: '', refresh: false },
      'plex-link-code': { account: '' },
      'plex-servers': { account: '' },
      'plex-events': { server: '', events: 'playback', users: '', players: '', libraries: '', types: '', progress: 0 },
    };
    for (const [type, defaults] of Object.entries(expected)) {
      const found = defaultsOf(editorFile(type));
      for (const [name, value] of Object.entries(defaults)) assert.equal(found[name], value, `${type}.${name}`);
    }
  });

  it('the help of each flow node names every msg property of the contract', () => {
    const properties: Record<string, string[]> = {
      'plex-pin': ['id', 'code', 'strong', 'authUrl', 'qr', 'expiresAt', 'expiresIn', 'clientIdentifier'],
      'plex-poll-token': ['payload', 'cancel', 'id', 'authToken', 'clientIdentifier', 'reason', 'expired', 'timeout', 'cancelled'],
      'plex-transient-token': ['token', 'expiresAt'],
      'plex-source-info': ['source', 'payload', 'name', 'clientIdentifier', 'accessToken', 'connections', 'uri', 'address', 'port', 'protocol', 'local', 'relay'],
      'plex-link-code': ['payload', 'code', 'linked'],
      'plex-servers': ['payload', 'name', 'machineIdentifier', 'owned', 'owner', 'online', 'product', 'version', 'connections', 'uri', 'address', 'port', 'protocol', 'local', 'relay', 'IPv6'],
      'plex-events': [
        'topic', 'payload', 'playing', 'paused', 'stopped', 'buffering', 'progress', 'reconnect', 'disconnect', 'state', 'previousState', 'sessionKey',
        'ratingKey', 'key', 'type', 'title', 'grandparentTitle', 'parentTitle', 'library', 'viewOffset', 'duration', 'user', 'player', 'product',
        'platform', 'machineIdentifier', 'address', 'local', 'server', 'PLEX_TOKEN_REJECTED',
      ],
    };
    for (const [type, names] of Object.entries(properties)) {
      for (const language of languages) {
        const help = fs.readFileSync(path.join(nodesDir, 'locales', language, `${type}.html`), 'utf8');
        for (const name of names) assert.ok(help.includes(name), `${language} help of ${type} names ${name}`);
      }
    }
  });

  it('examples parse, start with a comment, use only known nodes, and cover every flow node', () => {
    const core = ['tab', 'comment', 'inject', 'debug', 'change', 'catch', 'function', 'switch'];
    const covered = new Set<string>();
    const files = fs.readdirSync(path.join(root, 'examples')).filter((file) => file.endsWith('.json'));
    assert.ok(files.length >= 3);
    for (const file of files) {
      const flow = JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8')) as Array<{ type: string; id: string; z?: string }>;
      assert.equal(flow.filter((node) => node.z)[0].type, 'comment', `${file} starts with a comment`);
      for (const node of flow) {
        assert.ok(types.includes(node.type) || core.includes(node.type), `${file}: ${node.type}`);
        covered.add(node.type);
      }
      assert.equal(new Set(flow.map((node) => node.id)).size, flow.length, `${file}: ids are unique`);
    }
    for (const type of flowTypes) assert.ok(covered.has(type), `${type} is in an example`);
  });

  it('status texts stay under 20 characters in every language', () => {
    const sample: Record<string, string> = { time: '14:32', count: '999', code: 'ABCD', status: '503' };
    for (const language of languages) {
      const status = lookup(catalog(language, 'plex-account'), 'plex-auth.status') as Record<string, string>;
      assert.ok(Object.keys(status).length >= 15);
      for (const [key, text] of Object.entries(status)) {
        const shown = text.replace(/__(\w+)__/g, (_, name: string) => sample[name]);
        assert.ok(shown.length < 20, `${language} status.${key}: "${shown}" has ${shown.length} characters`);
      }
    }
  });

  it('every flow node has an icon of ours: white on transparent, 2:3', () => {
    for (const type of flowTypes) {
      const icon = /icon: '(plex[\w-]*\.svg)'/.exec(editorFile(type))?.[1];
      assert.ok(icon, `${type} uses an icon of the package`);
      const svg = fs.readFileSync(path.join(root, 'icons', icon), 'utf8');
      assert.match(svg, /viewBox="0 0 40 60"/, icon);
      assert.match(svg, /(fill|stroke)="#fff"/, icon);
      assert.doesNotMatch(svg, /(fill|stroke)="#(?!fff")/, `${icon}: white only`);
    }
    assert.notEqual(/icon: '([^']+)'/.exec(editorFile('plex-events'))?.[1], 'plex.svg', 'plex-events is told apart in the palette');
  });
});
