/** How long the event loop stands still while HttpClient reads a hostile body of about 900 KB. */
import { measureHostileBodies } from '../test/core/hostile-bodies';
import { round } from './stats';

export async function benchHostileBodies(): Promise<Array<{ name: string; status: number; stallMs: number }>> {
  return (await measureHostileBodies()).map((figure) => ({ ...figure, stallMs: round(figure.stallMs, 1) }));
}
