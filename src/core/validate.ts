import Ajv, { type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import { PlexError } from './errors';
import { isPlexDateTime } from './plex-date';

export interface SchemaPair {
  documented: SchemaObject;
  relied: SchemaObject;
}

export interface Checked<T> {
  value: T;
  /** Where the answer strays from the documented schema in fields we do not rely on. */
  warnings: string[];
}

/** "date-time" in the documented schemas: RFC 3339 or Plex's Go layout, with an offset either way (plex-date.ts). */
const formats = { 'date-time': isPlexDateTime };
/** Stops at the first error: all a refusal names, and all a warning can afford where a peer's list may hold thousands of drifts. */
const firstError = new Ajv({ strict: false, formats });
/** Collects every error: for the warnings of answers whose schema bounds their number. */
const everyError = new Ajv({ allErrors: true, strict: false, formats });

/** Whether a schema describes a list anywhere: the number of errors in an answer is then the peer's to choose. */
function describesList(schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object') return false;
  return (schema as SchemaObject).type === 'array' || Object.values(schema).some(describesList);
}

/** "/MediaContainer/Device/Connection/0/port" becomes "MediaContainer.Device.Connection[0].port". */
function fieldOf(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  return segments.reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment), '') || '(body)';
}

function describeError(error: ErrorObject): string {
  const field = fieldOf(error);
  return error.keyword === 'required' ? `${field} is missing` : `${field} ${error.message ?? 'is not valid'}`;
}

/**
 * A compiled pair of validators for one kind of answer. Compiled on first use (so loading
 * the package stays cheap) and then reused for every answer.
 */
export class ResponseSchema<T> {
  private compiled?: { documented: ValidateFunction; relied: ValidateFunction };

  constructor(
    /** What the answer is, for messages: "Plex Media Server sessions". */
    readonly what: string,
    private readonly schemas: SchemaPair,
  ) {}

  private validators() {
    const { documented, relied } = this.schemas;
    this.compiled ??= { documented: (describesList(documented) ? firstError : everyError).compile(documented), relied: firstError.compile(relied) };
    return this.compiled;
  }

  /** Throws a PlexError naming the field when a relied-on field is missing or mistyped. The warnings are a new array: a caller may add its own. */
  check(body: unknown): Checked<T> {
    const { documented, relied } = this.validators();
    // Relied first, always: the documented schema is looser in places (a PIN id of 0, a connection without uri).
    if (!relied(body)) {
      const first = relied.errors![0];
      throw new PlexError(`${this.what}: field ${describeError(first)}`, { kind: 'response', field: fieldOf(first) });
    }
    if (documented(body)) return { value: body as T, warnings: [] };
    const drift = [...new Set((documented.errors ?? []).map(describeError))];
    const shown = drift.slice(0, 3).join('; ') + (drift.length > 3 ? `; and ${drift.length - 3} more` : '');
    return { value: body as T, warnings: [`${this.what} strays from the documented schema: ${shown}`] };
  }
}

/**
 * Cuts a peer's list `holder[key]` to its first `max` entries, before the answer is checked
 * (see the caps in schemas.ts). Returns how many entries it had when it was cut, else undefined.
 */
export function cutList(holder: unknown, key: string, max: number): number | undefined {
  const list = holder !== null && typeof holder === 'object' ? (holder as Record<string, unknown>)[key] : undefined;
  if (!Array.isArray(list) || list.length <= max) return undefined;
  const listed = list.length;
  list.length = max;
  return listed;
}
