/**
 * Signing a device JWT and verifying a Plex JWT (issue 10: under 1 ms each). Exported for
 * bench/run.ts; `node dist/bench/jwt.js` prints it on its own.
 */
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { DeviceKey, PlexJwtKeys, verifyPlexJwt } from '../src/core';
import { loadJose } from '../src/core/jose';

export interface JwtBenchResult {
  signNsPerJwt: number;
  verifyNsPerJwt: number;
}

async function nsPerCall(iterations: number, run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(200, iterations); i++) await run(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await run();
  return Math.round(Number(process.hrtime.bigint() - start) / iterations);
}

export async function benchJwt(iterations = 5000): Promise<JwtBenchResult> {
  const clientIdentifier = 'bench-client';
  const key = await DeviceKey.generate();
  const signNsPerJwt = await nsPerCall(iterations, () => key.signDeviceJwt({ nonce: 'bench-nonce', clientIdentifier }));

  // plex.tv lists two keys; the second signs, so each verification tries both (the worst case).
  const { SignJWT, exportJWK } = await loadJose();
  const spare = generateKeyPairSync('ed25519');
  const signer = generateKeyPairSync('ed25519');
  const keys = await PlexJwtKeys.from([await exportJWK(spare.publicKey), await exportJWK(createPublicKey(signer.privateKey))]);
  const token = await new SignJWT({ thumbprint: key.kid, user: { id: 1, username: 'bench' } })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'plex', typ: 'JWT' })
    .setIssuer('plex.tv')
    .setAudience(['plex.tv', clientIdentifier])
    .setIssuedAt()
    .setExpirationTime('7d')
    .sign(signer.privateKey);
  const verifyNsPerJwt = await nsPerCall(iterations, () => verifyPlexJwt(token, keys, { clientIdentifier, kid: key.kid }));
  return { signNsPerJwt, verifyNsPerJwt };
}

if (require.main === module) {
  benchJwt().then(({ signNsPerJwt, verifyNsPerJwt }) => {
    process.stdout.write(`device JWT signing: ${signNsPerJwt} ns/JWT (target < 1,000,000)\n`);
    process.stdout.write(`Plex JWT verification (2 keys, the second signs): ${verifyNsPerJwt} ns/JWT (target < 1,000,000)\n`);
  });
}
