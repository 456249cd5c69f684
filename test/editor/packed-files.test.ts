/** What `npm pack` would ship: the compiled nodes with their editor files, and no TypeScript sources. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const languages = ['en-US', 'de'];

describe('the packed file list', () => {
  let files: string[];
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
  const nodes = Object.entries(manifest['node-red'].nodes);

  before(() => {
    // --ignore-scripts: prepack would rebuild dist/ under the running tests; `npm test` has just built it.
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0].files.map((file) => file.path);
  });

  it('holds no TypeScript source', () => {
    assert.deepEqual(
      files.filter((file) => file.endsWith('.ts')),
      [],
    );
  });

  it("holds every node's .js and .html, its catalogs and help in each language, and the icon", () => {
    assert.equal(nodes.length, 9);
    for (const [type, main] of nodes) {
      const base = main.replace(/\.js$/, '');
      const dir = path.posix.dirname(main);
      for (const file of [
        main,
        `${base}.html`,
        ...languages.flatMap((language) => [`${dir}/locales/${language}/${type}.json`, `${dir}/locales/${language}/${type}.html`]),
      ]) {
        assert.ok(files.includes(file), `${file} is packed`);
      }
    }
    for (const icon of fs.readdirSync(path.join(root, 'icons'))) assert.ok(files.includes(`dist/nodes/icons/${icon}`), `${icon} is packed`);
  });

  it('holds every module a packed module requires, and no tests or dev tools', () => {
    for (const file of files.filter((name) => name.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      for (const [, relative] of text.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
        const target = path.posix.join(path.posix.dirname(file), relative);
        assert.ok(
          files.includes(`${target}.js`) || files.includes(target) || files.includes(`${target}/index.js`),
          `${file} requires ${relative}, which is not packed`,
        );
      }
    }
    assert.deepEqual(
      files.filter((file) => /^dist\/(test|dev|bench)\//.test(file)),
      [],
    );
  });
});
