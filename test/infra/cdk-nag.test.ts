import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { parseDeploymentOptions } from '../../lib/deployment-options';
import { McpAcceleratorStack } from '../../lib/mcp-accelerator-stack';
import { createApp, MIXED_CONFIG } from './support/synthesize';

/** Rule ids that the stack acknowledges, each with a reason where the acknowledgement is made. */
const EXPECTED_ACKNOWLEDGEMENTS = [
  'AwsSolutions-AEC6',
  'AwsSolutions-APIG3',
  'AwsSolutions-COG4',
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
  'AwsSolutions-IAM5[Resource::*]',
  'AwsSolutions-L1',
  'AwsSolutions-SMG4',
];

/** Returns every acknowledgement in the construct tree as `ruleId: reason`. */
function acknowledgements(app: App): Array<{ path: string; ruleId: string; reason: string }> {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([qualifiedId, reason]) => ({
          path: construct.node.path,
          ruleId: qualifiedId.replace(/^[A-Za-z]+::/, ''),
          reason,
        })),
      ),
  );
}

describe.each([
  ['provisioned', {}, EXPECTED_ACKNOWLEDGEMENTS],
  ['serverless', { cacheMode: 'serverless' }, EXPECTED_ACKNOWLEDGEMENTS.filter((id) => id !== 'AwsSolutions-AEC6')],
  ['an alarm email topic', { alarmEmail: 'oncall@example.com' }, [...EXPECTED_ACKNOWLEDGEMENTS, 'AwsSolutions-SNS2'].sort()],
])('cdk-nag AwsSolutions with %s', (_variant, context, expectedRuleIds) => {
  let app: App;
  let synthesisError: unknown;

  beforeAll(() => {
    app = createApp();
    new McpAcceleratorStack(app, 'McpAccelerator', { config: MIXED_CONFIG, options: parseDeploymentOptions(context) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Synthesis runs the registered checks and throws when an error is not acknowledged.
    try {
      app.synth();
    } catch (error) {
      synthesisError = error;
    }
  });

  it('finds nothing unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.map(
      (violation) =>
        `${violation.severity} ${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`,
    );

    expect(findings).toEqual([]);
  });

  it('lets the app synthesize with the checks registered', () => {
    expect(synthesisError).toBeUndefined();
  });

  it('acknowledges only the expected rules', () => {
    const ruleIds = [...new Set(acknowledgements(app).map((entry) => entry.ruleId))]
      .filter((ruleId) => ruleId.startsWith('AwsSolutions-'))
      .sort();

    expect(ruleIds).toEqual(expectedRuleIds);
  });

  it('gives a reason of a sentence or more for each acknowledgement', () => {
    const ours = acknowledgements(app).filter((entry) => entry.ruleId.startsWith('AwsSolutions-'));

    expect(ours.length).toBeGreaterThan(0);
    for (const { path, ruleId, reason } of ours) {
      expect({ path, ruleId, reasonLength: reason.length >= 60 }).toEqual({ path, ruleId, reasonLength: true });
      expect({ path, ruleId, reasonEnd: reason.slice(-1) }).toEqual({ path, ruleId, reasonEnd: '.' });
    }
  });
});
