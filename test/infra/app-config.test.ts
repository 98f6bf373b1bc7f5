import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { Annotations, Match } from 'aws-cdk-lib/assertions';

import { RUNTIME_ENV } from '../../lambdas/runtime/config/environment';
import { DEFAULT_CONFIG_FILE, readConfigFile } from '../../lib/config-file';
import { REPOSITORY_ROOT, synthesizeAcceleratorStack, type SynthesizedStack } from './support/synthesize';

const scratchDirectory = mkdtempSync(path.join(tmpdir(), 'mcp-accelerator-config-'));

/** Writes a config file into the scratch directory and returns its path. */
function writeConfig(name: string, text: string): string {
  const file = path.join(scratchDirectory, name);
  writeFileSync(file, text);
  return file;
}

describe('default config', () => {
  let synthesized: SynthesizedStack;

  beforeAll(() => {
    synthesized = synthesizeAcceleratorStack(readConfigFile(path.join(REPOSITORY_ROOT, DEFAULT_CONFIG_FILE)));
  });

  it('synthesizes with a warning for the launch-only server', () => {
    Annotations.fromStack(synthesized.stack).hasWarning(
      '/McpAccelerator',
      Match.stringLikeRegexp('Server "everything" has "launch" and no "url"'),
    );
  });

  it('warns that no server can be called from the cloud', () => {
    Annotations.fromStack(synthesized.stack).hasWarning('/McpAccelerator', Match.stringLikeRegexp('No configured server has a "url"'));
  });

  it('gives the functions an empty server list', () => {
    const functions = Object.values(synthesized.template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment !== undefined,
    );

    expect(functions.length).toBe(2);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables[RUNTIME_ENV.servers]).toBe('{}');
    }
  });

  it('exports the URLs and the cache endpoint', () => {
    const outputs = synthesized.template.toJSON().Outputs as Record<string, unknown>;

    expect(Object.keys(outputs).sort()).toEqual(['ApiUrl', 'CacheEndpoint', 'DashboardUrl', 'FunctionUrl']);
  });
});

describe('readConfigFile', () => {
  it.each([
    ['a server with neither url nor launch', '{"servers":{"broken":{"description":"x"}}}', /servers\.broken: set "url"/],
    ['an invalid server name', '{"servers":{"Bad_Name":{"url":"https://mcp.example.com"}}}', /servers\.Bad_Name: /],
    ['a URL that is not HTTP', '{"servers":{"files":{"url":"ftp://mcp.example.com"}}}', /servers\.files\.url: Invalid URL/],
    ['an unknown field', '{"servers":{"docs":{"url":"https://mcp.example.com","retries":3}}}', /servers\.docs: Unrecognized key: "retries"/],
    ['no servers', '{"servers":{}}', /servers: name at least one MCP server/],
    ['text that is not JSON', '{"servers":', /not valid JSON/],
  ])('rejects %s', (caseName, text, message) => {
    const file = writeConfig(`${caseName.replace(/\W+/g, '-')}.json`, text);

    expect(() => readConfigFile(file)).toThrow(message);
  });

  it('names the file in the error', () => {
    const file = writeConfig('named.json', '{"servers":{}}');

    expect(() => readConfigFile(file)).toThrow(`Invalid mcp-accelerator config in ${file}`);
  });

  it('rejects a missing file with the context option to use', () => {
    expect(() => readConfigFile(path.join(scratchDirectory, 'missing.json'))).toThrow(/cannot be read \(ENOENT\).*-c configFile=PATH/);
  });
});

describe('bin/app.ts', () => {
  it('exits with an error naming the invalid field', () => {
    const configFile = writeConfig('app-invalid.json', '{"servers":{"broken":{"description":"no url"}}}');

    const result = spawnSync(path.join(REPOSITORY_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
      cwd: REPOSITORY_ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CDK_CONTEXT_JSON: JSON.stringify({ configFile }),
        CDK_OUTDIR: mkdtempSync(path.join(tmpdir(), 'mcp-accelerator-app-')),
      },
    });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('servers.broken: set "url"');
  });
});
