/** setTimeout fires at once for a delay above 2^31-1 ms (TimeoutOverflowWarning): no delay may get there. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay a timer can hold: within 0..MAX_TIMER_MS; one that is no number (NaN) waits the longest. */
export function timerDelay(ms: number): number {
  return Number.isNaN(ms) ? MAX_TIMER_MS : Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
