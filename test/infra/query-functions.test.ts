import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import { CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';

import { readServersFromEnvironment } from '../../lambdas/runtime/runtime-context';
import { RUNTIME_ENV } from '../../lambdas/runtime/config/environment';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/runtime/metrics/catalogue';
import { ApiQueryFunction } from '../../lib/api-query-function';
import type { CacheCluster } from '../../lib/cache-cluster';
import type { CloudServerConfig } from '../../lib/query-function';
import { StreamQueryFunction } from '../../lib/stream-query-function';
import { logicalIdOf, MIXED_CONFIG, policyStatements, synthesizeAcceleratorStack, type SynthesizedStack } from './support/synthesize';

let synthesized: SynthesizedStack;

beforeAll(() => {
  synthesized = synthesizeAcceleratorStack();
});

/** Logical ids of the Lambda functions of the accelerator, without CDK's custom resource providers. */
function ourFunctionIds(): string[] {
  const { stack } = synthesized;
  const functions = stack.node
    .findAll()
    .filter((construct): construct is CfnResource => CfnResource.isCfnResource(construct))
    .filter((resource) => resource.cfnResourceType === 'AWS::Lambda::Function');

  // CDK's own providers sit under a construct whose id starts with "Custom::".
  const isCdkProvider = (resource: CfnResource) => resource.node.scopes.some((scope) => scope.node.id.startsWith('Custom::'));
  return functions.filter((resource) => !isCdkProvider(resource)).map((resource) => stack.getLogicalId(resource));
}

function environmentOf(functionId: string): Record<string, unknown> {
  const properties = synthesized.template.toJSON().Resources[functionId].Properties;
  return properties.Environment.Variables;
}

describe('StreamQueryFunction', () => {
  it('has a function URL in RESPONSE_STREAM mode with AWS_IAM auth', () => {
    const { stack, template } = synthesized;

    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      InvokeMode: 'RESPONSE_STREAM',
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalIdOf(stack.streamQuery.function), 'Arn'] },
    });
  });
});

describe('query functions', () => {
  it('are exactly the stream and API functions', () => {
    const { stack } = synthesized;

    expect(ourFunctionIds().sort()).toEqual(
      [logicalIdOf(stack.streamQuery.function), logicalIdOf(stack.apiQuery.function)].sort(),
    );
  });

  it('all attach the runtime layer', () => {
    const { stack, template } = synthesized;
    const layerId = logicalIdOf(stack.runtimeLayer.layerVersion);

    for (const functionId of ourFunctionIds()) {
      const properties = template.toJSON().Resources[functionId].Properties;
      expect({ functionId, layers: properties.Layers }).toEqual({ functionId, layers: [{ Ref: layerId }] });
    }
  });

  it('all run on arm64 with Node.js 22 or newer', () => {
    const { template } = synthesized;

    for (const functionId of ourFunctionIds()) {
      const properties = template.toJSON().Resources[functionId].Properties;
      expect({ functionId, architectures: properties.Architectures }).toEqual({ functionId, architectures: ['arm64'] });

      const nodeMajor = Number(/^nodejs(\d+)\.x$/.exec(properties.Runtime)?.[1]);
      expect({ functionId, runtime: properties.Runtime, atLeast22: nodeMajor >= 22 }).toEqual({
        functionId,
        runtime: properties.Runtime,
        atLeast22: true,
      });
    }
  });

  it('run in the private subnets with the functions security group', () => {
    const { stack, template } = synthesized;
    const privateSubnetIds = stack.network.vpc.privateSubnets.map((subnet) => ({
      Ref: logicalIdOf(subnet),
    }));

    for (const functionId of ourFunctionIds()) {
      const vpcConfig = template.toJSON().Resources[functionId].Properties.VpcConfig;
      expect(vpcConfig.SecurityGroupIds).toEqual([
        { 'Fn::GetAtt': [logicalIdOf(stack.network.functionsSecurityGroup), 'GroupId'] },
      ]);
      expect(vpcConfig.SubnetIds).toEqual(privateSubnetIds);
    }
  });

  it('pass only servers with a URL to the runtime', () => {
    for (const functionId of ourFunctionIds()) {
      const servers = JSON.parse(environmentOf(functionId)[RUNTIME_ENV.servers] as string);
      expect(Object.keys(servers)).toEqual(['docs']);
      expect(servers.docs).toMatchObject({
        url: 'https://mcp.example.com/mcp',
        description: 'A remote server',
        cache: { ttlSeconds: 60, cacheableTools: ['search'] },
      });
      expect(servers.docs).not.toHaveProperty('launch');
    }
  });

  it('pass the cache settings and Powertools names', () => {
    const { stack } = synthesized;

    for (const functionId of ourFunctionIds()) {
      expect(environmentOf(functionId)).toMatchObject({
        [RUNTIME_ENV.cacheEndpoint]: { 'Fn::GetAtt': [logicalIdOf((stack.cache as CacheCluster).replicationGroup), 'PrimaryEndPoint.Address'] },
        [RUNTIME_ENV.cachePort]: '6379',
        [RUNTIME_ENV.cacheMode]: 'provisioned',
        [RUNTIME_ENV.cacheSecretArn]: { Ref: logicalIdOf(stack.cache.secret) },
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
    }
  });

  it('log to their own log groups with a retention', () => {
    const { template } = synthesized;
    const resources = template.toJSON().Resources;

    for (const functionId of ourFunctionIds()) {
      const logGroupRef = resources[functionId].Properties.LoggingConfig.LogGroup;
      const logGroupId: string = logGroupRef.Ref;
      expect(resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroupId].Properties.RetentionInDays).toBe(30);
    }
  });

  it('read only the cache user secret from Secrets Manager', () => {
    const { stack, template } = synthesized;
    const policies = template.findResources('AWS::IAM::Policy');
    const secretStatements = Object.values(policies)
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>)
      .filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:'));

    expect(secretStatements.length).toBe(2);
    for (const statement of secretStatements) {
      expect(statement.Resource).toEqual({ Ref: logicalIdOf(stack.cache.secret) });
      expect(statement.Action).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    }
  });

  it('have roles without AWS managed policies', () => {
    const { template } = synthesized;
    const resources = template.toJSON().Resources;

    for (const functionId of ourFunctionIds()) {
      const roleId: string = resources[functionId].Properties.Role['Fn::GetAtt'][0];
      expect({ functionId, managedPolicies: resources[roleId].Properties.ManagedPolicyArns }).toEqual({
        functionId,
        managedPolicies: undefined,
      });
    }
  });
});

