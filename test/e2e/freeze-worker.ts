// A child process that keeps one MCP client, as a Lambda execution environment does, so that a
// test can freeze it with SIGSTOP and thaw it with SIGCONT. It calls the `work` tool once to
// open its connection and prints "ready"; then each "call" line on stdin makes one read-only
// call and prints one JSON line: { text } on success, { code, message } on failure.
import { createInterface } from 'node:readline';

import { resolveServer } from '../../lambdas/runtime/config/server-config';
import { McpClientPool } from '../../lambdas/runtime/mcp/client-pool';
import { classifyUpstreamError } from '../../lambdas/runtime/mcp/upstream-error';

/** Timeout of each call, in ms: long enough for a loaded CI machine, short enough to fail the test fast. */
const CALL_TIMEOUT_MS = 5_000;

async function callWork(pool: McpClientPool, key: string): Promise<string> {
  try {
    const result = (await pool.call('test', 'tools/call', { name: 'work', arguments: { key } }, { timeoutMs: CALL_TIMEOUT_MS, readOnly: true })) as { content: { text: string }[] };
    return JSON.stringify({ text: result.content[0].text });
  } catch (error) {
    const failure = classifyUpstreamError(error, 'test', CALL_TIMEOUT_MS);
    return JSON.stringify({ code: failure.code, message: failure.message });
  }
}

async function main(): Promise<void> {
  const [upstreamUrl] = process.argv.slice(2);
  const pool = new McpClientPool([resolveServer('test', { url: upstreamUrl })]);
  const warmUp = JSON.parse(await callWork(pool, 'before-freeze')) as { text?: string };
  process.stdout.write(warmUp.text === undefined ? `failed ${JSON.stringify(warmUp)}\n` : 'ready\n');

  let calls = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'call') {
      calls += 1;
      process.stdout.write(`${await callWork(pool, `after-freeze-${calls}`)}\n`);
    }
  }
  await pool.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`freeze worker failed: ${String(error)}\n`);
  process.exit(1);
});
