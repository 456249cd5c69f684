/** A self-signed certificate for 127.0.0.1, made with openssl for a test's own https servers. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SelfSigned {
  key: Buffer;
  cert: Buffer;
  /** The certificate's file, for settings that take a path (a tls-config node's CA). */
  certFile: string;
  /** Deletes the files. */
  remove(): void;
}

export function selfSignedCertificate(): SelfSigned {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-test-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  const subject = ['-subj', '/CN=plex-test', '-addext', 'subjectAltName=IP:127.0.0.1'];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', ...subject], {
    stdio: 'ignore',
  });
  return {
    key: fs.readFileSync(keyFile),
    cert: fs.readFileSync(certFile),
    certFile,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
