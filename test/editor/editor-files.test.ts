/**
 * Static checks of what the editor loads: catalogs, help, the node definitions (the built
 * scripts run against a stand-in RED), examples, icon. The dialogs' own texts are checked by
 * the compiler (their keys are typed from the en-US catalog); German must have every key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadDefinitions, scorecardView, type NodeDefinition } from './node-definitions';
import { nodeTypes as types } from '../support';

const root = path.resolve(__dirname, '..', '..', '..');
const nodesDir = path.join(root, 'nodes');
/** Every node of package.json but the two config nodes. */
const flowTypes = types.filter((type) => type !== 'plex-account' && type !== 'plex-server');
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

describe('editor files', () => {
  for (const type of types) {
    it(`${type}: every text key its template and its labels use is in every catalog`, () => {
      const html = fs.readFileSync(path.join(nodesDir, `${type}.html`), 'utf8');
      const used = [...html.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]);
      const definition = loadDefinitions(type, (key) => {
        used.push(key);
        return key;
      })[type];
      const instance = { ...Object.fromEntries(Object.entries(definition.defaults).map(([name, property]) => [name, property.value])), _: definition._ };
      for (const name of ['paletteLabel', 'label', 'outputLabels'] as const) {
        const labelOf = definition[name];
        if (typeof labelOf === 'function') for (const index of [0, 1]) labelOf.call(instance, index);
      }
      assert.ok(used.length > 3, `${type} uses texts`);
      for (const language of languages) {
        const messages = catalog(language, type);
        for (const key of used) assert.ok(typeof lookup(messages, key) === 'string', `${language}/${type}.json lacks ${key}`);
      }
    });

    it(`${type}: the flow library's scorecard reads its registerType with literal defaults`, () => {
      const seen = scorecardView(type);
      assert.equal(seen.length, 1, `${type}.html registers one type`);
      assert.equal(seen[0].type, type);
      assert.deepEqual(seen[0].defaults, Object.keys(loadDefinitions(type)[type].defaults));
      assert.equal(seen[0].category, flowTypes.includes(type) ? 'plex' : 'config');
      assert.ok(seen[0].literalIcon);
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

  it('every node has the defaults of the contract', () => {
    const expected: Record<string, Record<string, unknown>> = {
      'plex-account': {
        name: '',
        clientIdentifier: '',
        product: 'Node-RED',
        deviceName: 'Node-RED',
        plexTvUrl: 'https://plex.tv',
        auth: 'token',
        jwtClientIdentifier: '',
      },
      'plex-server': { name: '', url: '', account: '', tls: '', machineIdentifier: '' },
      'plex-pin': { account: '', strong: true, forwardUrl: '' },
      'plex-poll-token': { account: '', interval: 2, timeout: 0, store: false },
      'plex-transient-token': { server: '' },
      'plex-source-info': { server: '', source: '', refresh: false },
      'plex-link-code': { account: '' },
      'plex-servers': { account: '' },
      'plex-events': { server: '', events: 'playback', users: '', players: '', libraries: '', types: '', progress: 0 },
    };
    for (const [type, defaults] of Object.entries(expected)) {
      const definition: NodeDefinition = loadDefinitions(type)[type];
      for (const [name, value] of Object.entries(defaults)) assert.equal(definition.defaults[name]?.value, value, `${type}.${name}`);
    }
    assert.deepEqual(Object.keys(loadDefinitions('plex-account')['plex-account'].credentials ?? {}).sort(), ['jwt', 'privateKey', 'token']);
    assert.deepEqual(Object.keys(loadDefinitions('plex-server')['plex-server'].credentials ?? {}), ['token']);
  });

  it("the config dialogs check URLs by the runtime's rules, and say why", () => {
    const plexTvUrl = loadDefinitions('plex-account')['plex-account'].defaults.plexTvUrl.validate!;
    assert.equal(plexTvUrl.call({}, 'https://plex.tv', {}), true);
    assert.equal(plexTvUrl.call({}, 'http://127.0.0.1:8080/', {}), true);
    assert.equal(plexTvUrl.call({}, 'plex.tv', {}), 'plex-account.invalid.plexTvUrl-not-url');
    assert.equal(plexTvUrl.call({}, 'ftp://plex.tv', {}), 'plex-account.invalid.plexTvUrl-scheme');
    assert.equal(plexTvUrl.call({}, 'https://me:pw@plex.tv', {}), 'plex-account.invalid.plexTvUrl-credentials');
    assert.equal(plexTvUrl.call({}, 'https://plex.tv/?x=1', {}), 'plex-account.invalid.plexTvUrl-query');
    const serverUrl = loadDefinitions('plex-server')['plex-server'].defaults.url.validate!;
    for (const good of ['http://192.168.1.20:32400', 'https://1-2-3-4.abc.plex.direct:32400/']) assert.equal(serverUrl.call({}, good), true, good);
    for (const bad of ['http://192.168.1.20:32400/library', 'http://user:pw@host:32400', 'http://host:32400/?a', '192.168.1.20:32400', ''])
      assert.equal(serverUrl.call({}, bad), false, bad);
  });

  it('the help of each flow node names every msg property of the contract', () => {
    const properties: Record<string, string[]> = {
      'plex-pin': ['id', 'code', 'strong', 'authUrl', 'qr', 'expiresAt', 'expiresIn', 'clientIdentifier'],
      'plex-poll-token': ['payload', 'cancel', 'id', 'authToken', 'clientIdentifier', 'reason', 'expired', 'timeout', 'cancelled'],
      'plex-transient-token': ['token', 'expiresAt'],
      'plex-source-info': [
        'source',
        'payload',
        'name',
        'clientIdentifier',
        'accessToken',
        'connections',
        'uri',
        'address',
        'port',
        'protocol',
        'local',
        'relay',
      ],
      'plex-link-code': ['payload', 'code', 'linked'],
      'plex-servers': [
        'payload',
        'name',
        'machineIdentifier',
        'owned',
        'owner',
        'online',
        'product',
        'version',
        'connections',
        'uri',
        'address',
        'port',
        'protocol',
        'local',
        'relay',
        'IPv6',
      ],
      'plex-events': [
        'topic',
        'payload',
        'playing',
        'paused',
        'stopped',
        'buffering',
        'progress',
        'reconnect',
        'disconnect',
        'state',
        'previousState',
        'sessionKey',
        'ratingKey',
        'key',
        'type',
        'title',
        'grandparentTitle',
        'parentTitle',
        'library',
        'viewOffset',
        'duration',
        'user',
        'player',
        'product',
        'platform',
        'machineIdentifier',
        'address',
        'local',
        'server',
        'PLEX_TOKEN_REJECTED',
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

  // Short enough to sit under a node on one line; an unknown link code says so in words ("code not found or expired").
  it('status texts stay under 28 characters in every language', () => {
    const sample: Record<string, string> = { time: '14:32', count: '999', code: 'ABCD', status: '503' };
    for (const language of languages) {
      const status = lookup(catalog(language, 'plex-account'), 'plex-auth.status') as Record<string, string>;
      assert.ok(Object.keys(status).length >= 15);
      for (const [key, text] of Object.entries(status)) {
        const shown = text.replace(/__(\w+)__/g, (_, name: string) => sample[name]);
        assert.ok(shown.length < 28, `${language} status.${key}: "${shown}" has ${shown.length} characters`);
      }
    }
  });

  it('every flow node has an icon of its own, one Node-RED has or ours (white on transparent, 2:3)', () => {
    const icons = flowTypes.map((type) => String(loadDefinitions(type)[type].icon));
    assert.equal(new Set(icons).size, icons.length, `icons tell the nodes apart: ${icons.join(', ')}`);
    for (const icon of icons) {
      if (icon.startsWith('font-awesome/fa-')) continue;
      const svg = fs.readFileSync(path.join(root, 'icons', icon), 'utf8');
      assert.match(svg, /viewBox="0 0 40 60"/, icon);
      assert.match(svg, /fill="#fff"/, icon);
    }
  });
});
