import { buildCacheKey, callerPartition, canonicalJson, serverFingerprint } from '../../../lambdas/runtime/cache/cache-key';
import { resolveServer } from '../../../lambdas/runtime/config/server-config';

const docs = resolveServer('docs', { url: 'https://docs.example.com/mcp', cache: { ttlSeconds: 60, cacheableTools: ['search'] } });

function keyOf(server: typeof docs, method: string, params: Record<string, unknown>, generation = '0.0'): string {
  return buildCacheKey(server, { method, params, generation });
}

describe('cache keys', () => {
  it('sorts object keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });

  it('gives equal keys for params in another key order', () => {
    const first = keyOf(docs, 'tools/call', { name: 'search', arguments: { q: 'x', limit: 5 } });
    const second = keyOf(docs, 'tools/call', { arguments: { limit: 5, q: 'x' }, name: 'search' });

    expect(first).toBe(second);
  });

  it('gives other keys for other params, methods and servers', () => {
    const key = keyOf(docs, 'tools/call', { name: 'search', arguments: { q: 'x' } });

    expect(keyOf(docs, 'tools/call', { name: 'search', arguments: { q: 'y' } })).not.toBe(key);
    expect(keyOf(docs, 'prompts/get', { name: 'search', arguments: { q: 'x' } })).not.toBe(key);
    expect(keyOf({ ...docs, name: 'docs2' }, 'tools/call', { name: 'search', arguments: { q: 'x' } })).not.toBe(key);
  });

  it('changes the fingerprint with the server URL or cache policy', () => {
    const fingerprint = serverFingerprint(docs);

    expect(serverFingerprint({ ...docs, url: 'https://docs.example.com/v2/mcp' })).not.toBe(fingerprint);
    expect(serverFingerprint({ ...docs, cache: { ...docs.cache, ttlSeconds: 61 } })).not.toBe(fingerprint);
    expect(serverFingerprint({ ...docs, description: 'renamed' })).toBe(fingerprint);
  });

  it('starts with the namespace and schema version', () => {
    expect(keyOf(docs, 'tools/list', {})).toMatch(/^mcpa:v1:docs:[0-9a-f]{12}:g0\.0:tools\/list:[0-9a-f]{64}$/);
  });

  it('changes with the generation', () => {
    expect(keyOf(docs, 'tools/list', {}, '1.0')).not.toBe(keyOf(docs, 'tools/list', {}, '0.0'));
  });

  it('puts a caller partition at the end', () => {
    const partitioned = buildCacheKey(docs, { method: 'tools/list', params: {}, generation: '0', partition: callerPartition('arn:aws:iam::1:user/a') });

    expect(partitioned).toMatch(/:p:[0-9a-f]{24}$/);
    expect(partitioned).not.toContain('arn:aws');
  });
});

describe('bundled server fingerprints', () => {
  it('ignores the loopback URL of a launched server', () => {
    const first = resolveServer('everything', { url: 'http://127.0.0.1:40001/mcp', launch: 'server-everything' });
    const second = resolveServer('everything', { url: 'http://127.0.0.1:40002/mcp', launch: 'server-everything' });

    expect(serverFingerprint(first)).toBe(serverFingerprint(second));
  });
});
