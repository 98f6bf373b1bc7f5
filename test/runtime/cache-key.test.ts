import { buildCacheKey, canonicalJson, serverFingerprint } from '../../lambdas/runtime/cache/cache-key';
import type { ResolvedServer } from '../../lambdas/runtime/config/server-config';

const docs: ResolvedServer = { name: 'docs', url: 'https://docs.example.com/mcp', cache: { ttlSeconds: 60, cacheableTools: ['search'] } };

describe('cache keys', () => {
  it('sorts object keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });

  it('gives equal keys for params in another key order', () => {
    const first = buildCacheKey(docs, 'tools/call', { name: 'search', arguments: { q: 'x', limit: 5 } });
    const second = buildCacheKey(docs, 'tools/call', { arguments: { limit: 5, q: 'x' }, name: 'search' });

    expect(first).toBe(second);
  });

  it('gives other keys for other params, methods and servers', () => {
    const key = buildCacheKey(docs, 'tools/call', { name: 'search', arguments: { q: 'x' } });

    expect(buildCacheKey(docs, 'tools/call', { name: 'search', arguments: { q: 'y' } })).not.toBe(key);
    expect(buildCacheKey(docs, 'prompts/get', { name: 'search', arguments: { q: 'x' } })).not.toBe(key);
    expect(buildCacheKey({ ...docs, name: 'docs2' }, 'tools/call', { name: 'search', arguments: { q: 'x' } })).not.toBe(key);
  });

  it('changes the fingerprint with the server URL or cache policy', () => {
    const fingerprint = serverFingerprint(docs);

    expect(serverFingerprint({ ...docs, url: 'https://docs.example.com/v2/mcp' })).not.toBe(fingerprint);
    expect(serverFingerprint({ ...docs, cache: { ...docs.cache, ttlSeconds: 61 } })).not.toBe(fingerprint);
    expect(serverFingerprint({ ...docs, description: 'renamed' })).toBe(fingerprint);
  });

  it('starts with the namespace and schema version', () => {
    expect(buildCacheKey(docs, 'tools/list', {})).toMatch(/^mcpa:v1:docs:[0-9a-f]{12}:tools\/list:[0-9a-f]{64}$/);
  });
});
