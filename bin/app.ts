#!/usr/bin/env node
import { App } from 'aws-cdk-lib';

import { ConfigError } from '../lambdas/runtime/config/server-config';
import { buildAcceleratorApp } from '../lib/accelerator-app';
import { DeploymentOptionsError } from '../lib/deployment-options';

// Context options (-c key=value or cdk.json) are listed in docs/deploy.md.
try {
  buildAcceleratorApp(new App());
} catch (error) {
  // A bad config or option is the user's to fix: its message names the field, so no stack trace.
  if (error instanceof ConfigError || error instanceof DeploymentOptionsError) {
    console.error(`mcp-accelerator: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
