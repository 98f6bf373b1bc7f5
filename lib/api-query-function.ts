import * as path from 'node:path';

import { Annotations, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';

import { QueryFunction, type QueryFunctionOptions } from './query-function';

/** Default entry of the API handler, in this repository. */
export const DEFAULT_API_QUERY_ENTRY = path.resolve(__dirname, '..', 'lambdas', 'api-query', 'handler.ts');

/** Default API Gateway integration timeout of a REST API, in seconds. */
const API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29;

/** Properties of {@link ApiQueryFunction}. */
export interface ApiQueryFunctionProps extends QueryFunctionOptions {
  /**
   * Absolute path of the TypeScript handler entry, which exports `handler` for API Gateway
   * REST proxy events.
   * @default - lambdas/api-query/handler.ts in this repository
   */
  readonly entry?: string;

  /**
   * Timeout of the function. API Gateway stops waiting after 29 seconds unless the account's
   * integration timeout quota is raised, so the default leaves it one second.
   * @default Duration.seconds(28)
   */
  readonly timeout?: Duration;
}

/** The query function behind the REST API, which returns one buffered JSON response. */
export class ApiQueryFunction extends QueryFunction {
  constructor(scope: Construct, id: string, props: ApiQueryFunctionProps) {
    const timeout = props.timeout ?? Duration.seconds(28);
    super(scope, id, {
      ...props,
      entry: props.entry ?? DEFAULT_API_QUERY_ENTRY,
      description: 'mcp-accelerator: handles POST /query of the REST API',
      timeout,
    });

    if (timeout.toSeconds() > API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS) {
      Annotations.of(this).addWarningV2(
        'mcp-accelerator:apiTimeoutOverIntegrationTimeout',
        `timeout is ${timeout.toSeconds()} seconds, over the ${API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS}-second default ` +
          'API Gateway integration timeout; raise that quota for the account, or lower the timeout so the runtime ' +
          'can end its response before API Gateway gives up.',
      );
    }
  }
}
