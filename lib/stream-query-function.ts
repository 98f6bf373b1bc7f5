import * as path from 'node:path';

import { Duration } from 'aws-cdk-lib';
import { FunctionUrlAuthType, InvokeMode, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

import { QueryFunction, type QueryFunctionOptions } from './query-function';

/** Default entry of the streaming handler, in this repository. */
export const DEFAULT_STREAM_QUERY_ENTRY = path.resolve(__dirname, '..', 'lambdas', 'stream-query', 'handler.ts');

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
}

/**
 * The streaming query function behind a function URL in RESPONSE_STREAM mode, so each result
 * reaches the client as soon as it completes. Callers sign their requests with SigV4 (AWS_IAM).
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

    this.functionUrl = this.function.addFunctionUrl({
      authType: FunctionUrlAuthType.AWS_IAM,
      invokeMode: InvokeMode.RESPONSE_STREAM,
    });
  }
}
