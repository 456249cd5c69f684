/** How long the event loop stands still while HttpClient reads a hostile body of about 900 KB, or a call reads and checks a hostile list of about 1 MB. */
import { measureHostileBodies, measureHostileLists } from '../test/core/hostile-bodies';
import { round } from './stats';

export async function benchHostileBodies(): Promise<Array<{ name: string; status: number; stallMs: number }>> {
  return (await measureHostileBodies()).map((figure) => ({ ...figure, stallMs: round(figure.stallMs, 1) }));
}

export async function benchHostileLists(): Promise<Array<{ name: string; stallMs: number }>> {
  return (await measureHostileLists()).map((figure) => ({ ...figure, stallMs: round(figure.stallMs, 1) }));
}
