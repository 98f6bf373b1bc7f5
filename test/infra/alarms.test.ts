import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';

import { METRICS, METRICS_NAMESPACE } from '../../lambdas/runtime/metrics/catalogue';
import { AcceleratorAlarms, type AcceleratorAlarmsProps } from '../../lib/alarms';

function alarmsTemplate(props: Partial<AcceleratorAlarmsProps> = {}): Template {
  const stack = new Stack();
  new AcceleratorAlarms(stack, 'Alarms', { serverNames: ['docs', 'search'], ...props });
  return Template.fromStack(stack);
}

/** Returns the metric names of every alarm, from single metrics and metric math alike. */
function alarmMetricNames(template: Template): string[][] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => {
    if (alarm.Properties.MetricName !== undefined) {
      return [alarm.Properties.MetricName as string];
    }
    return (alarm.Properties.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string } } }>)
      .flatMap((query) => (query.MetricStat === undefined ? [] : [query.MetricStat.Metric.MetricName]));
  });
}

describe('AcceleratorAlarms', () => {
  it('alarms on hit rate, p99 latency, each server and fallback', () => {
    const names = alarmMetricNames(alarmsTemplate());

    expect(names).toEqual([
      [METRICS.cacheMiss.name, METRICS.cacheHit.name, METRICS.cacheHit.name],
      [METRICS.requestLatency.name],
      [METRICS.upstreamError.name],
      [METRICS.upstreamError.name],
      [METRICS.l2Fallback.name],
    ]);
  });

  it('computes the hit rate from every tier', () => {
    const alarms = Object.values(alarmsTemplate().findResources('AWS::CloudWatch::Alarm', { Properties: { ComparisonOperator: 'LessThanThreshold' } }));
    const expressions = (alarms[0].Properties.Metrics as Array<{ Expression?: string }>).map((query) => query.Expression).filter(Boolean);

    expect(alarms.length).toBe(1);
    expect(alarms[0].Properties.Threshold).toBe(50);
    expect(expressions).toEqual(['100 * (FILL(hits_l1, 0) + FILL(hits_l2, 0)) / (FILL(hits_l1, 0) + FILL(hits_l2, 0) + FILL(misses, 0))']);
  });

  it.each(['docs', 'search'])('watches server %s by its dimension', (server) => {
    const alarms = Object.values(alarmsTemplate().findResources('AWS::CloudWatch::Alarm')).map((alarm) => JSON.stringify(alarm));
    const serverAlarms = alarms.filter((alarm) => alarm.includes(`{"Name":"server","Value":"${server}"}`));

    expect(serverAlarms.length).toBe(1);
    expect(serverAlarms[0]).toContain(`"MetricName":"${METRICS.upstreamError.name}"`);
    expect(serverAlarms[0]).toContain(`"Namespace":"${METRICS_NAMESPACE}"`);
  });

  it('treats missing data as not breaching', () => {
    const alarms = Object.values(alarmsTemplate().findResources('AWS::CloudWatch::Alarm'));

    expect(alarms.map((alarm) => alarm.Properties.TreatMissingData)).toEqual(alarms.map(() => 'notBreaching'));
  });

  it('has no actions without a topic', () => {
    const alarms = Object.values(alarmsTemplate().findResources('AWS::CloudWatch::Alarm'));

    expect(alarms.map((alarm) => alarm.Properties.AlarmActions)).toEqual(alarms.map(() => undefined));
  });

  it('creates an SSL-only topic for an email', () => {
    const template = alarmsTemplate({ email: 'oncall@example.com' });

    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    const statements = Object.values(template.findResources('AWS::SNS::TopicPolicy')).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]);
    const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] });
  });

  it('notifies an existing topic', () => {
    const stack = new Stack();
    const topic = Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:us-east-1:123456789012:oncall');
    new AcceleratorAlarms(stack, 'Alarms', { serverNames: [], topic });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:us-east-1:123456789012:oncall'] });
  });

  it.each([
    ['a hit rate of 100%', { hitRateThresholdPercent: 100 }, /hitRateThresholdPercent must be between 0 and 100, got 100/],
    ['a zero latency', { p99LatencyThresholdMs: 0 }, /p99LatencyThresholdMs must be a positive number of milliseconds, got 0/],
    ['a malformed email', { email: 'oncall' }, /email "oncall" is not an email address/],
  ])('rejects %s', (_case, change, message) => {
    expect(() => alarmsTemplate(change)).toThrow(message);
  });
});
