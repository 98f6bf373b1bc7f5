import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

import { handleApiRequest } from '@mcp-accelerator/runtime';

/** API Gateway handler for every REST route: the work lives in the shared runtime layer. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  return handleApiRequest(event, context);
}
