import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

import { Network } from '../../lib/network';

describe('Network', () => {
  let template: Template;

  beforeAll(() => {
    const stack = new Stack();
    new Network(stack, 'Network');
    template = Template.fromStack(stack);
  });

  it('spans two availability zones with private subnets', () => {
    const privateSubnets = Object.values(template.findResources('AWS::EC2::Subnet')).filter(
      (subnet) => subnet.Properties.MapPublicIpOnLaunch === false,
    );

    expect(privateSubnets.length).toBe(2);
  });

  it('has one NAT gateway by default', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('logs all traffic to a log group with a retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it.each([0, 3, 1.5])('rejects %p NAT gateways', (natGateways) => {
    expect(() => new Network(new Stack(), 'Network', { natGateways })).toThrow(
      `natGateways must be an integer from 1 to 2, got ${natGateways}`,
    );
  });
});

describe('Network interface endpoints', () => {
  let template: Template;
  let network: Network;

  beforeAll(() => {
    const stack = new Stack();
    network = new Network(stack, 'Network');
    template = Template.fromStack(stack);
  });

  it('reach Secrets Manager and CloudWatch with private DNS', () => {
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((endpoint) => JSON.stringify(endpoint.Properties.ServiceName));

    expect(services.length).toBe(2);
    expect(services.some((name) => name.includes('.secretsmanager'))).toBe(true);
    expect(services.some((name) => name.includes('.monitoring'))).toBe(true);
    template.allResourcesProperties('AWS::EC2::VPCEndpoint', { PrivateDnsEnabled: true, VpcEndpointType: 'Interface' });
  });

  it('admit only the functions on HTTPS', () => {
    const stack = Stack.of(network);
    const endpointGroup = stack.resolve(network.endpointSecurityGroup!.securityGroupId);
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((rule) => rule.Properties)
      .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(endpointGroup));

    expect(rules).toEqual([
      expect.objectContaining({ FromPort: 443, ToPort: 443, SourceSecurityGroupId: stack.resolve(network.functionsSecurityGroup.securityGroupId) }),
    ]);
  });
});

describe('Network with an imported VPC', () => {
  const importVpc = {
    vpcId: 'vpc-0123456789abcdef0',
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
    availabilityZones: ['us-east-1a', 'us-east-1b'],
  };

  it('creates no VPC, NAT or flow log', () => {
    const stack = new Stack();
    new Network(stack, 'Network', { importVpc, interfaceEndpoints: false });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: importVpc.vpcId });
  });

  it('selects the given private subnets', () => {
    const network = new Network(new Stack(), 'Network', { importVpc });

    expect(network.vpc.selectSubnets(network.privateSubnets).subnetIds).toEqual(importVpc.privateSubnetIds);
  });

  it.each([
    ['one zone', { ...importVpc, availabilityZones: ['us-east-1a'] }, /availabilityZones must list two or more zones/],
    ['three subnets in two zones', { ...importVpc, privateSubnetIds: [...importVpc.privateSubnetIds, 'subnet-0ccccccccccccccc3'] }, /has 3 subnets for 2 zones/],
  ])('rejects %s', (_case, options, message) => {
    expect(() => new Network(new Stack(), 'Network', { importVpc: options })).toThrow(message);
  });
});
