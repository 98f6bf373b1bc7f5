import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

import { answerQueries } from '@mcp-accelerator/runtime';

/** API Gateway handler for `POST /query`: the work lives in the shared runtime layer. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  return answerQueries(event, context);
}
