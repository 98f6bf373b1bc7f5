import * as path from 'node:path';

import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
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

/**
 * The function behind every route of the REST API. Beside the grants of every query function, it
 * may read CloudWatch metrics, for `GET /metrics`.
 */
export class ApiQueryFunction extends QueryFunction {
  constructor(scope: Construct, id: string, props: ApiQueryFunctionProps) {
    const timeout = props.timeout ?? Duration.seconds(28);
    super(scope, id, {
      ...props,
      entry: props.entry ?? DEFAULT_API_QUERY_ENTRY,
      description: 'mcp-accelerator: handles the routes of the REST API',
      timeout,
    });

    this.grantMetricsRead();
    // GET /metrics also reports the cache cluster's engine, version, nodes and status.
    props.cache.grantDescribe(this.function);

    if (timeout.toSeconds() > API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS) {
      Annotations.of(this).addWarningV2(
        'mcp-accelerator:apiTimeoutOverIntegrationTimeout',
        `timeout is ${timeout.toSeconds()} seconds, over the ${API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS}-second default ` +
          'API Gateway integration timeout; raise that quota for the account, or lower the timeout so the runtime ' +
          'can end its response before API Gateway gives up.',
      );
    }
  }

  /** Lets `GET /metrics` read the accelerator's recent figures through GetMetricData. */
  private grantMetricsRead(): void {
    const role = this.function.role;
    if (role === undefined) {
      throw new Error(`${this.function.node.path} has no execution role, so GET /metrics could not read metrics.`);
    }
    // cloudwatch:GetMetricData supports no resource-level permissions, so AWS requires Resource "*".
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:GetMetricData supports no resource-level permissions, so AWS requires Resource "*" for it; ' +
        'the role\'s other "*" grant is the VPC network interface actions that every query function needs.',
    });
  }
}
