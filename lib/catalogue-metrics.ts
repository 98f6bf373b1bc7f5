import type { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';

import { DIMENSION, METRICS_NAMESPACE, SERVICE_NAME, type MetricDefinition } from '../lambdas/runtime/metrics/catalogue';

/**
 * Builds CloudWatch metrics from catalogue entries, so that the dashboard and the alarms use the
 * names, namespace and dimensions that the runtime emits with.
 */
export class CatalogueMetrics {
  constructor(private readonly period: Duration) {}

  /**
   * Returns a catalogue metric with the `service` dimension and the given further dimension values.
   * @throws Error when the values do not name exactly the entry's dimensions
   */
  metric(definition: MetricDefinition, statistic: string, dimensionValues: Readonly<Record<string, string>> = {}): Metric {
    const given = Object.keys(dimensionValues).sort();
    if (given.join(',') !== [...definition.dimensions].sort().join(',')) {
      throw new Error(
        `metric ${definition.name} has dimensions [${definition.dimensions.join(', ')}], got values for ` +
          `[${given.join(', ')}]; give one value per dimension, or plot it with search().`,
      );
    }
    const values = Object.values(dimensionValues);
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: definition.name,
      dimensionsMap: { [DIMENSION.service]: SERVICE_NAME, ...dimensionValues },
      statistic,
      period: this.period,
      label: [definition.name, ...values, statistic].join(' '),
    });
  }

  /** Returns one metric per statistic, such as p50, p90 and p99. */
  statistics(definition: MetricDefinition, statistics: readonly string[]): Metric[] {
    return statistics.map((statistic) => this.metric(definition, statistic));
  }

  /**
   * Returns a SEARCH over every value of the entry's dimensions, one line per tier or server.
   * Searching spares the dashboard a list of tier and server values that could drift from the
   * runtime's. Alarms cannot use SEARCH, so they use {@link metric} with explicit values.
   */
  search(definition: MetricDefinition, statistic: string, label: string): MathExpression {
    // A dynamic label names each line by its tier or server value.
    const dimensionLabels = definition.dimensions.map((dimension) => `\${PROP('Dim.${dimension}')}`);
    return new MathExpression({
      expression: this.searchExpression(definition, statistic),
      usingMetrics: {},
      label: [label, ...dimensionLabels].join(' '),
      period: this.period,
    });
  }

  /** Returns the sum over every dimension value of a SEARCH, as one line. */
  searchSum(definition: MetricDefinition, label: string): MathExpression {
    return new MathExpression({
      expression: `SUM(${this.searchExpression(definition, 'Sum')})`,
      usingMetrics: {},
      label,
      period: this.period,
    });
  }

  private searchExpression(definition: MetricDefinition, statistic: string): string {
    const schema = [METRICS_NAMESPACE, DIMENSION.service, ...definition.dimensions].join(',');
    const query = `{${schema}} MetricName="${definition.name}" ${DIMENSION.service}="${SERVICE_NAME}"`;
    return `SEARCH('${query}', '${statistic}', ${this.period.toSeconds()})`;
  }
}
