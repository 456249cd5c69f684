import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { inputError } from '../../src/core';

/**
 * A typed-input property (str, msg, flow, global, env): its value for this msg, or
 * undefined when it is empty. A non-string value is an error that names the property.
 */
export function evaluateOptional(
  RED: NodeAPI,
  node: Node,
  value: string | undefined,
  type: string | undefined,
  msg: NodeMessage,
  name = 'forwardUrl',
): Promise<string | undefined> {
  if (!value) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const unusable = (error: { message?: string }) => reject(inputError(`${name}: ${error.message ?? String(error)}`));
    try {
      RED.util.evaluateNodeProperty(value, type || 'str', node, msg, (error: Error | null, result: unknown) => {
        if (error) return unusable(error);
        if (result === undefined || result === null || result === '') return resolve(undefined);
        if (typeof result !== 'string') return reject(inputError(`${name} must be a string, got ${typeof result}`));
        resolve(result);
      });
    } catch (error) {
      // Some types (json, re, jsonata) throw instead of calling back; a JSONata error is not even an Error.
      unusable(error as { message?: string });
    }
  });
}
