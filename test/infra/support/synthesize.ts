import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

import { parseAcceleratorConfig, type AcceleratorConfig } from '../../../lambdas/runtime/config/server-config';
import { parseDeploymentOptions } from '../../../lib/deployment-options';
import { McpAcceleratorStack } from '../../../lib/mcp-accelerator-stack';

/** Root of the repository. */
export const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..', '..');

/** A config with one server the cloud can call and one that only local mode hosts. */
export const MIXED_CONFIG: AcceleratorConfig = parseAcceleratorConfig(
  {
    servers: {
      docs: {
        url: 'https://mcp.example.com/mcp',
        description: 'A remote server',
        cache: { ttlSeconds: 60, cacheableTools: ['search'] },
      },
      everything: { launch: 'server-everything' },
    },
  },
  'test fixture',
);

/**
 * Returns a new app with the context of cdk.json, so that feature flags match `cdk synth`,
 * and an output directory of its own.
 */
export function createApp(context: Record<string, unknown> = {}): App {
  const cdkJson = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return new App({
    context: { ...cdkJson.context, ...context },
    outdir: mkdtempSync(path.join(tmpdir(), 'mcp-accelerator-cdk-')),
  });
}

/** A synthesized accelerator stack and its template. */
export interface SynthesizedStack {
  readonly app: App;
  readonly stack: McpAcceleratorStack;
  readonly template: Template;
}

/**
 * Builds the accelerator stack with the handlers in this repository, and synthesizes it.
 * @param contextOptions context options as `-c key=value` would give them
 */
export function synthesizeAcceleratorStack(
  config: AcceleratorConfig = MIXED_CONFIG,
  contextOptions: Record<string, unknown> = {},
): SynthesizedStack {
  const app = createApp();
  const stack = new McpAcceleratorStack(app, 'McpAccelerator', { config, options: parseDeploymentOptions(contextOptions) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Returns the statements of every IAM policy in a template. */
export function policyStatements(template: Template): Array<{ policyId: string; statement: Record<string, unknown> }> {
  return Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([policyId, policy]) =>
    (policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>).map((statement) => ({ policyId, statement })),
  );
}

/** Returns the logical id of a construct's CloudFormation resource, for matching references. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild ?? construct;
  if (!CfnElement.isCfnElement(resource)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource; pass an L1 construct or one with a default child.`);
  }
  return Stack.of(construct).getLogicalId(resource);
}
