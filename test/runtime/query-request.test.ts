import { parseQueryRequest, REQUEST_LIMITS } from '../../lambdas/runtime/request/query-request';
import { RequestError } from '../../lambdas/runtime/request/request-error';

const servers = ['docs', 'pricing'];

function rejectionOf(body: string | undefined): RequestError {
  try {
    parseQueryRequest(body, servers);
  } catch (error) {
    if (error instanceof RequestError) {
      return error;
    }
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('parseQueryRequest', () => {
  it('expands the tool shorthand to tools/call', () => {
    const request = parseQueryRequest(JSON.stringify({ queries: [{ server: 'docs', tool: 'search', arguments: { q: 'lambda' } }] }), servers);

    expect(request.queries[0]).toEqual({
      id: '0',
      index: 0,
      server: 'docs',
      method: 'tools/call',
      params: { name: 'search', arguments: { q: 'lambda' } },
      cache: 'default',
      timeoutMs: REQUEST_LIMITS.defaultTimeoutMs,
    });
  });

  it('keeps ids, params and per-query timeouts', () => {
    const request = parseQueryRequest(
      JSON.stringify({
        timeoutMs: 2000,
        concurrency: 3,
        queries: [
          { id: 'first', server: 'docs', method: 'resources/read', params: { uri: 'file:///a' }, cache: 'bypass' },
          { server: 'pricing', method: 'tools/list', timeoutMs: 500 },
        ],
      }),
      servers,
    );

    expect(request.concurrency).toBe(3);
    expect(request.queries[0]).toMatchObject({ id: 'first', params: { uri: 'file:///a' }, cache: 'bypass', timeoutMs: 2000 });
    expect(request.queries[1]).toMatchObject({ id: '1', params: {}, timeoutMs: 500 });
  });

  it.each([
    { name: 'an empty body', body: '', code: 'invalid_json', field: undefined },
    { name: 'a body that is not JSON', body: '{"queries":', code: 'invalid_json', field: undefined },
    { name: 'a missing queries array', body: '{}', code: 'invalid_request', field: 'queries' },
    { name: 'an empty queries array', body: '{"queries":[]}', code: 'invalid_request', field: 'queries' },
    { name: 'an unknown server', body: '{"queries":[{"server":"shop","tool":"x"}]}', code: 'unknown_server', field: 'queries[0].server' },
    {
      name: 'an unknown method',
      body: '{"queries":[{"server":"docs","method":"tools/delete"}]}',
      code: 'invalid_request',
      field: 'queries[0].method',
    },
    {
      name: 'an unknown cache mode',
      body: '{"queries":[{"server":"docs","tool":"x","cache":"forever"}]}',
      code: 'invalid_request',
      field: 'queries[0].cache',
    },
    {
      name: 'a timeout over the limit',
      body: '{"queries":[{"server":"docs","tool":"x","timeoutMs":600000}]}',
      code: 'invalid_request',
      field: 'queries[0].timeoutMs',
    },
    {
      name: 'params that are not an object',
      body: '{"queries":[{"server":"docs","method":"tools/list","params":[1]}]}',
      code: 'invalid_request',
      field: 'queries[0].params',
    },
    {
      name: 'a query with neither method nor tool',
      body: '{"queries":[{"server":"docs"}]}',
      code: 'invalid_request',
      field: 'queries[0].method',
    },
    {
      name: 'a concurrency over the limit',
      body: `{"queries":[{"server":"docs","tool":"x"}],"concurrency":${REQUEST_LIMITS.maxConcurrency + 1}}`,
      code: 'invalid_request',
      field: 'concurrency',
    },
  ])('rejects $name', ({ body, code, field }) => {
    const error = rejectionOf(body);

    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(error.statusCode).toBe(400);
    expect(error.fix.length).toBeGreaterThan(0);
  });

  it('names the configured servers in the fix for an unknown one', () => {
    const error = rejectionOf('{"queries":[{"server":"shop","tool":"x"}]}');

    expect(error.fix).toContain('docs, pricing');
  });

  it('rejects too many queries', () => {
    const queries = Array.from({ length: REQUEST_LIMITS.maxQueries + 1 }, () => ({ server: 'docs', tool: 'x' }));

    expect(rejectionOf(JSON.stringify({ queries })).field).toBe('queries');
  });

  it('rejects a body over the size limit with 413', () => {
    const error = rejectionOf(JSON.stringify({ queries: [{ server: 'docs', tool: 'x', arguments: { text: 'a'.repeat(REQUEST_LIMITS.maxBodyBytes) } }] }));

    expect(error.code).toBe('payload_too_large');
    expect(error.statusCode).toBe(413);
  });

  it('builds a body with code, message, field and fix only', () => {
    const body = rejectionOf('{"queries":[{"server":"shop","tool":"x"}]}').toBody();

    expect(Object.keys(body.error).sort()).toEqual(['code', 'field', 'fix', 'message']);
  });
});