describe('bundles', () => {
  function assetDirectory(resourceType: string, logicalId: string): string {
    const { app, template } = synthesized;
    const properties = template.toJSON().Resources[logicalId].Properties;
    const s3Key: string = (properties.Content ?? properties.Code).S3Key;
    expect({ resourceType, s3Key }).toEqual({ resourceType, s3Key: expect.stringMatching(/^[0-9a-f]{64}\.zip$/) });
    return path.join(app.outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
  }

  it('put the runtime at its package path in the layer', () => {
    const { stack } = synthesized;
    const directory = assetDirectory('AWS::Lambda::LayerVersion', logicalIdOf(stack.runtimeLayer.layerVersion));

    expect(existsSync(path.join(directory, 'nodejs/node_modules/@mcp-accelerator/runtime/index.js'))).toBe(true);
  });

  it('leave the runtime out of each handler bundle', () => {
    const { stack } = synthesized;

    for (const fn of [stack.streamQuery.function, stack.apiQuery.function]) {
      const directory = assetDirectory('AWS::Lambda::Function', logicalIdOf(fn));
      const bundle = readFileSync(path.join(directory, 'index.js'), 'utf8');
      expect(bundle).toContain('require("@mcp-accelerator/runtime")');
    }
  });
});

describe('query function props', () => {
  /** Returns the props that every query function needs, built in a stack of its own. */
  function requiredOptions(stack: Stack) {
    const vpc = new Vpc(stack, 'Vpc');
    return {
      layer: new LayerVersion(stack, 'Layer', { code: Code.fromAsset(path.join(__dirname, 'support')) }),
      vpc,
      securityGroup: new SecurityGroup(stack, 'SecurityGroup', { vpc }),
      servers: {},
      cache: {
        mode: 'provisioned' as const,
        endpointAddress: 'cache.example.internal',
        port: 6379,
        secret: new Secret(stack, 'Secret'),
        cacheId: 'test-group',
        grantDescribe: () => undefined,
      },
    };
  }

  it.each([
    ['a Node.js 20 runtime', { runtime: Runtime.NODEJS_20_X }, /runtime nodejs20\.x is not supported/],
    ['a Python runtime', { runtime: Runtime.PYTHON_3_13 }, /runtime python3\.13 is not supported/],
    ['64 MB of memory', { memorySizeMb: 64 }, /memorySizeMb must be an integer from 128 to 10240, got 64/],
    ['a 16-minute timeout', { timeout: Duration.minutes(16) }, /timeout must be from 1 to 900 seconds .*got 960 seconds/],
    ['a missing entry', { entry: '/nonexistent/handler.ts' }, /entry "\/nonexistent\/handler\.ts" does not exist/],
    [
      'a servers JSON over 3072 bytes',
      { servers: { big: { url: 'https://example.com', description: 'x'.repeat(4000) } as unknown as CloudServerConfig } },
      /servers JSON is \d+ bytes, over the 3072 bytes/,
    ],
  ])('rejects %s', (_case, change, message) => {
    const stack = new Stack();

    expect(() => new StreamQueryFunction(stack, 'StreamQuery', { ...requiredOptions(stack), ...change })).toThrow(message);
  });

  it('warns when the API function outlives the API Gateway timeout', () => {
    const stack = new Stack();
    const apiQuery = new ApiQueryFunction(stack, 'ApiQuery', { ...requiredOptions(stack), timeout: Duration.seconds(45) });

    const warnings = apiQuery.node.metadata.filter((entry) => entry.type === 'aws:cdk:warning').map((entry) => String(entry.data));
    expect(warnings).toEqual([expect.stringContaining('timeout is 45 seconds, over the 29-second default')]);
  });
});

describe('query function policies', () => {
  /** Statements that AWS requires on Resource "*": Lambda's VPC attachment and GetMetricData. */
  const WILDCARD_ACTIONS = new Set([
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
    'cloudwatch:GetMetricData',
  ]);

  it('use Resource "*" only for actions without resource-level permissions', () => {
    const wildcardActions = policyStatements(synthesized.template)
      .filter(({ statement }) => JSON.stringify(statement.Resource) === '"*"')
      .flatMap(({ statement }) => [statement.Action].flat() as string[]);

    expect(wildcardActions.length).toBeGreaterThan(0);
    expect(wildcardActions.filter((action) => !WILDCARD_ACTIONS.has(action))).toEqual([]);
  });

  it('grant GetMetricData to the API function only', () => {
    const { stack, template } = synthesized;
    const resources = template.toJSON().Resources;
    const roleOf = (fn: { node: unknown }) => resources[logicalIdOf(fn as never)].Properties.Role['Fn::GetAtt'][0];
    const rolesWithMetrics = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes('cloudwatch:GetMetricData'))
      .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref));

    expect(rolesWithMetrics).toEqual([roleOf(stack.apiQuery.function)]);
  });
});

