/** A real node-red process with this package installed and adminAuth on, for the admin and browser tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { repoRoot, startNodeRed, type NodeRed } from '../../dev/node-red-process';

export const PASSWORD = 'correct horse battery';

/** Starts node-red in a fresh user directory where the package is linked in as an installed module. */
export async function startWithPackage(): Promise<NodeRed> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-auth-admin-'));
  const scope = path.join(userDir, 'node_modules', '@plexauth');
  fs.mkdirSync(scope, { recursive: true });
  fs.symlinkSync(repoRoot, path.join(scope, 'node-red-plex-auth'), 'dir');
  const hash = bcrypt.hashSync(PASSWORD, 8);
  return startNodeRed({
    userDir,
    settings: {
      credentialSecret: 'a secret for the tests only',
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'admin', password: hash, permissions: '*' },
          { username: 'viewer', password: hash, permissions: 'read' },
        ],
      },
    },
  });
}

/** Flows with one deployed plex-account pointing at the stand-in. */
export function accountFlow(id: string, plexTvUrl: string): unknown[] {
  return [
    { id: 'tab1', type: 'tab', label: 'Plex' },
    { id, type: 'plex-account', name: 'Deployed', clientIdentifier: `client-${id}`, product: 'Node-RED', deviceName: 'Test', plexTvUrl },
  ];
}
