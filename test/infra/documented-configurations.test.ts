import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { buildAcceleratorApp } from '../../lib/accelerator-app';
import { createApp, REPOSITORY_ROOT } from './support/synthesize';

/** Returns the `-c key=value` options of every `npx cdk synth` command in docs/deploy.md. */
function documentedConfigurations(): Array<[string, Record<string, string>]> {
  const text = readFileSync(path.join(REPOSITORY_ROOT, 'docs', 'deploy.md'), 'utf8');
  const commands = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npx cdk synth'));

  return commands.map((command) => {
    const context: Record<string, string> = {};
    for (const match of command.matchAll(/-c ([A-Za-z]+)=(\S+)/g)) {
      context[match[1]] = match[2];
    }
    return [command, context];
  });
}

describe('documented configurations', () => {
  const configurations = documentedConfigurations();

  it('are listed in docs/deploy.md', () => {
    expect(configurations.length).toBeGreaterThanOrEqual(9);
    expect(configurations.map(([, context]) => context.cacheMode)).toEqual(expect.arrayContaining(['serverless', undefined]));
  });

  // Synthesis runs cdk-nag's AwsSolutions checks, which throw on any unacknowledged finding.
  it.each(configurations)('synthesize: %s', (_command, context) => {
    const app = createApp(context);
    const stack = buildAcceleratorApp(app);

    const assembly = app.synth();

    expect(assembly.getStackByName(stack.stackName).template.Resources).toBeDefined();
  });
});
