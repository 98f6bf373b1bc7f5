import { Logger } from '@aws-lambda-powertools/logger';

import { SERVICE_NAME } from './metrics/catalogue';

/**
 * The runtime's structured logger. Components take a child with a `component` key.
 * `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_LOG_LEVEL` override the defaults.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });
