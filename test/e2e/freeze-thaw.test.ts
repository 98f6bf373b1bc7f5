import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { TestMcpServer } from '../support/test-mcp-server';

/** Idle time after which the test server closes a keep-alive connection, in ms: far shorter than the freeze. */
const SERVER_KEEP_ALIVE_MS = 1_000;

/** Length of the freeze, in ms: longer than the server's keep-alive, as a Lambda freeze between invocations often is. */
const FREEZE_MS = 12_000;

describe('MCP client after a freeze', () => {
  let server: TestMcpServer;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    server = await TestMcpServer.start({ keepAliveTimeoutMs: SERVER_KEEP_ALIVE_MS });
  });

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      process.kill(-child.pid, 'SIGCONT');
      process.kill(-child.pid, 'SIGTERM');
    }
    await server?.stop();
  });

  // Takes about 13 s: the child process is frozen for 12 s.
  it('succeeds on the first call after a 12 s freeze', async () => {
    const worker = join(__dirname, 'freeze-worker.ts');
    const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    // detached makes the child lead a process group of its own, so that the signals reach the group.
    child = spawn(tsx, [worker, server.url], { stdio: ['pipe', 'pipe', 'inherit'], detached: true, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();

    expect((await lines.next()).value).toBe('ready');
    server.resetCounts();

    // The tsx launcher runs the worker in a child of its own, so the whole process group is frozen.
    process.kill(-child.pid!, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, FREEZE_MS));
    process.kill(-child.pid!, 'SIGCONT');
    child.stdin!.write('call\n');

    expect(JSON.parse((await lines.next()).value as string)).toEqual({ text: 'work of after-freeze-1' });
    // The session outlived the freeze; only the connection was new.
    expect(server.initializeCount).toBe(0);
    expect(server.callsOf('work')).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