describe('query functions with upstream credentials', () => {
  let withAuth: SynthesizedStack;

  beforeAll(() => {
    withAuth = synthesizeAcceleratorStack(MIXED_CONFIG, { serverAuth: { docs: { secretName: 'mcp/docs-token', header: 'X-Api-Key' } } });
  });

  it('pass the secret ARN and header in the server entry', () => {
    const { stack, template } = withAuth;
    const variables = template.toJSON().Resources[logicalIdOf(stack.streamQuery.function)].Properties.Environment.Variables;
    const servers = JSON.stringify(variables[RUNTIME_ENV.servers]);

    expect(servers).toContain('secret:mcp/docs-token');
    expect(servers).toMatch(/authHeader\W+X-Api-Key/);
  });

  it('pass servers that the runtime reads back', () => {
    const { stack, template } = withAuth;
    const value = template.toJSON().Resources[logicalIdOf(stack.streamQuery.function)].Properties.Environment.Variables[RUNTIME_ENV.servers];
    // The value joins literal JSON with tokens of the ARN; each token is replaced by "x", as a deployed value would be text.
    const json = typeof value === 'string' ? value : (value['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'x')).join('');

    const [docs] = readServersFromEnvironment({ [RUNTIME_ENV.servers]: json });

    expect(docs).toMatchObject({ name: 'docs', url: 'https://mcp.example.com/mcp', authHeader: 'X-Api-Key' });
    expect(docs.authSecretArn).toMatch(/^arn:x:secretsmanager:x:x:secret:mcp\/docs-token$/);
    expect(docs.cache.cacheableTools).toEqual(['search']);
  });

  it('grant read on the named secret only', () => {
    const secretResources = policyStatements(withAuth.template)
      .filter(({ statement }) => JSON.stringify(statement.Action).includes('secretsmanager:GetSecretValue'))
      .map(({ statement }) => JSON.stringify(statement.Resource));

    expect(secretResources.filter((resource) => resource.includes('mcp/docs-token-??????')).length).toBe(2);
    expect(secretResources.every((resource) => !resource.includes('"*"'))).toBe(true);
  });

  it('rejects credentials for an unknown server', () => {
    expect(() => synthesizeAcceleratorStack(MIXED_CONFIG, { serverAuth: { nope: { secretName: 'x' } } })).toThrow(
      /upstreamAuth names server "nope", which is not a configured server with a URL \(configured: docs\)/,
    );
  });
});
