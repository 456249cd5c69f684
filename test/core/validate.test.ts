import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { ResponseSchema, PlexError } from '../../src/core';
import * as schemas from '../../src/core/schemas';
import { pinLocation } from '../../dev/stand-in/pins';

/** A PIN exactly as the reference description documents it. */
function documentedPin(): Record<string, unknown> {
  return {
    id: 1234567,
    code: 'ABCD',
    product: 'Node-RED',
    trusted: false,
    qr: 'https://plex.tv/api/v2/pins/qr/ABCD',
    clientIdentifier: 'client-1',
    location: pinLocation,
    expiresIn: 900,
    createdAt: '2026-11-22T10:00:00Z',
    expiresAt: '2026-11-22T10:15:00Z',
    authToken: null,
    newRegistration: null,
  };
}

function documentedResources(): Record<string, unknown> {
  return {
    MediaContainer: {
      size: 1,
      Device: {
        name: 'Living Room',
        clientIdentifier: 'abc',
        accessToken: 'tok',
        Connection: [
          { protocol: 'https', address: '192.168.1.20', port: 32400, uri: 'https://192-168-1-20.h.plex.direct:32400', local: true, relay: false },
          { protocol: 'https', address: '203.0.113.5', port: 32400, uri: 'https://203-0-113-5.h.plex.direct:32400', local: false, relay: true },
        ],
      },
    },
  };
}

function refusal(schema: ResponseSchema<unknown>, body: unknown): PlexError {
  try {
    schema.check(body);
  } catch (error) {
    assert.ok(error instanceof PlexError);
    assert.equal(error.kind, 'response');
    assert.equal(error.transient, false);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(body)} to be refused`);
}

describe('ResponseSchema', () => {
  const pin = new ResponseSchema('plex.tv PIN', schemas.pin);
  const user = new ResponseSchema('plex.tv user', schemas.user);
  const transient = new ResponseSchema('transient token', schemas.transientToken);
  const resources = new ResponseSchema('source information', schemas.sourceInfo);

  it('passes documented answers without a warning', () => {
    for (const [schema, body] of [
      [pin, documentedPin()],
      [pin, { ...documentedPin(), authToken: 'tok', newRegistration: false }],
      [user, { id: 1, uuid: 'u', username: 'someone', title: 'Someone', email: 'a@b.c', authToken: 't' }],
      [transient, { MediaContainer: { size: 0, token: 'transient-1' } }],
      [resources, documentedResources()],
    ] as const) {
      const checked = schema.check(body);
      assert.deepEqual(checked, { value: body, warnings: [] });
    }
  });

  it('passes drift outside the relied fields with a warning that names the field', () => {
    const body = { ...documentedPin(), trusted: 'no' };
    const { value, warnings } = pin.check(body);
    assert.equal(value, body);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^plex\.tv PIN strays from the documented schema: trusted must be boolean$/);

    const nested = { ...documentedPin(), location: { ...(documentedPin().location as object), city: 7 } };
    assert.match(pin.check(nested).warnings[0], /location\.city must be string/);

    const { warnings: missing } = user.check({ id: 1, username: 'someone' });
    assert.match(missing[0], /uuid is missing/);

    const drifted = documentedResources() as any;
    drifted.MediaContainer.size = 'one';
    assert.match(resources.check(drifted).warnings[0], /MediaContainer\.size must be integer/);
  });

  it('sums up many drifts in one warning', () => {
    const { warnings } = pin.check({ id: 5, code: 'ABCD' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /product is missing; .+; .+; and \d+ more$/);
  });

  it('refuses a missing or mistyped relied field, naming it', () => {
    const cases: Array<[ResponseSchema<unknown>, unknown, string, RegExp]> = [
      [pin, { ...documentedPin(), id: undefined }, 'id', /^plex\.tv PIN: field id is missing$/],
      [pin, { ...documentedPin(), id: '1234567' }, 'id', /^plex\.tv PIN: field id must be integer$/],
      [pin, { ...documentedPin(), id: 0 }, 'id', /id must be >= 1/],
      [pin, { ...documentedPin(), code: '' }, 'code', /code must NOT have fewer than 1 characters/],
      [pin, { ...documentedPin(), authToken: 42 }, 'authToken', /authToken must be string,null/],
      [user, { id: 1, uuid: 'u' }, 'username', /^plex\.tv user: field username is missing$/],
      [transient, { MediaContainer: { size: 0 } }, 'MediaContainer.token', /^transient token: field MediaContainer\.token is missing$/],
      [transient, { MediaContainer: { size: 0, token: 5 } }, 'MediaContainer.token', /MediaContainer\.token must be string/],
      [transient, { MediaContainer: { size: 0, token: '' } }, 'MediaContainer.token', /MediaContainer\.token/],
      [transient, { size: 0, token: 't' }, 'MediaContainer', /MediaContainer is missing/],
      [resources, { MediaContainer: { size: 0 } }, 'MediaContainer.Device', /MediaContainer\.Device is missing/],
    ];
    for (const [schema, body, field, message] of cases) {
      const error = refusal(schema, body);
      assert.equal(error.field, field, JSON.stringify(body));
      assert.match(error.message, message);
    }
  });

  it('names the connection that lacks its uri', () => {
    const body = documentedResources() as any;
    delete body.MediaContainer.Device.Connection[1].uri;
    const error = refusal(resources, body);
    assert.equal(error.field, 'MediaContainer.Device.Connection[1].uri');
    assert.match(error.message, /^source information: field MediaContainer\.Device\.Connection\[1\]\.uri is missing$/);
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, 'text', 42, [], undefined]) {
      const error = refusal(transient, body);
      assert.equal(error.field, '(body)');
    }
  });

  describe('compiling', () => {
    const original = Ajv.prototype.compile;
    let compiled = 0;
    before(() => {
      Ajv.prototype.compile = function (this: Ajv, ...args: Parameters<Ajv['compile']>) {
        compiled += 1;
        return original.apply(this, args);
      } as Ajv['compile'];
    });
    after(() => {
      Ajv.prototype.compile = original;
    });

    it('compiles a schema pair on first use and reuses it for every answer after', () => {
      const fresh = new ResponseSchema('plex.tv PIN', { documented: { ...schemas.pin.documented }, relied: { ...schemas.pin.relied } });
      assert.equal(compiled, 0, 'nothing compiled before the first answer');
      fresh.check(documentedPin());
      assert.equal(compiled, 2, 'the documented and the relied schema');
      for (let i = 0; i < 100; i++) {
        fresh.check(documentedPin());
        fresh.check({ id: i + 1, code: 'ABCD' });
        assert.throws(() => fresh.check({ code: 'ABCD' }), PlexError);
      }
      assert.equal(compiled, 2);
    });
  });
});
