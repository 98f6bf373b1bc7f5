import { streamQueries } from '@mcp-accelerator/runtime';

/** Function URL handler in RESPONSE_STREAM mode: the work lives in the shared runtime layer. */
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  await streamQueries(event, responseStream, context);
});
