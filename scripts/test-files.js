#!/usr/bin/env node
// Runs the test files given, in this one process, one after another (node:test runs every
// describe they declare once they are loaded): run-tests.js starts it for files that can share
// a process.
'use strict';
for (const file of process.argv.slice(2)) require(file);
