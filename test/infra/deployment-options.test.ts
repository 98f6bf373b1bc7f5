import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { DEPLOYMENT_OPTION_NAMES, parseDeploymentOptions, unknownOptionNames } from '../../lib/deployment-options';
import { REPOSITORY_ROOT } from './support/synthesize';

describe('parseDeploymentOptions', () => {
  it('defaults to a provisioned cache behind IAM auth', () => {
    expect(parseDeploymentOptions({})).toMatchObject({
      cacheMode: 'provisioned',
      cacheNodeType: 'cache.t4g.micro',
      natGateways: 1,
      functionUrlAuth: 'AWS_IAM',
      vpcEndpoints: true,
      serverAuth: {},
    });
  });

  it('reads numbers, booleans and lists from -c text', () => {
    const options = parseDeploymentOptions({
      natGateways: '2',
      vpcEndpoints: 'false',
      corsAllowedOrigins: 'https://a.example.com, https://b.example.com',
      serverAuth: '{"docs":{"secretName":"mcp/docs"}}',
    });

    expect(options).toMatchObject({
      natGateways: 2,
      vpcEndpoints: false,
      corsAllowedOrigins: ['https://a.example.com', 'https://b.example.com'],
      serverAuth: { docs: { secretName: 'mcp/docs', header: 'Authorization' } },
    });
  });

  it.each([
    ['an unknown cache mode', { cacheMode: 'cluster' }, /cacheMode: .*got "cluster"/],
    ['three NAT gateways', { natGateways: '3' }, /natGateways: .*got "3"/],
    ['a retention CloudWatch rejects', { logRetentionDays: 10 }, /logRetentionDays: use one of the retention periods/],
    ['a partial imported VPC', { vpcId: 'vpc-0123456789abcdef0' }, /vpcId: to import a VPC, set all of/],
    ['both alarm targets', { alarmEmail: 'a@example.com', alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:t' }, /alarmEmail: set alarmEmail or alarmTopicArn/],
    ['a server auth with two secrets', { serverAuth: { docs: { secretName: 'a', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf' } } }, /serverAuth\.docs: set exactly one/],
    ['a CORS origin with a path', { corsAllowedOrigins: 'https://a.example.com/app' }, /corsAllowedOrigins\.0: use "\*" or an origin/],
  ])('rejects %s, naming the option', (_case, context, message) => {
    expect(() => parseDeploymentOptions(context)).toThrow(message);
  });

  it('ignores feature flags and CDK keys', () => {
    expect(unknownOptionNames(['@aws-cdk/core:checkSecretUsage', 'aws:cdk:version-reporting', 'cachemode'])).toEqual(['cachemode']);
  });
});

describe('docs/deploy.md', () => {
  const text = readFileSync(path.join(REPOSITORY_ROOT, 'docs', 'deploy.md'), 'utf8');

  it.each(DEPLOYMENT_OPTION_NAMES)('documents the option %s', (name) => {
    expect(text).toContain(`| \`${name}\` |`);
  });
});
