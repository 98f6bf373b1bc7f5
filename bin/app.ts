#!/usr/bin/env node
import { App } from 'aws-cdk-lib';

import { buildAcceleratorApp } from '../lib/accelerator-app';

// Context options (-c key=value or cdk.json) are listed in docs/deploy.md.
buildAcceleratorApp(new App());
