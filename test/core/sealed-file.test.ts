import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SealedFile, fileSecret, keyFromSecret } from '../../src/core';

describe('SealedFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealed-'));
  const file = path.join(dir, 'nested', 'state.json');
  const secret = 'SECRET-TOKEN-in-a-sealed-file';

  it('keeps a document encrypted, owner-only, and reads it back with the same key only', () => {
    new SealedFile(file, keyFromSecret('key one')).write({ token: secret });
    assert.deepEqual(new SealedFile(file, keyFromSecret('key one')).read(), { token: secret });
    assert.ok(!fs.readFileSync(file).includes(secret), 'no clear text on disk');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(new SealedFile(file, keyFromSecret('key two')).read(), undefined);
  });

  it('gives nothing for a damaged or missing file', () => {
    const envelope = JSON.parse(fs.readFileSync(file, 'utf8'));
    envelope.data = Buffer.from('tampered').toString('base64');
    fs.writeFileSync(file, JSON.stringify(envelope));
    assert.equal(new SealedFile(file, keyFromSecret('key one')).read(), undefined);
    assert.equal(new SealedFile(path.join(dir, 'none.json'), keyFromSecret('key one')).read(), undefined);
  });

  it('makes a key file once and then reuses it', () => {
    const keyFile = path.join(dir, 'secret');
    const first = fileSecret(keyFile);
    assert.equal(fileSecret(keyFile), first);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.match(first, /^[0-9a-f]{64}$/);
  });
});
