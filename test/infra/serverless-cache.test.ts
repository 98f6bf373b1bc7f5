import { Stack } from 'aws-cdk-lib';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';

import { RUNTIME_ENV } from '../../lambdas/runtime/config/environment';
import { ServerlessCache, type ServerlessCacheProps } from '../../lib/serverless-cache';
import { logicalIdOf, MIXED_CONFIG, synthesizeAcceleratorStack, type SynthesizedStack } from './support/synthesize';

let synthesized: SynthesizedStack;

beforeAll(() => {
  synthesized = synthesizeAcceleratorStack(MIXED_CONFIG, { cacheMode: 'serverless', serverlessMaxDataStorageGb: '2', serverlessMaxEcpuPerSecond: '3000' });
});

describe('ServerlessCache', () => {
  it('replaces the replication group', () => {
    synthesized.template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
    synthesized.template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 1);
  });

  it('runs Valkey with the usage limits from context', () => {
    synthesized.template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      CacheUsageLimits: { DataStorage: { Maximum: 2, Unit: 'GB' }, ECPUPerSecond: { Maximum: 3000 } },
    });
  });

  it('signs clients in through its RBAC user group', () => {
    const [userGroupId] = Object.keys(synthesized.template.findResources('AWS::ElastiCache::UserGroup'));

    synthesized.template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', { UserGroupId: { Ref: userGroupId } });
  });

  it('admits only the functions security group on port 6379', () => {
    const { stack, template } = synthesized;
    const cacheGroup = { 'Fn::GetAtt': [logicalIdOf(stack.cache.securityGroup), 'GroupId'] };
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((rule) => rule.Properties)
      .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(cacheGroup));

    expect(rules).toEqual([
      {
        GroupId: cacheGroup,
        IpProtocol: 'tcp',
        FromPort: 6379,
        ToPort: 6379,
        SourceSecurityGroupId: { 'Fn::GetAtt': [logicalIdOf(stack.network.functionsSecurityGroup), 'GroupId'] },
        Description: expect.any(String),
      },
    ]);
  });

  it('tells the functions to use the cluster protocol', () => {
    const { stack, template } = synthesized;
    const serverlessId = logicalIdOf((stack.cache as ServerlessCache).serverlessCache);

    for (const fn of [stack.streamQuery.function, stack.apiQuery.function]) {
      const variables = template.toJSON().Resources[logicalIdOf(fn)].Properties.Environment.Variables;
      expect(variables).toMatchObject({
        [RUNTIME_ENV.cacheMode]: 'serverless',
        [RUNTIME_ENV.cacheEndpoint]: { 'Fn::GetAtt': [serverlessId, 'Endpoint.Address'] },
        [RUNTIME_ENV.cachePort]: '6379',
        [RUNTIME_ENV.cacheSecretArn]: { Ref: logicalIdOf(stack.cache.secret) },
      });
    }
  });
});

describe('ServerlessCache props', () => {
  function buildWith(change: Partial<ServerlessCacheProps>): () => ServerlessCache {
    return () => {
      const stack = new Stack();
      const vpc = new Vpc(stack, 'Vpc');
      return new ServerlessCache(stack, 'Cache', { vpc, clientSecurityGroup: new SecurityGroup(stack, 'Clients', { vpc }), ...change });
    };
  }

  it.each([
    ['no storage', { maxDataStorageGb: 0 }, /maxDataStorageGb must be an integer from 1 to 5000, got 0/],
    ['too few ECPUs', { maxEcpuPerSecond: 10 }, /maxEcpuPerSecond must be an integer from 1000 to 15000000, got 10/],
    ['a disabled user', { accessString: 'off ~*' }, /accessString "off ~\*" leaves the user disabled/],
  ])('rejects %s', (_case, change, message) => {
    expect(buildWith(change)).toThrow(message);
  });
});
