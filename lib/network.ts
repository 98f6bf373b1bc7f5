import {
  FlowLogDestination,
  FlowLogTrafficType,
  SecurityGroup,
  SubnetType,
  Vpc,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Availability zones of the VPC: the cache places its primary and its replica in different ones. */
const AVAILABILITY_ZONE_COUNT = 2;

/** Properties of {@link Network}. */
export interface NetworkProps {
  /**
   * Number of NAT gateways, from 1 to one per availability zone. The functions reach upstream
   * MCP servers and Secrets Manager through them. One saves cost, two survive the loss of a zone.
   * @default 1
   */
  readonly natGateways?: number;

  /**
   * Retention of the VPC flow log.
   * @default RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: RetentionDays;
}

/**
 * A new VPC across two availability zones, with private subnets that reach the internet through
 * NAT, a flow log, and the security group that the query functions share.
 */
export class Network extends Construct {
  /** The VPC. */
  readonly vpc: Vpc;

  /** Security group of the query functions: the only source the cache admits. */
  readonly functionsSecurityGroup: SecurityGroup;

  /** Private subnets with egress, for the functions and the cache. */
  readonly privateSubnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);

    const natGateways = props.natGateways ?? 1;
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > AVAILABILITY_ZONE_COUNT) {
      throw new Error(
        `natGateways must be an integer from 1 to ${AVAILABILITY_ZONE_COUNT}, got ${natGateways}; ` +
          'the functions need NAT to reach upstream MCP servers and Secrets Manager.',
      );
    }

    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: AVAILABILITY_ZONE_COUNT,
      natGateways,
      subnetConfiguration: [
        // Public subnets only hold the NAT gateways.
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
    });

    const flowLogGroup = new LogGroup(this, 'FlowLogGroup', {
      retention: props.flowLogRetention ?? RetentionDays.ONE_MONTH,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: FlowLogTrafficType.ALL,
    });

    this.functionsSecurityGroup = new SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'mcp-accelerator query functions: the only source the cache admits',
      // NOTE: upstream MCP servers may listen on any port of any host, so egress stays open.
      allowAllOutbound: true,
    });
  }
}
