import { randomUUID } from 'node:crypto';

import type { Context } from 'aws-lambda';

/** Options of a local invocation context. */
export interface LocalContextOptions {
  readonly functionName: string;
  /** Function timeout, in ms, from which `getRemainingTimeInMillis` counts down. */
  readonly timeoutMs: number;
  /** @default 512 */
  readonly memoryLimitInMB?: number;
}

/** Builds the context object that Lambda passes to a handler, for one local invocation. */
export function createLocalContext(options: LocalContextOptions): Context {
  const deadline = Date.now() + options.timeoutMs;
  const region = 'local';
  const unsupported = (name: string) => (): never => {
    throw new Error(`context.${name}() is a legacy Lambda API that the handlers do not use`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 512),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
