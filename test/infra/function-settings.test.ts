import { Match } from 'aws-cdk-lib/assertions';

import { RUNTIME_ENV } from '../../lambdas/runtime/config/environment';
import { MIXED_CONFIG, policyStatements, synthesizeAcceleratorStack, type SynthesizedStack } from './support/synthesize';

/** Actions of the policy statements attached to one function's role. */
function describeActionsOf(synthesized: SynthesizedStack, functionLogicalIdPrefix: string): string[] {
  return policyStatements(synthesized.template)
    .filter(({ policyId }) => policyId.startsWith(functionLogicalIdPrefix))
    .flatMap(({ statement }) => ([] as string[]).concat(statement.Action as string | string[]))
    .filter((action) => action.startsWith('elasticache:'));
}

describe.each([
  { mode: 'provisioned', actions: ['elasticache:DescribeCacheClusters', 'elasticache:DescribeReplicationGroups'] },
  { mode: 'serverless', actions: ['elasticache:DescribeServerlessCaches'] },
])('GET /metrics permissions with a $mode cache', ({ mode, actions }) => {
  let synthesized: SynthesizedStack;

  beforeAll(() => {
    synthesized = synthesizeAcceleratorStack(MIXED_CONFIG, { cacheMode: mode });
  });

  it('lets only the API function describe the cache', () => {
    expect(describeActionsOf(synthesized, 'ApiQuery').sort()).toEqual(actions);
    expect(describeActionsOf(synthesized, 'StreamQuery')).toEqual([]);
  });

  it('scopes the describe grant to this cache', () => {
    const statements = policyStatements(synthesized.template).filter(({ statement }) =>
      ([] as string[]).concat(statement.Action as string | string[]).some((action) => action.startsWith('elasticache:Describe')),
    );

    expect(statements.length).toBeGreaterThan(0);
    for (const { statement } of statements) {
      expect(JSON.stringify(statement.Resource)).not.toContain('"*"');
      expect(JSON.stringify(statement.Resource)).toContain(JSON.stringify(synthesized.stack.resolve(synthesized.stack.cache.cacheId)));
    }
  });

  it('passes the cache id to the functions', () => {
    synthesized.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [RUNTIME_ENV.cacheId]: synthesized.stack.resolve(synthesized.stack.cache.cacheId) }) },
    });
  });
});

describe('stream padding option', () => {
  it('sets the padding only on the streaming function', () => {
    const synthesized = synthesizeAcceleratorStack(MIXED_CONFIG, { streamPadBytes: '512' });
    const functions = Object.values(synthesized.template.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }[];
    const padded = functions.filter((resource) => resource.Properties.Environment?.Variables?.[RUNTIME_ENV.streamPadBytes] === '512');

    expect(padded).toHaveLength(1);
    expect(synthesized.stack.resolve(synthesized.stack.streamQuery.function.functionName)).toEqual(expect.anything());
  });

  it('rejects a padding over 65536 bytes', () => {
    expect(() => synthesizeAcceleratorStack(MIXED_CONFIG, { streamPadBytes: '70000' })).toThrow(/streamPadBytes/);
  });
});
