/** A real node-red process with this package installed and adminAuth on, for the admin and browser tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { linkRepoIntoUserDir, startNodeRed, type NodeRed } from '../../dev/node-red-process';
import { delay } from '../support';

export const PASSWORD = 'correct horse battery';
/** The credentialSecret of the node-red started here: flows_cred.json is encrypted with it. */
export const CREDENTIAL_SECRET = 'a secret for the tests only';

/** Starts node-red in a fresh user directory where the package is linked in as an installed module. */
export async function startWithPackage(settings: Record<string, unknown> = {}): Promise<NodeRed> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-auth-admin-'));
  linkRepoIntoUserDir(userDir);
  const hash = bcrypt.hashSync(PASSWORD, 8);
  return startNodeRed({
    userDir,
    settings: {
      credentialSecret: CREDENTIAL_SECRET,
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'admin', password: hash, permissions: '*' },
          { username: 'viewer', password: hash, permissions: 'read' },
        ],
      },
      ...settings,
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

/** A response's status, body (parsed JSON) and raw text. */
export async function json(response: Response): Promise<{ status: number; body: any; text: string }> {
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, text };
}

/** Polls the status route until the sign-in leaves "waiting"; any other answer (an error) is returned too. */
export async function waitForOutcome(red: NodeRed, id: string, pinId: number | string): Promise<any> {
  const until = Date.now() + 20_000;
  for (;;) {
    const { body } = await json(await red.admin('GET', `/plex-auth/accounts/${id}/pin/${pinId}`));
    if (body?.state !== 'waiting') return body;
    if (Date.now() > until) throw new Error(`sign-in ${pinId} still waiting`);
    await delay(250);
  }
}

/** Calls the admin API as the read-only user. */
export async function viewer(red: NodeRed): Promise<(method: string, pathname: string, body?: unknown) => Promise<Response>> {
  const login = await red.admin('POST', '/auth/token', {
    client_id: 'node-red-admin',
    grant_type: 'password',
    scope: 'read',
    username: 'viewer',
    password: PASSWORD,
  });
  const { access_token: bearer } = (await login.json()) as { access_token: string };
  return (method, pathname, body) =>
    fetch(`${red.url}${pathname}`, {
      method,
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}
