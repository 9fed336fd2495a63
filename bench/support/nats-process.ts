import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './harness.js';

/**
 * A nats-server of the benchmark's own, JetStream on, with a fresh store: click ids restart at 1
 * in every scratch database, and a shared server's JetStream would drop them as duplicates
 * (Nats-Msg-Id) within its 2-minute window.
 */
export class NatsProcess {
  private child: ChildProcess | null = null;
  private client: NatsConnection | null = null;
  private readonly store = mkdtempSync(join(tmpdir(), 'bench-nats-'));

  private constructor(readonly port: number) {}

  static async create(): Promise<NatsProcess> {
    return new NatsProcess(await freePort());
  }

  /** Created and started. */
  static async started(): Promise<NatsProcess> {
    const nats = await NatsProcess.create();
    await nats.start();
    return nats;
  }

  /** CPU time the running server has used so far, ms (user and system, from /proc). */
  cpuMs(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error('nats-server is not running');
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, the 14th and 15th fields, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts it, or again on the same port and store: what JetStream had is still there. */
  async start(): Promise<void> {
    this.child = spawn(
      process.env.NATS_SERVER ??
        (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server'),
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.store],
      { stdio: 'ignore' },
    );
    for (let tries = 0; !(await listening(this.port)); tries++) {
      if (tries > 200) throw new Error(`nats-server did not listen on ${this.port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Messages the click stream holds (0 while it does not exist yet). */
  async messages(stream = 'WHATSAPP_CLICKS'): Promise<number> {
    this.client ??= await connectNats({ servers: this.url });
    const jsm = await jetstreamManager(this.client);
    const info = await jsm.streams.info(stream).catch(() => null);
    return info?.state.messages ?? 0;
  }

  /** Kills it (SIGKILL: an outage, not a goodbye) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    await this.client?.close().catch(() => undefined);
    this.client = null;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.store, { recursive: true, force: true });
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.end(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
