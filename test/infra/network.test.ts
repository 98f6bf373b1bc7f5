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
