#!/usr/bin/env node
// Runs every compiled *.test.js under dist/test with Node's test runner, one file at a time
// (the node tests share loopback ports and a Node-RED runtime). Extra arguments narrow the
// run: `npm test -- core` runs the files whose path contains "core".
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', 'dist', 'test');
const filters = process.argv.slice(2);
const files = fs
  .readdirSync(root, { recursive: true })
  .filter((file) => file.endsWith('.test.js'))
  .map((file) => path.join(root, file))
  .filter((file) => filters.every((filter) => file.includes(filter)))
  .sort();
if (!files.length) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--expose-gc', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
