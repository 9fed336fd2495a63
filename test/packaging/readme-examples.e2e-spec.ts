// The README's "Use the module in your app" is the example hosts' code, line for line, and
// their install lines: the examples are built and run by packaging.e2e-spec.ts, so the README
// cannot rot without this failing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './packed-host.js';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const SHOWN = [
  'postgres-config/src/app.module.ts',
  'postgres-config/src/main.ts',
  'esm-express-graphql/src/app.module.ts',
  'esm-express-graphql/src/main.ts',
  'esm-express-graphql/src/click-log.ts',
  'cjs-fastify/src/app.module.ts',
  'cjs-fastify/src/main.ts',
  'cjs-fastify/src/send-sample.ts',
];

describe('README and examples/', () => {
  it.each(SHOWN)('shows examples/%s verbatim', (file) => {
    const code = readFileSync(join(REPO, 'examples', file), 'utf8').trimEnd();
    expect(readme).toContain(`\`\`\`ts\n// examples/${file}\n${code}\n\`\`\``);
  });

  it.each(['postgres-config', 'esm-express-graphql', 'cjs-fastify'])(
    'gives the install line of examples/%s',
    (example) => {
      const manifest = JSON.parse(
        readFileSync(join(REPO, 'examples', example, 'package.json'), 'utf8'),
      ) as { dependencies: Record<string, string> };
      expect(readme).toContain(
        `npm install ${Object.keys(manifest.dependencies).sort().join(' ')}\n`,
      );
    },
  );
});
