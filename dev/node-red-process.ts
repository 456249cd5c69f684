/**
 * Starts a real `node-red` process in a user directory of its own, for the end-to-end and
 * browser tests, the demo, the benchmarks and the compatibility runs.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface NodeRedOptions {
  userDir: string;
  /** Port for the editor and admin API; 0 picks a free one. */
  port?: number;
  host?: string;
  /** More settings.js entries, as JSON (adminAuth, credentialSecret, ...). */
  settings?: Record<string, unknown>;
  /** The node-red package to run (defaults to this repo's dev dependency). */
  nodeRedDir?: string;
  /** Node.js binary to run it with. */
  nodeBinary?: string;
  /** Extra environment (http_proxy, ...). */
  env?: NodeJS.ProcessEnv;
  /** Echo Node-RED's output to this process's. */
  echo?: boolean;
}

export interface NodeRed {
  url: string;
  userDir: string;
  process: ChildProcess;
  /** Everything Node-RED printed so far. */
  output(): string;
  /** Calls the Admin API (with the bearer token when logged in). */
  admin(method: string, pathname: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Logs in with adminAuth credentials; later admin() calls carry the token. */
  login(username: string, password: string): Promise<void>;
  /** Replaces all flows (a full deploy) and waits until they have started. */
  deploy(flows: unknown[]): Promise<void>;
  /** Presses an inject node. */
  inject(id: string): Promise<void>;
  /**
   * Stops or starts the flows (Stop/Start flows in the editor) and waits until Node-RED has saved
   * that state, which it writes a moment after it answers: a restart before the save, or a slow
   * "stop" written after "start", would bring the flows up stopped.
   */
  setFlowState(state: 'start' | 'stop'): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Installs a package (a path, a .tgz or a registry spec) into a Node-RED user directory. */
export function installIntoUserDir(userDir: string, spec: string, npmArgs: string[] = []): void {
  fs.mkdirSync(userDir, { recursive: true });
  const manifest = path.join(userDir, 'package.json');
  if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, JSON.stringify({ name: 'node-red-user-dir', private: true }, null, 2));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...npmArgs, spec], { cwd: userDir, stdio: 'pipe' });
}

/**
 * Links this repository into a Node-RED user directory as an installed package, the link
 * `npm install <this folder>` makes, without running npm (1 s of CPU): for the tests.
 */
export function linkRepoIntoUserDir(userDir: string): void {
  const { name } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string };
  const link = path.join(userDir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(repoRoot, link, 'dir');
}

/**
 * Packs this repository (`npm pack`) into `outDir` and returns the .tgz path. Its callers have
 * just built dist/ (npm test, compat, bench): prepack's build would replace it under the test
 * files that run beside the end-to-end test.
 */
export function packRepo(outDir: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', outDir], { cwd: repoRoot, encoding: 'utf8' });
  return path.join(outDir, out.trim().split('\n').pop()!);
}

export async function startNodeRed(options: NodeRedOptions): Promise<NodeRed> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort());
  const nodeRedDir = options.nodeRedDir ?? path.join(repoRoot, 'node_modules', 'node-red');
  fs.mkdirSync(options.userDir, { recursive: true });
  const settings = {
    uiHost: host,
    uiPort: port,
    flowFile: 'flows.json',
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    ...options.settings,
    editorTheme: { tours: false, projects: { enabled: false }, ...(options.settings?.editorTheme as object | undefined) },
  };
  const settingsFile = path.join(options.userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);

  let output = '';
  const child = spawn(options.nodeBinary ?? process.execPath, [path.join(nodeRedDir, 'red.js'), '-u', options.userDir, '-s', settingsFile], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (options.echo) process.stdout.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = `http://${host}:${port}`;
  let bearer: string | undefined;
  const admin: NodeRed['admin'] = (method, pathname, body, headers = {}) =>
    fetch(`${url}${pathname}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node-red exited with ${child.exitCode}:\n${output}`);
    if (/Started flows/.test(output)) {
      try {
        const response = await fetch(`${url}/settings`);
        if (response.status === 200 || response.status === 401) break;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node-red did not start within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    userDir: options.userDir,
    process: child,
    output: () => output,
    admin,
    async login(username, password) {
      const response = await admin('POST', '/auth/token', { client_id: 'node-red-admin', grant_type: 'password', scope: '*', username, password });
      if (!response.ok) throw new Error(`login failed: ${response.status}`);
      bearer = ((await response.json()) as { access_token: string }).access_token;
    },
    async deploy(flows) {
      const before = (output.match(/Started flows/g) ?? []).length;
      const response = await admin('POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
      if (response.status !== 204 && response.status !== 200) throw new Error(`deploy failed: ${response.status} ${await response.text()}`);
      const until = Date.now() + 20_000;
      while ((output.match(/Started flows/g) ?? []).length <= before) {
        if (Date.now() > until) throw new Error(`flows did not start after deploy:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async inject(id) {
      const response = await admin('POST', `/inject/${id}`);
      if (!response.ok) throw new Error(`inject ${id} failed: ${response.status}`);
    },
    async setFlowState(state) {
      const response = await admin('POST', '/flows/state', { state });
      if (response.status !== 200) throw new Error(`flows/state ${state} failed: ${response.status} ${await response.text()}`);
      const runtimeSettings = path.join(options.userDir, '.config.runtime.json');
      const saved = () => {
        try {
          return JSON.parse(fs.readFileSync(runtimeSettings, 'utf8')).runtimeFlowState;
        } catch {
          return undefined; // not written yet, or being written
        }
      };
      const until = Date.now() + 20_000;
      while (saved() !== state) {
        if (Date.now() > until) throw new Error(`Node-RED did not save the flow state "${state}"`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
