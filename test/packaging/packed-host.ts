// The package as users meet it: packed into a tarball, installed from the registry into a copy of
// one of examples/ outside the repo, compiled with that app's own tsc, and run as a process.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');

/** Runs a command to its end; rejects with its output when it fails. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0
        ? done(output)
        : fail(
            new Error(
              `${command} ${args.join(' ')} exited with ${code} in ${options.cwd}:\n${output}`,
            ),
          ),
    );
  });
}

let packed: Promise<string> | undefined;

/** `npm pack` of the built repo (npm test builds first), once per run: the tarball's path. */
export function packTarball(): Promise<string> {
  packed ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clicks-pack-'));
    const out = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      {
        cwd: REPO,
      },
    );
    const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as [{ filename: string }];
    return join(dir, filename);
  })();
  return packed;
}

/** One example app installed and built in a fresh folder outside the repo. */
export interface PreparedHost {
  dir: string;
  /** What `npm install` printed (warnings included). */
  installLog: string;
  dispose(): void;
}

export async function prepareHost(example: string): Promise<PreparedHost> {
  const tarball = await packTarball();
  const dir = mkdtempSync(join(tmpdir(), `clicks-host-${example}-`));
  cpSync(join(REPO, 'examples', example), dir, {
    recursive: true,
    filter: (source) => !/[\\/](node_modules|dist)$/.test(source),
  });
  const manifestPath = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    dependencies: Record<string, string>;
  };
  manifest.dependencies['nestjs-whatsapp-clicks'] = `file:${tarball}`;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const installLog = await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir });
    await run(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: dir });
    return { dir, installLog, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** How a process ended: its exit code, or the signal that ended it. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A host app running as its own process. */
export interface RunningHost {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Everything it printed so far. */
  output(): string;
  /** Sends the signal and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** Starts `node dist/<entry>` on port 0 and waits for its "listening on <url>" line. */
export function startHost(
  host: PreparedHost,
  env: Record<string, string>,
  entry = 'main.js',
): Promise<RunningHost> {
  const child: ChildProcess = spawn(process.execPath, [join('dist', entry)], {
    cwd: host.dir,
    env: { ...process.env, NODE_ENV: 'production', ...env, PORT: '0' },
  });
  let output = '';
  const exited = new Promise<Exit>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return new Promise((ready, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no "listening on" line in 30 s:\n${output}`)),
      30_000,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        ready({
          base: match[1]!.replace('[::1]', '127.0.0.1'),
          output: () => output,
          stop: async (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`the host exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}
