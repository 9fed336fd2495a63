import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_APP_SECRET, TEST_VERIFY_TOKEN } from './webhooks.js';

const SCRIPT = fileURLToPath(new URL('./child-server.mjs', import.meta.url));

/** The built standalone server in a child process (`npm test` builds it first). */
export class ChildServer {
  private child: ChildProcess | null = null;
  /** What the process printed, for the test's messages. */
  output = '';

  constructor(private readonly env: Record<string, string>) {}

  get webhook(): string {
    return `http://127.0.0.1:${this.env.PORT}/webhooks/whatsapp`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [SCRIPT], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        WHATSAPP_APP_SECRET: TEST_APP_SECRET,
        WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no start in 20 s:\n${this.output}`)),
        20_000,
      );
      const read = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('LISTENING')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before listening:\n${this.output}`));
      });
    });
  }

  /** Sends `signal` and waits for the exit: its code (null when killed by a signal) and duration. */
  async stop(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
    const child = this.child;
    if (!child || child.exitCode !== null) throw new Error('not running');
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (exitCode) => resolve(exitCode));
      child.kill(signal);
    });
    this.child = null;
    return { code, ms: Date.now() - started };
  }

  async dispose(): Promise<void> {
    if (this.child && this.child.exitCode === null) await this.stop('SIGKILL');
  }
}

/** The click ids a child's handler recorded, one per call (duplicates kept). */
export function handledIds(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
