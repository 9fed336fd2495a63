// Builds (npm run build) only when a source file is newer than the build, so that
// `npm run simulate` and `npm run replay` start in a moment when nothing changed.
/* global process, console */
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const built = 'dist/server/main.js';
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name);
    const time = entry.isDirectory() ? newest(path) : statSync(path).mtimeMs;
    return Math.max(latest, time);
  }, 0);

if (!existsSync(built) || Math.max(newest('src'), newest('server')) > statSync(built).mtimeMs) {
  console.error('building (sources changed since the last build)...');
  execSync('npm run build --silent', { stdio: 'inherit' });
  process.exitCode = 0;
}
