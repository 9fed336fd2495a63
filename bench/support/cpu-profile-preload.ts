/**
 * Loaded into a server under test with `--import`: SIGWINCH starts V8's CPU profiler (the one
 * behind `--cpu-prof`), the next SIGWINCH stops it and writes the profile to BENCH_PROFILE_OUT.
 * Not `--cpu-prof` itself: it would also profile start-up and warm-up, and writes nothing when
 * Nest's shutdown hooks end the process by re-raising SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
let running = false;

process.on('SIGWINCH', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 100 }, () =>
        session.post('Profiler.start'),
      ),
    );
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) throw error;
    writeFileSync(process.env.BENCH_PROFILE_OUT!, JSON.stringify(result.profile));
  });
});
