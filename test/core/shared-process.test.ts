/**
 * The core's test files share a few processes (scripts/run-tests.js): none may change what the
 * next file in its process meets. A hook or a clock set outside a describe applies to every file
 * the process runs, and so does an environment variable set when the file loads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../dev/node-red-process';

const coreTests = path.join(repoRoot, 'test', 'core');
const PROCESS_WIDE = /^(before|after|beforeEach|afterEach|mockedClock|mock\.\w+)\(|^process\.env\.\w+\s*=|^mock\.timers\./m;

describe("the core's test files can share a process", () => {
  const files = fs.readdirSync(coreTests).filter((name) => name.endsWith('.test.ts'));

  it('finds the files', () => assert.ok(files.length > 20, files.join(', ')));

  for (const name of files) {
    it(`${name} sets no hook, clock or environment variable outside a describe`, () => {
      const source = fs.readFileSync(path.join(coreTests, name), 'utf8');
      assert.equal(source.match(PROCESS_WIDE)?.[0], undefined);
    });
  }
});
