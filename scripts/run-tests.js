#!/usr/bin/env node
// Runs every compiled *.test.js under dist/test with Node's test runner, several processes at
// once: each file in a process of its own, but for the core, nodes, admin and editor files,
// which run a few to a process. Every file starts its own loopback servers and node-red
// processes on free ports, in temporary directories of its own. A process's output is printed in
// one piece when it ends. Extra arguments narrow the run: `npm test -- core` runs the files whose
// path contains "core". TEST_JOBS sets how many processes run at once, TEST_BROWSER_JOBS how many
// of them may drive a browser. A run ends with what failed and why.
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
/**
 * A file that hangs (a test that never ends, a handle left open) is stopped after this long; its
 * output up to then shows the tests that ended.
 */
const FILE_LIMIT_MS = 5 * 60_000;
/**
 * A browser file drives Chromium and a node-red process at once: more than one per core and they
 * starve each other (on a 2-core CI machine four at once took 2.5 times as long each, and a page
 * missed its time limit).
 */
const browserJobs = Number(process.env.TEST_BROWSER_JOBS) || os.availableParallelism();
const isBrowser = (file) => file.includes(`${path.sep}browser${path.sep}`);
/**
 * Files that leave nothing process-wide behind (test/core/shared-process checks) run a few to a
 * process, one after another: Node and our modules load once per process, 0.4 s of CPU saved per
 * file (0.9 s for a nodes file, which loads Node-RED). Dealt out in turn, not in runs of
 * neighbours. The browser, end-to-end and resilience files keep a process each: they drive a
 * browser, install the packed package, or count the process's timers and sockets.
 */
const SHARED = { core: 3, nodes: 3, admin: 2, editor: 1 };
const sharedDir = (file) => Object.keys(SHARED).find((dir) => file.includes(`${path.sep}${dir}${path.sep}`));
const sharedBatches = Object.entries(SHARED).flatMap(([dir, processes]) => {
  const inDir = files.filter((file) => sharedDir(file) === dir);
  return Array.from({ length: Math.min(processes, inDir.length) }, (_, batch) => inDir.filter((_, index) => index % processes === batch));
});
/**
 * The longest first, so that no long one is left to run alone at the end: as long as it took in
 * the last run here (TIMES), else as long as such files take (a fresh clone). Long in wall time:
 * the core's files wait on real clocks more than they compute, and overlap with the others best
 * when they start early.
 */
const TIMES = path.join(__dirname, '..', 'node_modules', '.cache', 'plex-auth-tests', 'seconds.json');
const ESTIMATES = { browser: 60, resilience: 25, admin: 25, e2e: 25, core: 15, nodes: 10 };
const keyOf = (batch) => batch.map((file) => path.relative(root, file)).join(' ');
const lastSeconds = (() => {
  try {
    return JSON.parse(fs.readFileSync(TIMES, 'utf8'));
  } catch {
    return {}; // none yet, or unreadable: estimated
  }
})();
const expectedSeconds = (batch) =>
  lastSeconds[keyOf(batch)] ?? Object.entries(ESTIMATES).find(([dir]) => batch[0].includes(`${path.sep}${dir}${path.sep}`))?.[1] ?? 5;
const queue = [...files.filter((file) => !sharedDir(file)).map((file) => [file]), ...sharedBatches].sort((a, b) => expectedSeconds(b) - expectedSeconds(a));

const started = Date.now();
const results = [];
const children = new Set();
const browsersRunning = () => [...children].filter((child) => isBrowser(child.files[0])).length;

// The files run in process groups of their own (below): a Ctrl-C stops them here.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) process.kill(-child.pid, 'SIGKILL');
    process.exit(1);
  });
}

function runFiles(batch) {
  const name = batch.length === 1 ? path.relative(root, batch[0]) : `${path.relative(root, path.dirname(batch[0]))} (${batch.length} files)`;
  const begun = Date.now();
  let output = batch.length === 1 ? '' : `${batch.map((file) => path.relative(root, file)).join(', ')}\n`;
  // The files run their tests themselves, without `--test`: that runner is one more process per
  // file (0.15 s of CPU each) for what this script does.
  const entry = batch.length === 1 ? batch : [path.join(__dirname, 'test-files.js'), ...batch];
  const args = ['--expose-gc', '--disable-warning=ExperimentalWarning', '--test-reporter=spec', ...entry];
  // A process group of its own: a file that does not end is stopped with every process it started.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.files = batch;
  children.add(child);
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const limit = setTimeout(() => {
    output += `\nstopped: the file did not end within ${FILE_LIMIT_MS / 60_000} minutes\n`;
    process.kill(-child.pid, 'SIGKILL');
  }, FILE_LIMIT_MS);
  child.on('close', (code, signal) => {
    clearTimeout(limit);
    children.delete(child);
    const seconds = (Date.now() - begun) / 1000;
    const count = (word) => Number(output.match(new RegExp(`^ℹ ${word} (\\d+)$`, 'm'))?.[1] ?? 0);
    // The runner's summary of what failed (each test with its error), to repeat at the very end.
    const summary = output.lastIndexOf('✖ failing tests:');
    const failures = code === 0 ? '' : summary === -1 ? output.slice(-4000) : output.slice(summary);
    results.push({
      key: keyOf(batch),
      name,
      files: batch.length,
      seconds,
      ok: code === 0,
      tests: count('tests'),
      pass: count('pass'),
      fail: count('fail'),
      failures,
    });
    process.stdout.write(
      `\n=== ${name} (${seconds.toFixed(1)} s from +${((begun - started) / 1000).toFixed(1)} s)${code === 0 ? '' : ` FAILED (${signal ?? `exit ${code}`})`}\n${output}`,
    );
    next();
  });
}

function next() {
  while (children.size < jobs) {
    const index = queue.findIndex((batch) => !isBrowser(batch[0]) || browsersRunning() < browserJobs);
    if (index === -1) break;
    runFiles(queue.splice(index, 1)[0]);
  }
  if (children.size === 0 && queue.length === 0) report();
}

/** Keeps this run's times for the next run's order; a cache, so a failure to write is no failure. */
function keepTimes() {
  try {
    fs.mkdirSync(path.dirname(TIMES), { recursive: true });
    const seconds = { ...lastSeconds, ...Object.fromEntries(results.map((result) => [result.key, Number(result.seconds.toFixed(1))])) };
    fs.writeFileSync(TIMES, `${JSON.stringify(seconds, null, 2)}\n`);
  } catch {
    // read-only or full: the next run estimates
  }
}

function report() {
  keepTimes();
  const sum = (key) => results.reduce((total, result) => total + result[key], 0);
  const failed = results.filter((result) => !result.ok);
  const slowest = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
  console.log(`\n${sum('files')} files in ${results.length} processes, ${sum('tests')} tests: ${sum('pass')} pass, ${sum('fail')} fail`);
  console.log(`wall ${((Date.now() - started) / 1000).toFixed(1)} s with ${jobs} processes at once; their own times add up to ${sum('seconds').toFixed(1)} s`);
  console.log(`slowest: ${slowest.map((result) => `${result.name} ${result.seconds.toFixed(1)} s`).join(', ')}`);
  // Printed last, where a CI log's tail shows it: which tests failed, and why.
  for (const result of failed) console.log(`FAILED: ${result.name}\n${result.failures.trim().slice(0, 4000)}`);
  process.exit(failed.length ? 1 : 0);
}

next();
