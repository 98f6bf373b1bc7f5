import * as path from 'node:path';

import { Annotations, Duration } from 'aws-cdk-lib';
import { FunctionUrlAuthType, HttpMethod, InvokeMode, type FunctionUrl, type FunctionUrlCorsOptions } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

import { RUNTIME_ENV } from '../lambdas/runtime/config/environment';

import { QueryFunction, type QueryFunctionOptions } from './query-function';

/** Default entry of the streaming handler, in this repository. */
export const DEFAULT_STREAM_QUERY_ENTRY = path.resolve(__dirname, '..', 'lambdas', 'stream-query', 'handler.ts');

/** How long browsers may cache a CORS preflight response, in seconds. */
const CORS_MAX_AGE_SECONDS = 600;

/** Properties of {@link StreamQueryFunction}. */
export interface StreamQueryFunctionProps extends QueryFunctionOptions {
  /**
   * Absolute path of the TypeScript handler entry, which exports `handler` wrapped in
   * `awslambda.streamifyResponse`.
   * @default - lambdas/stream-query/handler.ts in this repository
   */
  readonly entry?: string;

  /**
   * Timeout of the function, which bounds the whole stream. The runtime ends the stream before it.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;

  /**
   * Auth type of the function URL. `NONE` lets anyone on the internet call the function and spend
   * its upstream credentials, so it is meant for demos, and synthesis warns about it.
   * @default FunctionUrlAuthType.AWS_IAM
   */
  readonly authType?: FunctionUrlAuthType;

  /**
   * Origins that browsers may call the function URL from, such as `https://app.example.com`,
   * or `*` for any.
   * @default - no CORS headers, so browsers on other origins cannot read responses
   */
  readonly corsAllowedOrigins?: readonly string[];

  /**
   * Minimum size of each streamed write, in bytes, for a front end that holds back small writes.
   * Padding never changes the parsed events.
   * @default 0 - no padding
   */
  readonly padToBytes?: number;
}

/**
 * The streaming query function behind a function URL in RESPONSE_STREAM mode, so each result
 * reaches the client as soon as it completes. By default callers sign their requests with SigV4 (AWS_IAM).
 */
export class StreamQueryFunction extends QueryFunction {
  /** The function URL. */
  readonly functionUrl: FunctionUrl;

  constructor(scope: Construct, id: string, props: StreamQueryFunctionProps) {
    super(scope, id, {
      ...props,
      entry: props.entry ?? DEFAULT_STREAM_QUERY_ENTRY,
      description: 'mcp-accelerator: streams query results through a function URL',
      timeout: props.timeout ?? Duration.seconds(60),
    });

    if (props.padToBytes !== undefined && props.padToBytes > 0) {
      this.function.addEnvironment(RUNTIME_ENV.streamPadBytes, String(props.padToBytes));
    }

    const authType = props.authType ?? FunctionUrlAuthType.AWS_IAM;
    this.functionUrl = this.function.addFunctionUrl({
      authType,
      invokeMode: InvokeMode.RESPONSE_STREAM,
      cors: corsOptions(props.corsAllowedOrigins ?? []),
    });

    if (authType === FunctionUrlAuthType.NONE) {
      Annotations.of(this).addWarningV2(
        'mcp-accelerator:publicFunctionUrl',
        'The function URL has auth type NONE, so anyone who finds the URL can run queries against the configured ' +
          'servers with their credentials; use it for demos only, and remove -c functionUrlAuth=NONE for anything else.',
      );
    }
  }
}

function corsOptions(allowedOrigins: readonly string[]): FunctionUrlCorsOptions | undefined {
  if (allowedOrigins.length === 0) {
    return undefined;
  }
  for (const origin of allowedOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^\s/]+$/.test(origin)) {
      throw new Error(`corsAllowedOrigins contains "${origin}"; use "*" or an origin such as https://app.example.com, with no path.`);
    }
  }
  return {
    allowedOrigins: [...allowedOrigins],
    allowedMethods: [HttpMethod.POST],
    // SigV4 signing adds the Authorization, X-Amz-* headers; Accept picks the stream format.
    allowedHeaders: ['content-type', 'accept', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'],
    exposedHeaders: ['content-type'],
    maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
  };
}
