import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Time allowed for a bundled server to print its URL, in ms. */
export const LAUNCH_TIMEOUT_MS = 15_000;

/** A bundled MCP server running as a child process on loopback. */
export interface LaunchedServer {
  readonly url: string;
  /** Stops the child and resolves when it has exited. */
  stop(): Promise<void>;
}

const LAUNCHER_SCRIPTS = {
  'server-everything': join(__dirname, 'everything-server.mjs'),
} as const;

/**
 * Starts a bundled MCP server on a free loopback port. The child gets an empty environment,
 * because the reference server has a tool that returns its whole environment.
 */
export async function launchBundledServer(launcher: keyof typeof LAUNCHER_SCRIPTS): Promise<LaunchedServer> {
  const child = spawn(process.execPath, [LAUNCHER_SCRIPTS[launcher]], {
    env: {},
    // A pipe on stdin: when this process exits, the child reads end of file and exits too.
    stdio: ['pipe', 'pipe', 'inherit'],
  });

  const url = await readAnnouncedUrl(child, launcher);
  return { url, stop: () => stopChild(child) };
}

function readAnnouncedUrl(child: ChildProcess, launcher: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${launcher} did not report its URL within ${LAUNCH_TIMEOUT_MS} ms`));
    }, LAUNCH_TIMEOUT_MS);

    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${launcher} exited with code ${code} before it was ready`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`${launcher} printed "${line}" where its URL was expected`));
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
