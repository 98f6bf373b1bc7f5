import { Annotations, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { readConfigFile } from './config-file';
import { DEPLOYMENT_OPTION_NAMES, readDeploymentOptions, unknownOptionNames } from './deployment-options';
import { McpAcceleratorStack } from './mcp-accelerator-stack';

/** Id and stack name of the accelerator stack. */
export const STACK_ID = 'McpAccelerator';

/**
 * Builds the accelerator into an app from its context: reads and validates the context options
 * and the configuration file, adds the stack and registers cdk-nag's AwsSolutions checks, which
 * fail synthesis on any finding that is not acknowledged.
 * @throws DeploymentOptionsError or ConfigError naming the invalid option or field
 */
export function buildAcceleratorApp(app: App): McpAcceleratorStack {
  const options = readDeploymentOptions(app.node);
  const config = readConfigFile(options.configFile);

  // No env: the stack is environment-agnostic, so synthesis makes no AWS calls and needs no
  // credentials. A new VPC takes its two availability zones from Fn::GetAZs at deploy time.
  const stack = new McpAcceleratorStack(app, STACK_ID, { config, options });

  const contextKeys = Object.keys({ ...app.node.getAllContext() });
  for (const name of unknownOptionNames(contextKeys)) {
    Annotations.of(stack).addWarningV2(
      `mcp-accelerator:unknownContextOption:${name}`,
      `Context key "${name}" is not an option of this app, so it has no effect; the options are ${DEPLOYMENT_OPTION_NAMES.join(', ')}.`,
    );
  }

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
