// Gives each test file a temporary folder of its own and removes it when the file is done.
// CDK synthesis writes a cloud assembly to the temporary folder for every app, and nothing
// else removes them, so without this each run of the infrastructure tests leaves dozens behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const directory = mkdtempSync(join(tmpdir(), 'mcp-accelerator-test-'));
const previous = process.env.TMPDIR;
process.env.TMPDIR = directory;

afterAll(() => {
  process.env.TMPDIR = previous;
  rmSync(directory, { recursive: true, force: true });
});
