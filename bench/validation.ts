/** Nanoseconds per response for each schema check, the validators compiled once beforehand. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { ResponseSchema } from '../src/core/validate';
import * as schemas from '../src/core/schemas';
import { round } from './stats';
import { pinLocation } from '../dev/stand-in/pins';

const samples = {
  pin: {
    id: 308667304,
    code: 'ABCDEFGHJKLMNPQRSTUVWXYZ2',
    product: 'Node-RED',
    trusted: false,
    qr: 'https://plex.tv/api/v2/pins/qr/X',
    clientIdentifier: 'c',
    location: pinLocation,
    expiresIn: 1800,
    createdAt: '2024-07-16T17:03:05Z',
    expiresAt: '2024-07-16T17:33:05Z',
    authToken: null,
    newRegistration: null,
  },
  user: { id: 1, uuid: 'u', username: 'someone', title: 'someone', email: 'a@b.c' },
  transientToken: { MediaContainer: { size: 0, token: 'transient-1f2e3d4c' } },
  sourceInfo: {
    MediaContainer: {
      size: 1,
      Device: {
        name: 'n',
        clientIdentifier: 'c',
        accessToken: 't',
        Connection: [
          { protocol: 'https', address: '192.168.1.20', port: 32400, uri: 'https://a.plex.direct:32400', local: true, relay: false },
          { protocol: 'https', address: '203.0.113.7', port: 32400, uri: 'https://b.plex.direct:32400', local: false, relay: false },
        ],
      },
    },
  },
};

function nsPerCall(call: () => unknown, runs = 200_000): number {
  for (let i = 0; i < 20_000; i++) call(); // warm up
  const started = performance.now();
  for (let i = 0; i < runs; i++) call();
  return round(((performance.now() - started) * 1e6) / runs, 0);
}

/**
 * Per schema: the package's whole check (ResponseSchema.check), and the documented-schema
 * validator alone compiled at run time versus precompiled to a module by ajv standalone.
 */
export function benchValidation(): Array<{ schema: string; nsPerResponse: number; runtimeCompiledNs: number; standaloneNs: number }> {
  const ajv = new Ajv({ allErrors: true, strict: false, formats: { 'date-time': true }, code: { source: true } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-ajv-'));
  try {
    return (Object.keys(samples) as Array<keyof typeof samples>).map((name) => {
      const body = samples[name];
      const schema = new ResponseSchema(name, schemas[name]);
      const compiled = ajv.compile(schemas[name].documented);
      const file = path.join(dir, `${name}.js`);
      fs.writeFileSync(file, standaloneCode(ajv, compiled));
      const precompiled = require(file) as (data: unknown) => boolean;
      return {
        schema: name,
        nsPerResponse: nsPerCall(() => schema.check(body)),
        runtimeCompiledNs: nsPerCall(() => compiled(body)),
        standaloneNs: nsPerCall(() => precompiled(body)),
      };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
