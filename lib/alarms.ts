import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

import { CACHE_TIERS, METRICS } from '../lambdas/runtime/metrics/catalogue';
import { CatalogueMetrics } from './catalogue-metrics';

/** Evaluation periods in a row that must breach before the hit rate or latency alarm fires. */
const SUSTAINED_PERIODS = 3;

/**
 * Upstream errors in one period that fire a server's alarm. One failed call is normal noise on
 * the internet, five in five minutes are not.
 */
const UPSTREAM_ERRORS_THRESHOLD = 5;

/** Settings that differ from one alarm to the next. */
interface AlarmOptions {
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly evaluationPeriods: number;
  readonly description: string;
}

/** Properties of {@link AcceleratorAlarms}. */
export interface AcceleratorAlarmsProps {
  /** Names of the servers that the functions call: each gets an upstream error alarm. */
  readonly serverNames: readonly string[];

  /**
   * Hit rate, in percent, below which the hit rate alarm fires after three periods.
   * @default 50
   */
  readonly hitRateThresholdPercent?: number;

  /**
   * p99 request latency, in ms, above which the latency alarm fires after three periods.
   * @default 5000
   */
  readonly p99LatencyThresholdMs?: number;

  /**
   * Period of every alarm.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * Email address that a new SNS topic notifies. CloudWatch alarm notifications need the address
   * to confirm the subscription first.
   * @default - no new topic
   */
  readonly email?: string;

  /**
   * An existing SNS topic that the alarms notify, in place of a new one.
   * @default - no existing topic
   */
  readonly topic?: ITopic;
}

/**
 * Alarms on the accelerator's health: the cache hit rate, p99 request latency, upstream errors
 * per server and L2 fallback. They notify an SNS topic when one is given or created.
 */
export class AcceleratorAlarms extends Construct {
  /** Every alarm. */
  readonly alarms: Alarm[] = [];

  /** Topic that the alarms notify, if any. */
  readonly topic?: ITopic;

  private readonly metrics: CatalogueMetrics;

  constructor(scope: Construct, id: string, props: AcceleratorAlarmsProps) {
    super(scope, id);

    const hitRateThresholdPercent = props.hitRateThresholdPercent ?? 50;
    const p99LatencyThresholdMs = props.p99LatencyThresholdMs ?? 5000;
    validateProps(props, hitRateThresholdPercent, p99LatencyThresholdMs);
    this.metrics = new CatalogueMetrics(props.period ?? Duration.minutes(5));

    this.addAlarm('HitRate', {
      metric: this.hitRate(),
      threshold: hitRateThresholdPercent,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: SUSTAINED_PERIODS,
      description: `Cache hit rate (L1 and L2) below ${hitRateThresholdPercent}% for ${SUSTAINED_PERIODS} periods in a row.`,
    });
    this.addAlarm('P99Latency', {
      metric: this.metrics.metric(METRICS.requestLatency, 'p99'),
      threshold: p99LatencyThresholdMs,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: SUSTAINED_PERIODS,
      description: `p99 request latency above ${p99LatencyThresholdMs} ms for ${SUSTAINED_PERIODS} periods in a row.`,
    });
    for (const server of props.serverNames) {
      this.addAlarm(`UpstreamErrors-${server}`, {
        metric: this.metrics.metric(METRICS.upstreamError, 'Sum', { server }),
        threshold: UPSTREAM_ERRORS_THRESHOLD,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        description: `${UPSTREAM_ERRORS_THRESHOLD} or more failed calls to MCP server "${server}" in one period.`,
      });
    }
    this.addAlarm('L2Fallback', {
      metric: this.metrics.metric(METRICS.l2Fallback, 'Sum'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      description: 'The functions fell back to L1 only: the cache cluster failed or timed out.',
    });

    this.topic = props.topic ?? (props.email !== undefined ? this.createTopic(props.email) : undefined);
    if (this.topic !== undefined) {
      const action = new SnsAction(this.topic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }

  /**
   * Returns the hit rate in percent from the hits of each tier and the misses. Alarms cannot use
   * SEARCH, so each tier is its own metric, from the catalogue's list of tiers.
   */
  private hitRate(): MathExpression {
    const usingMetrics: Record<string, IMetric> = { misses: this.metrics.metric(METRICS.cacheMiss, 'Sum') };
    for (const tier of CACHE_TIERS) {
      usingMetrics[`hits_${tier}`] = this.metrics.metric(METRICS.cacheHit, 'Sum', { tier });
    }
    const hits = CACHE_TIERS.map((tier) => `FILL(hits_${tier}, 0)`).join(' + ');
    return new MathExpression({
      expression: `100 * (${hits}) / (${hits} + FILL(misses, 0))`,
      usingMetrics,
      label: 'Hit rate (%)',
    });
  }

  private addAlarm(id: string, options: AlarmOptions): void {
    this.alarms.push(
      new Alarm(this, id, {
        metric: options.metric,
        threshold: options.threshold,
        comparisonOperator: options.comparisonOperator,
        evaluationPeriods: options.evaluationPeriods,
        alarmDescription: options.description,
        // No requests means no data, which is not a failure of the accelerator.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  private createTopic(email: string): Topic {
    const topic = new Topic(this, 'Topic', {
      displayName: 'mcp-accelerator alarms',
      enforceSSL: true,
    });
    topic.addSubscription(new EmailSubscription(email));
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key aws/sns, and the ' +
        'notifications carry only alarm names, states and thresholds; a customer managed key would cost more than the topic.',
    });
    return topic;
  }
}

function validateProps(props: AcceleratorAlarmsProps, hitRateThresholdPercent: number, p99LatencyThresholdMs: number): void {
  if (!(hitRateThresholdPercent > 0 && hitRateThresholdPercent < 100)) {
    throw new Error(`hitRateThresholdPercent must be between 0 and 100, got ${hitRateThresholdPercent}.`);
  }
  if (!(p99LatencyThresholdMs > 0)) {
    throw new Error(`p99LatencyThresholdMs must be a positive number of milliseconds, got ${p99LatencyThresholdMs}.`);
  }
  if (props.email !== undefined && props.topic !== undefined) {
    throw new Error(`set email or topic, not both, got email "${props.email}" and a topic; subscribe the address to the topic instead.`);
  }
  if (props.email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.email)) {
    throw new Error(`email "${props.email}" is not an email address.`);
  }
}
