import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Time allowed for redis-server to accept connections, in ms. */
const READY_TIMEOUT_MS = 10_000;

/**
 * A redis-server that a test starts on a free loopback port and stops, never the machine's
 * own. It keeps nothing on disk, and it can be killed and restarted on the same port to test
 * what the cache does while Redis is down.
 */
export class TestRedisServer {
  private child: ChildProcess | undefined;
  /** Core the server runs on, where it was pinned. */
  pinnedToCpu: number | undefined;
  private readonly directory = mkdtempSync(join(tmpdir(), 'mcpa-redis-'));

  private constructor(
    readonly port: number,
    private readonly cpu?: number,
  ) {}

  /**
   * Starts a server on a free loopback port.
   * @param options.cpu core to pin the server to with `taskset`, for benchmarks; ignored where taskset is missing
   */
  static async start(options: { cpu?: number } = {}): Promise<TestRedisServer> {
    const server = new TestRedisServer(await findFreePort(), options.cpu);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port, after `kill`. */
  async restart(): Promise<void> {
    if (this.child !== undefined) {
      throw new Error(`redis-server on port ${this.port} is already running`);
    }
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.directory];
    const pinned = this.cpu !== undefined && existsSync('/usr/bin/taskset');
    const child = pinned
      ? spawn('/usr/bin/taskset', ['-c', String(this.cpu), 'redis-server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.pinnedToCpu = pinned ? this.cpu : undefined;
    this.child = child;
    await waitForReady(child, this.port);
  }

  /** Kills the server at once, as a crash would, and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) {
      return;
    }
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Stops the server and removes its folder. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

async function findFreePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Resolves once the server prints that it accepts connections. */
function waitForReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server on port ${port} was not ready within ${READY_TIMEOUT_MS} ms: ${output}`)), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        // Later output is drained and dropped, so the pipe never fills.
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        child.removeAllListeners('exit');
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not be started: ${error.message}. Install it (apt-get install redis-server).`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited with code ${code}: ${output}`));
    });
  });
}
