/** Shared by the tests: the node modules under test, and small waiting helpers. */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** The package's node types and their compiled modules, as package.json lists them for Node-RED: a new node is tested everywhere at once. */
export const nodeModules: Readonly<Record<string, string>> = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes;

/** Every node type of the package: config nodes first, as package.json lists them. */
export const nodeTypes = Object.keys(nodeModules);

/** Every node module of the package, compiled, as node-red-node-test-helper wants them. */
export const allNodes = Object.values(nodeModules).map((main) => require(path.join(root, main)));

/** Resolves with the first value `register` hands to its callback, or rejects after `ms`. */
export function nextEvent<T>(register: (callback: (value: T) => void) => void, ms = 5000, what = 'event'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
