/** What every admin route of the package shares: refusals with a status, JSON answers, the deployed config. */
import type { NodeAPI, NodeDef } from 'node-red';
import type { Request, RequestHandler, Response } from 'express';
import { PlexError } from '../../src/core';
import type { AdminFailure, AdminRoute } from './contract';

/** A node id as the editor makes them (and nothing that could be a path). */
export const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A refusal the route answers with this status and message. */
export class RouteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An async handler as an Express route: its value answered as JSON, a RouteError with its
 * status, a PlexError (plex.tv or a server failed) with 502 and its code, anything else with
 * 500 and a warning. Nothing escapes: not even a closed socket failing res.json.
 */
export function jsonRoute(RED: NodeAPI, what: string, handler: (req: Request) => Promise<unknown>): RequestHandler {
  return (req: Request, res: Response) => {
    handler(req)
      .then(
        (body) => res.json(body),
        (error: unknown) => {
          const status = error instanceof RouteError ? error.status : error instanceof PlexError ? 502 : 500;
          if (status === 500) RED.log.warn(`${what} admin route: ${(error as Error)?.message ?? String(error)}`);
          const failure: AdminFailure = { error: (error as Error)?.message ?? String(error) };
          if (error instanceof PlexError && error.code) failure.code = error.code;
          res.status(status).json(failure);
        },
      )
      .catch(() => undefined);
  };
}

/**
 * Serves a route of the contract (nodes/admin/contract.ts): its method and pattern, the
 * permission check, then the handler given to the function returned, as jsonRoute runs it.
 * Two calls, so that the answer type is fixed before the handler's return is checked against it.
 */
export function serve<Answer>(RED: NodeAPI, what: string, route: AdminRoute<string, unknown, Answer>, permission: RequestHandler) {
  const method = ({ GET: 'get', POST: 'post', DELETE: 'delete' } as const)[route.method];
  return (handler: (req: Request) => Promise<Answer>): void => {
    RED.httpAdmin[method](route.pattern, permission, jsonRoute(RED, what, handler));
  };
}

/** A node of the deployed flow config, also while the flows are stopped (getNode only finds running nodes). */
export function deployedConfig(RED: NodeAPI, id: string): NodeDef | undefined {
  let found: NodeDef | undefined;
  try {
    RED.nodes.eachNode((each) => {
      if (each.id === id) found = each;
    });
  } catch {
    // no flows loaded yet
  }
  return found;
}
