#!/usr/bin/env node
// Compiles the TypeScript and copies the editor files (HTML, message catalogs) next to
// the compiled node modules, where Node-RED looks for them.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });

const from = path.join(root, 'nodes');
const to = path.join(root, 'dist', 'nodes');
for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
  if (entry.isDirectory() || entry.name.endsWith('.html')) {
    // TypeScript sources are tsc's to compile, not files to ship.
    fs.cpSync(path.join(from, entry.name), path.join(to, entry.name), { recursive: true, filter: (source) => !source.endsWith('.ts') });
  }
}
// Node-RED looks for a module's icons in an icons/ folder beside its node files.
fs.cpSync(path.join(root, 'icons'), path.join(to, 'icons'), { recursive: true });

// Last, so that a type error still leaves a complete dist/ behind to look at.
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
} catch {
  console.error('build: TypeScript reported errors (see above)');
  process.exit(1);
}
