#!/usr/bin/env node
// Runs every compiled *.test.js under dist/test with Node's test runner, each file in a
// process of its own and several files at once: every file starts its own loopback servers
// and node-red processes on free ports, in temporary directories of its own. A file's output
// is printed in one piece when it ends. Extra arguments narrow the run: `npm test -- core`
// runs the files whose path contains "core". TEST_JOBS sets how many files run at once.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
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

// Most files wait on I/O (loopback HTTP, a node-red process starting): two per core keep a
// small machine busy without starving the files that measure time or drive a browser.
const jobs = Number(process.env.TEST_JOBS) || Math.max(2, 2 * os.availableParallelism());
/** Files that load the machine (a Chromium each): one of them at a time. */
const heavy = (file) => file.includes(`${path.sep}browser${path.sep}`);
/** The slowest files start first, so that no long one is left to run alone at the end. */
const slowFirst = ['browser', 'e2e', 'resilience', 'admin'].map((dir) => `${path.sep}${dir}${path.sep}`);
const rank = (file) => {
  const index = slowFirst.findIndex((dir) => file.includes(dir));
  return index === -1 ? slowFirst.length : index;
};
const queue = [...files].sort((a, b) => rank(a) - rank(b));

const started = Date.now();
const results = [];
let running = 0;
let heavyRunning = false;

function runFile(file) {
  const begun = Date.now();
  running += 1;
  if (heavy(file)) heavyRunning = true;
  let output = '';
  const child = spawn(process.execPath, ['--expose-gc', '--disable-warning=ExperimentalWarning', '--test', '--test-reporter=spec', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  child.on('close', (code, signal) => {
    running -= 1;
    if (heavy(file)) heavyRunning = false;
    const seconds = (Date.now() - begun) / 1000;
    const count = (name) => Number(output.match(new RegExp(`^ℹ ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
    results.push({ file: path.relative(root, file), seconds, ok: code === 0, tests: count('tests'), pass: count('pass'), fail: count('fail') });
    process.stdout.write(`\n=== ${path.relative(root, file)} (${seconds.toFixed(1)} s)${code === 0 ? '' : ` FAILED (${signal ?? `exit ${code}`})`}\n${output}`);
    next();
  });
}

function next() {
  while (running < jobs) {
    const index = queue.findIndex((file) => !heavy(file) || !heavyRunning);
    if (index === -1) break;
    runFile(queue.splice(index, 1)[0]);
  }
  if (running === 0 && queue.length === 0) report();
}

function report() {
  const sum = (key) => results.reduce((total, result) => total + result[key], 0);
  const failed = results.filter((result) => !result.ok);
  const slowest = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
  console.log(`\n${results.length} files, ${sum('tests')} tests: ${sum('pass')} pass, ${sum('fail')} fail`);
  console.log(`wall ${((Date.now() - started) / 1000).toFixed(1)} s with ${jobs} files at once; the files' own times add up to ${sum('seconds').toFixed(1)} s`);
  console.log(`slowest: ${slowest.map((result) => `${result.file} ${result.seconds.toFixed(1)} s`).join(', ')}`);
  for (const result of failed) console.log(`FAILED: ${result.file}`);
  process.exit(failed.length ? 1 : 0);
}

next();
