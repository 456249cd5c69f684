/**
 * A peer's dates. Plex writes RFC 3339 ("2026-01-02T03:19:05Z") and, in some plex.tv answers,
 * Go's default layout ("2023-04-12 17:30:03 +0000 UTC"). Date.parse would read a date without
 * an offset as the machine's local time (hours off, and different on every machine): here it
 * is read as UTC, with a warning.
 */
import addFormats from 'ajv-formats';
import type { FormatDefinition } from 'ajv';

/** ajv-formats' RFC 3339 checks (calendar and leap seconds included): with the offset required, and optional. */
const isDateTime = (addFormats.get('date-time', 'full') as FormatDefinition<string>).validate as (text: string) => boolean;
const isLocalOrDateTime = (addFormats.get('iso-date-time', 'full') as FormatDefinition<string>).validate as (text: string) => boolean;

/** Go's default layout; the zone's name after the numeric offset says nothing more. */
const GO_LAYOUT = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-]\d{2})(\d{2}) [A-Z]{3,5}$/;
/** The parts of a date-time that passed one of the checks above. */
const PARTS = /^(\d{4})-(\d{2})-(\d{2})[Tt\s](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?$/;

export interface PeerDate {
  epochMs: number;
  /** Set when the text named no offset and was read as UTC. */
  warning?: string;
}

/** Go's layout as RFC 3339; any other text as it is. */
function asRfc3339(text: string): string {
  const go = GO_LAYOUT.exec(text);
  return go ? `${go[1]}${go[2]}:${go[3]}` : text;
}

function epochOf(checked: string): number {
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetHours = '0', offsetMinutes = '0'] = PARTS.exec(checked)!;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: that one reads years 0-99 as 1900-1999.
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), Math.floor(Number(`0.${fraction}`) * 1000));
  const offsetMinutesTotal = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes));
  return date.getTime() - offsetMinutesTotal * 60_000;
}

/** Whether a peer's text is a date-time in one of Plex's two forms, with its offset: the documented schemas' "date-time". */
export function isPlexDateTime(text: string): boolean {
  return isDateTime(asRfc3339(text));
}

/**
 * A peer's date (`field` names it in the warning) in one of Plex's two forms, or an RFC 3339
 * date-time without its offset, read as UTC with a warning; undefined for anything else.
 */
export function readPlexDate(text: string, field: string): PeerDate | undefined {
  const rfc3339 = asRfc3339(text);
  if (isDateTime(rfc3339)) return { epochMs: epochOf(rfc3339) };
  // The text is a checked date-time, so it can be shown: it holds nothing else.
  if (isLocalOrDateTime(text)) return { epochMs: epochOf(text), warning: `${field} "${text}" names no UTC offset: read as UTC` };
  return undefined;
}
