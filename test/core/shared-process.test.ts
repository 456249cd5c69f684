/**
 * The test files of the core, the nodes, the admin routes and the editor share a few processes
 * (scripts/run-tests.js, SHARED): none may change what the next file in its process meets. A
 * hook or a clock set outside a describe applies to every file the process runs, and so does an
 * environment variable set when the file loads. (What the nodes keep at runtime stays with the
 * runtime of its file: test/nodes/harness gives each one a user directory of its own.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../dev/node-red-process';

const sharing = ['core', 'nodes', 'admin', 'editor'];
const PROCESS_WIDE = /^(before|after|beforeEach|afterEach|mockedClock|mock\.\w+)\(|^process\.env\.\w+\s*=|^mock\.timers\./m;

describe('the test files that share processes can share them', () => {
  const files = sharing.flatMap((dir) =>
    fs
      .readdirSync(path.join(repoRoot, 'test', dir))
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => path.join(dir, name)),
  );

  it('finds the files', () => assert.ok(files.length > 45, files.join(', ')));

  for (const name of files) {
    it(`${name} sets no hook, clock or environment variable outside a describe`, () => {
      const source = fs.readFileSync(path.join(repoRoot, 'test', name), 'utf8');
      assert.equal(source.match(PROCESS_WIDE)?.[0], undefined);
    });
  }

  // A keep-alive socket of fetch() clears its timer when it closes: a timer of the mocked clock it
  // was made on, which Node 20 takes for a timer of whatever clock is mocked then, off its queue.
  for (const name of files.filter((file) => /\bmockedClock\(|\bmock\.timers\.enable\(/.test(fs.readFileSync(path.join(repoRoot, 'test', file), 'utf8')))) {
    it(`${name} runs a mocked clock and calls no fetch()`, () => {
      const source = fs.readFileSync(path.join(repoRoot, 'test', name), 'utf8');
      assert.equal(source.match(/\bfetch\(/)?.[0], undefined);
    });
  }
});
