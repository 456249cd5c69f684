import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SealedFile, keyFromSecret, fileSecret } from '../../src/core';

const TOKEN = 'acct-SECRET-token-value-1234';

describe('SealedFile', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealed-file-test-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads back what it wrote', () => {
    const file = new SealedFile<{ tokens: Record<string, string>; pins: number[] }>(path.join(dir, 'round.json'), keyFromSecret('secret'));
    const document = { tokens: { acct: TOKEN, 'naïve ✓': 'x' }, pins: [1, 2, 3] };
    file.write(document);
    assert.deepEqual(file.read(), document);
    file.write({ tokens: {}, pins: [] });
    assert.deepEqual(file.read(), { tokens: {}, pins: [] }, 'a second write replaces the first');
    assert.deepEqual(
      new SealedFile(path.join(dir, 'round.json'), keyFromSecret('secret')).read(),
      { tokens: {}, pins: [] },
      'another instance with the same key reads it',
    );
  });

  it('never writes the document in clear text', () => {
    const target = path.join(dir, 'clear.json');
    new SealedFile(target, keyFromSecret('secret')).write({ token: TOKEN });
    const bytes = fs.readFileSync(target);
    assert.equal(bytes.includes(TOKEN), false);
    assert.equal(bytes.includes('token'), false, 'not even the field names');
    assert.equal(bytes.includes(Buffer.from(TOKEN).toString('base64').slice(0, 12)), false);
  });

  it('gives undefined with another key, and the right key still reads it', () => {
    const target = path.join(dir, 'key.json');
    new SealedFile(target, keyFromSecret('right')).write({ token: TOKEN });
    assert.equal(new SealedFile(target, keyFromSecret('wrong')).read(), undefined);
    assert.deepEqual(new SealedFile(target, keyFromSecret('right')).read(), { token: TOKEN });
  });

  it('gives undefined for a damaged file', () => {
    const target = path.join(dir, 'tampered.json');
    const sealed = new SealedFile(target, keyFromSecret('secret'));
    sealed.write({ token: TOKEN });
    const envelope = JSON.parse(fs.readFileSync(target, 'utf8'));
    const flip = (base64: string): string => {
      const bytes = Buffer.from(base64, 'base64');
      bytes[0] ^= 1;
      return bytes.toString('base64');
    };
    for (const field of ['data', 'tag', 'iv']) {
      fs.writeFileSync(target, JSON.stringify({ ...envelope, [field]: flip(envelope[field]) }));
      assert.equal(sealed.read(), undefined, `${field} changed`);
    }
    const damaged = [
      JSON.stringify({ ...envelope, v: 2 }),
      JSON.stringify({ ...envelope, key: 'ffffffff' }),
      JSON.stringify({ ...envelope, iv: 42 }),
      JSON.stringify({ v: 1 }),
      fs.readFileSync(target, 'utf8').slice(0, 20),
      '',
      'null',
      '[]',
      '42',
      '"text"',
    ];
    for (const text of damaged) {
      fs.writeFileSync(target, text);
      assert.equal(sealed.read(), undefined, text);
    }
  });

  it('gives undefined when there is no file yet', () => {
    assert.equal(new SealedFile(path.join(dir, 'missing', 'none.json'), keyFromSecret('s')).read(), undefined);
  });

  it('writes owner-only, in a new owner-only folder, and leaves no temporary file', () => {
    const target = path.join(dir, 'deep', 'state.json');
    new SealedFile(target, keyFromSecret('secret')).write({ token: TOKEN });
    assert.equal(fs.statSync(target).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(target)).mode & 0o777, 0o700);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ['state.json']);
  });
});

describe('keyFromSecret and fileSecret', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-secret-test-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('derives the same 32-byte key from the same secret, another from another', () => {
    assert.equal(keyFromSecret('a').length, 32);
    assert.deepEqual(keyFromSecret('a'), keyFromSecret('a'));
    assert.notDeepEqual(keyFromSecret('a'), keyFromSecret('b'));
  });

  it('makes a secret once, owner-only, and reads the same one after', () => {
    const file = path.join(dir, 'sub', '.secret');
    const first = fileSecret(file);
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fileSecret(file), first);
    assert.notEqual(fileSecret(path.join(dir, 'other')), first);
  });
});
