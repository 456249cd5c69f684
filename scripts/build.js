#!/usr/bin/env node
// Compiles the TypeScript, bundles each config dialog's typed code (nodes/editor/) into the
// script of its node's HTML, and copies the HTML and message catalogs next to the compiled
// node modules, where Node-RED looks for them.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });

const from = path.join(root, 'nodes');
const to = path.join(root, 'dist', 'nodes');
fs.cpSync(path.join(from, 'locales'), path.join(to, 'locales'), { recursive: true });
// Node-RED looks for a module's icons in an icons/ folder beside its node files.
fs.cpSync(path.join(root, 'icons'), path.join(to, 'icons'), { recursive: true });

/**
 * `<script type="text/javascript" data-bundle="editor/<type>.ts"></script>` becomes that module,
 * bundled into one plain browser script. Not minified: the flow library's scorecard reads the
 * literal RED.nodes.registerType('<type>', { defaults: { ... } }) in it, and so can people.
 */
const BUNDLE = /<script type="text\/javascript" data-bundle="([^"]+)"><\/script>/g;
function bundled(html, file) {
  return html.replace(BUNDLE, (_, entry) => {
    const { outputFiles } = esbuild.buildSync({
      entryPoints: [path.join(from, entry)],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      charset: 'utf8',
      legalComments: 'none',
      logLevel: 'error',
    });
    const script = outputFiles[0].text;
    if (/<\/script/i.test(script)) throw new Error(`${file}: the bundle of ${entry} holds "</script", which would end the script early`);
    return `<script type="text/javascript">\n${script}</script>`;
  });
}

let failed = false;
fs.mkdirSync(to, { recursive: true });
for (const file of fs.readdirSync(from).filter((name) => name.endsWith('.html'))) {
  try {
    fs.writeFileSync(path.join(to, file), bundled(fs.readFileSync(path.join(from, file), 'utf8'), file));
  } catch (error) {
    console.error(`build: ${error.message}`);
    failed = true;
  }
}

// Last, so that a type error still leaves a complete dist/ behind to look at. The dialogs'
// code is checked against the editor's types (DOM, jQuery, RED) by a project of its own; the
// two projects compile at once, each on a core of its own.
const tsc = require.resolve('typescript/bin/tsc');
const compiled = [root, path.join(from, 'editor')].map(
  (project) =>
    new Promise((resolve) => {
      spawn(process.execPath, [tsc, '-p', project], { stdio: 'inherit' }).on('close', (code) => {
        if (code !== 0) console.error(`build: TypeScript reported errors in ${path.relative(root, project) || 'the package'} (see above)`);
        resolve(code === 0);
      });
    }),
);
Promise.all(compiled).then((results) => {
  if (failed || results.includes(false)) process.exit(1);
});
