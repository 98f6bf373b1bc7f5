import { Stack } from 'aws-cdk-lib';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { CfnUser } from 'aws-cdk-lib/aws-elasticache';

import { CacheCluster, type CacheClusterProps } from '../../lib/cache-cluster';
import { logicalIdOf, synthesizeAcceleratorStack, type SynthesizedStack } from './support/synthesize';

let synthesized: SynthesizedStack;

beforeAll(() => {
  synthesized = synthesizeAcceleratorStack();
});

function resourcesOfType(type: string): Array<[string, { Properties: Record<string, unknown> }]> {
  return Object.entries(synthesized.template.findResources(type)) as Array<[string, { Properties: Record<string, unknown> }]>;
}

describe('CacheCluster replication group', () => {
  it('encrypts in transit and at rest', () => {
    synthesized.template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
    });
  });

  it('runs Valkey with a replica and automatic failover across zones', () => {
    synthesized.template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      CacheNodeType: 'cache.t4g.micro',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
    });
  });

  it('signs clients in through its RBAC user group', () => {
    const { stack, template } = synthesized;
    const [userGroupId] = resourcesOfType('AWS::ElastiCache::UserGroup')[0];

    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      UserGroupIds: [{ Ref: userGroupId }],
      CacheSubnetGroupName: { Ref: logicalIdOf(stack.cache.node.findChild('SubnetGroup')) },
    });
  });

  it('takes user passwords from Secrets Manager at deploy time', () => {
    const users = resourcesOfType('AWS::ElastiCache::User');

    expect(users.length).toBe(2);
    for (const [userId, user] of users) {
      const passwords = JSON.stringify((user.Properties.AuthenticationMode as { Passwords: unknown }).Passwords);
      expect({ userId, dynamicReference: passwords.includes('{{resolve:secretsmanager:') }).toEqual({
        userId,
        dynamicReference: true,
      });
    }
  });

  it('lets the functions user run all but dangerous commands', () => {
    synthesized.template.hasResourceProperties('AWS::ElastiCache::User', {
      UserName: 'mcp-accelerator',
      AccessString: 'on ~* +@all -@dangerous +info',
    });
  });

  it('disables the default user', () => {
    synthesized.template.hasResourceProperties('AWS::ElastiCache::User', {
      UserName: 'default',
      AccessString: 'off -@all',
    });
  });
});

describe('CacheCluster security group', () => {
  it('has no inline ingress rules', () => {
    const { stack, template } = synthesized;
    const securityGroup = template.toJSON().Resources[logicalIdOf(stack.cache.securityGroup)];

    expect(securityGroup.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('admits only the functions security group on the cache port', () => {
    const { stack } = synthesized;
    const cacheGroupId = logicalIdOf(stack.cache.securityGroup);
    const rulesOfCacheGroup = resourcesOfType('AWS::EC2::SecurityGroupIngress')
      .map(([, rule]) => rule.Properties)
      .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify({ 'Fn::GetAtt': [cacheGroupId, 'GroupId'] }));

    expect(rulesOfCacheGroup).toEqual([
      {
        GroupId: { 'Fn::GetAtt': [cacheGroupId, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 6379,
        ToPort: 6379,
        SourceSecurityGroupId: { 'Fn::GetAtt': [logicalIdOf(stack.network.functionsSecurityGroup), 'GroupId'] },
        Description: expect.any(String),
      },
    ]);
  });

  it('admits no CIDR or prefix list anywhere in the stack', () => {
    const inline = resourcesOfType('AWS::EC2::SecurityGroup').flatMap(
      ([, group]) => (group.Properties.SecurityGroupIngress as Array<Record<string, unknown>> | undefined) ?? [],
    );
    const standalone = resourcesOfType('AWS::EC2::SecurityGroupIngress').map(([, rule]) => rule.Properties);

    for (const rule of [...inline, ...standalone]) {
      expect(rule).not.toHaveProperty('CidrIp');
      expect(rule).not.toHaveProperty('CidrIpv6');
      expect(rule).not.toHaveProperty('SourcePrefixListId');
    }
  });
});

describe('CacheCluster props', () => {
  function buildWith(change: Partial<CacheClusterProps>): () => CacheCluster {
    return () => {
      const stack = new Stack();
      const vpc = new Vpc(stack, 'Vpc');
      return new CacheCluster(stack, 'Cache', {
        vpc,
        clientSecurityGroup: new SecurityGroup(stack, 'Clients', { vpc }),
        ...change,
      });
    };
  }

  it.each([
    ['no replica', { replicasPerPrimary: 0 }, /replicasPerPrimary must be an integer from 1 to 5, got 0/],
    ['six replicas', { replicasPerPrimary: 6 }, /replicasPerPrimary must be an integer from 1 to 5, got 6/],
    ['an EC2 instance type', { cacheNodeType: 't4g.micro' }, /cacheNodeType "t4g\.micro" is not an ElastiCache node type/],
    ['a privileged port', { port: 80 }, /port must be an integer from 1024 to 65535, got 80/],
    ['a disabled user', { accessString: 'off ~* +@all' }, /accessString "off ~\* \+@all" leaves the user disabled/],
  ])('rejects %s', (_case, change, message) => {
    expect(buildWith(change)).toThrow(message);
  });

  it('gives two stacks different ElastiCache user ids', () => {
    const userIds = ['StackA', 'StackB'].map((stackName) => {
      const stack = new Stack(undefined, stackName);
      const vpc = new Vpc(stack, 'Vpc');
      const cache = new CacheCluster(stack, 'Cache', { vpc, clientSecurityGroup: new SecurityGroup(stack, 'Clients', { vpc }) });
      return (cache.node.findChild('Users').node.findChild('User') as CfnUser).userId;
    });

    expect(userIds[0]).not.toBe(userIds[1]);
    for (const userId of userIds) {
      expect(userId).toMatch(/^[a-z][a-z0-9-]{0,39}$/);
    }
  });
});
