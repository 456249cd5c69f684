/**
 * Loaded with --require into the node-red process that `npm run bench:profile` measures:
 * SIGURG starts a V8 CPU profile, the next SIGURG writes it to $PLEX_BENCH_CPU_PROFILE, so
 * that the profile holds the load alone (not Node-RED's start or the warm-up). Each step is
 * said on stdout, where the bench waits for it. SIGURG because the usual ones are taken:
 * SIGUSR1 opens Node's inspector, and Node-RED stops on SIGUSR2 (nodemon's restart).
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';

const file = process.env.PLEX_BENCH_CPU_PROFILE;
if (file) {
  const session = new Session();
  session.connect();
  let profiling = false;
  const step = async () => {
    if (!profiling) {
      profiling = true;
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
      console.log('cpu profile started');
      return;
    }
    profiling = false;
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    console.log('cpu profile written');
  };
  process.on('SIGURG', () => void step().catch((error: unknown) => console.log(`cpu profile failed: ${error}`)));
}
