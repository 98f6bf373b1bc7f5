#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { DEFAULT_CONFIG_FILE, readConfigFile } from '../lib/config-file';
import { McpAcceleratorStack } from '../lib/mcp-accelerator-stack';

const app = new App();

const configFile: unknown = app.node.tryGetContext('configFile') ?? DEFAULT_CONFIG_FILE;
if (typeof configFile !== 'string' || configFile.trim() === '') {
  throw new Error(`context configFile must be a file path, got ${JSON.stringify(configFile)}; pass -c configFile=PATH.`);
}
const config = readConfigFile(configFile);

// No env: the stack is environment-agnostic, so synthesis makes no AWS calls and needs no
// credentials. The VPC takes its two availability zones from Fn::GetAZs at deploy time.
new McpAcceleratorStack(app, 'McpAccelerator', { config });

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
