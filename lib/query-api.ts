import { Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  ResponseTransferMode,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import { REQUEST_LIMITS } from '../lambdas/runtime/request/query-request';

/** Properties of {@link QueryApi}. */
export interface QueryApiProps {
  /** Function that handles every route, through Lambda proxy integrations. */
  readonly queryFunction: IFunction;

  /**
   * Whether `POST /query` streams the function's response (`responseTransferMode: STREAM`).
   * Streaming needs a handler wrapped in `awslambda.streamifyResponse` that writes the HTTP
   * metadata first; a buffered handler's JSON would reach the client as the raw body.
   * @default false
   */
  readonly streamQueryResponses?: boolean;

  /**
   * Steady-state request rate of the stage, in requests per second.
   * @default 100
   */
  readonly throttlingRateLimit?: number;

  /**
   * Burst of requests that the stage admits above the steady rate.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Retention of the access log.
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;

  /**
   * Whether to create the account-level role through which API Gateway writes logs to CloudWatch.
   * Access and execution logs need it. Set false where the account already has one.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
}

/** Routes of the REST API besides `POST /query`, all sent to the same function. */
export const QUERY_API_ROUTES = [
  { method: 'GET', path: 'servers' },
  { method: 'GET', path: 'metrics' },
  { method: 'GET', path: 'health' },
  { method: 'DELETE', path: 'cache' },
] as const;

/**
 * The REST API in front of the API function: `POST /query`, `GET /servers`, `GET /metrics`,
 * `GET /health` and `DELETE /cache`, with IAM (SigV4) authorization on every method, stage
 * throttling, access and execution logs, and a body validator on `POST /query`.
 */
export class QueryApi extends Construct {
  /** The REST API. */
  readonly restApi: RestApi;

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);

    const throttlingRateLimit = props.throttlingRateLimit ?? 100;
    const throttlingBurstLimit = props.throttlingBurstLimit ?? 200;
    validateThrottling(throttlingRateLimit, throttlingBurstLimit);

    const accessLogGroup = new LogGroup(this, 'AccessLogGroup', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
    });

    this.restApi = new RestApi(this, 'RestApi', {
      description: 'mcp-accelerator: parallel MCP queries with a cache, buffered JSON responses',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole ?? true,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit,
        throttlingBurstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogGroup),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request and response bodies hold MCP results, so they stay out of the execution log.
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });

    // The stack exports the stage URL as ApiUrl, so the output that RestApi adds would repeat it.
    this.restApi.node.tryRemoveChild('Endpoint');

    this.addQueryMethod(props.queryFunction, props.streamQueryResponses ?? false);
    for (const route of QUERY_API_ROUTES) {
      // The runtime reads DELETE /cache's optional filters from the query string or body and validates them itself.
      this.restApi.root.addResource(route.path).addMethod(route.method, new LambdaIntegration(props.queryFunction, { proxy: true }), {
        authorizationType: AuthorizationType.IAM,
      });
    }

    this.acknowledgeNagFindings();
  }

  private addQueryMethod(queryFunction: IFunction, streamResponses: boolean): void {
    const requestModel = this.restApi.addModel('QueryRequest', {
      contentType: 'application/json',
      description: 'A request of one or more MCP queries',
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        title: 'QueryRequest',
        type: JsonSchemaType.OBJECT,
        required: ['queries'],
        properties: {
          queries: {
            type: JsonSchemaType.ARRAY,
            minItems: 1,
            maxItems: REQUEST_LIMITS.maxQueries,
            items: { type: JsonSchemaType.OBJECT },
          },
        },
      },
    });
    // NOTE: the model checks the shape only, and the runtime validates each query and names the invalid field.
    const bodyValidator = new RequestValidator(this, 'BodyValidator', {
      restApi: this.restApi,
      validateRequestBody: true,
      // No method requires a parameter yet, but checking them costs nothing and covers methods added later.
      validateRequestParameters: true,
    });

    const integration = new LambdaIntegration(queryFunction, {
      proxy: true,
      responseTransferMode: streamResponses ? ResponseTransferMode.STREAM : ResponseTransferMode.BUFFERED,
    });
    this.restApi.root.addResource('query').addMethod('POST', integration, {
      authorizationType: AuthorizationType.IAM,
      requestValidator: bodyValidator,
      requestModels: { 'application/json': requestModel },
    });
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers are AI agents and services with AWS credentials, so the methods use IAM (SigV4) ' +
        'authorization instead of a Cognito user pool, which identifies human users.',
    });
    // TODO: add a WAFv2 web ACL with a rate-based rule when the API is exposed beyond IAM principals.
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Every method requires a SigV4 signature from an IAM principal of the account, and the stage is ' +
        'throttled, so unauthenticated traffic never reaches the function.',
    });
    if (this.restApi.node.tryFindChild('CloudWatchRole') !== undefined) {
      Validations.of(this.restApi).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'AmazonAPIGatewayPushToCloudWatchLogs is the policy that AWS documents for the account-level role ' +
          'through which API Gateway writes access and execution logs to log groups that it names itself.',
      });
    }
  }
}

function validateThrottling(rateLimit: number, burstLimit: number): void {
  if (!Number.isFinite(rateLimit) || rateLimit <= 0) {
    throw new Error(`throttlingRateLimit must be a positive number of requests per second, got ${rateLimit}.`);
  }
  if (!Number.isInteger(burstLimit) || burstLimit < 1) {
    throw new Error(`throttlingBurstLimit must be a positive integer, got ${burstLimit}.`);
  }
}
