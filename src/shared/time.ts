/** How the runtime's statuses and the editor's dialogs write times: one format everywhere. Pure: no Node.js, no DOM. */

/** Time left as m:ss (minutes may pass 59), rounded up: 0:00 only once the time is up. */
export function formatTimeLeft(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** A moment as the dialogs name it: the time of day when it is today, else the date and time, in `locale`. */
export function formatMoment(at: string | number, locale: string | undefined, now: number): string {
  const moment = new Date(at);
  const today = moment.toDateString() === new Date(now).toDateString();
  return today
    ? moment.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
    : moment.toLocaleString(locale, { dateStyle: 'short', timeStyle: 'short' });
}
