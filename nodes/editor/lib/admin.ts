/** Calls the package's admin routes as nodes/admin/contract.ts defines them. */
import { pathTo, type AdminFailure, type AdminRoute, type ParamsOf } from '../../admin/contract';

/** A route that refused or failed: the runtime's message and PLEX_* code; no message when Node-RED gave no answer. */
export interface AdminRefusal {
  message?: string;
  code?: string;
}

/** Calls a route with its parameters (and its body, for a route that takes one); rejects with an AdminRefusal. */
export function callAdmin<Pattern extends string, Body, Answer>(
  route: AdminRoute<Pattern, Body, Answer>,
  params: Record<ParamsOf<Pattern>, string | number>,
  ...body: Body extends undefined ? [] : [Body]
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    $.ajax({
      url: pathTo(route, params),
      method: route.method,
      contentType: 'application/json',
      dataType: 'json',
      data: body.length ? JSON.stringify(body[0]) : undefined,
    }).then(
      (answer: Answer) => resolve(answer),
      (xhr: JQuery.jqXHR) => {
        const failure = xhr.responseJSON as AdminFailure | undefined;
        const refusal: AdminRefusal = { message: failure?.error, code: failure?.code };
        reject(refusal);
      },
    );
  });
}

/**
 * One open dialog's calls: an answer that comes after the dialog closed is dropped, because the
 * next dialog has elements with the same ids (a late answer would fill in another node's dialog).
 */
export class DialogCalls {
  private open = true;

  close(): void {
    this.open = false;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Hands the call's answer or refusal on, while the dialog is open. */
  ask<Answer>(call: Promise<Answer>, onAnswer: (answer: Answer) => void, onRefusal: (refusal: AdminRefusal) => void = () => undefined): void {
    call.then(
      (answer) => {
        if (this.open) onAnswer(answer);
      },
      (refusal: AdminRefusal) => {
        if (this.open) onRefusal(refusal);
      },
    );
  }
}
