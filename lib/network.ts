import {
  FlowLogDestination,
  FlowLogTrafficType,
  InterfaceVpcEndpointAwsService,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
  type IVpc,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Availability zones of a new VPC: the cache places its primary and its replica in different ones. */
const AVAILABILITY_ZONE_COUNT = 2;

/** An existing VPC, described by ids so that synthesis needs no AWS lookup. */
export interface ImportedVpcOptions {
  /** Id of the VPC, such as `vpc-0123456789abcdef0`. */
  readonly vpcId: string;

  /**
   * Ids of private subnets with a route to the internet (NAT), one or more per availability
   * zone, in the order of `availabilityZones`.
   */
  readonly privateSubnetIds: readonly string[];

  /** Availability zones of the private subnets, two or more. */
  readonly availabilityZones: readonly string[];
}

/** Properties of {@link Network}. */
export interface NetworkProps {
  /**
   * An existing VPC to deploy into. It is imported with `Vpc.fromVpcAttributes`, not
   * `Vpc.fromLookup`, so `cdk synth` stays offline and needs no credentials.
   * @default - a new VPC across two availability zones
   */
  readonly importVpc?: ImportedVpcOptions;

  /**
   * Number of NAT gateways of a new VPC, from 1 to one per availability zone. The functions reach
   * upstream MCP servers through them. One saves cost, two survive the loss of a zone.
   * Ignored when `importVpc` is set.
   * @default 1
   */
  readonly natGateways?: number;

  /**
   * Whether to create interface endpoints for Secrets Manager and CloudWatch, so that the
   * functions reach those APIs without the NAT. Turn it off in an imported VPC that already has
   * endpoints with private DNS for these services, because two such endpoints conflict.
   * @default true
   */
  readonly interfaceEndpoints?: boolean;

  /**
   * Retention of the flow log of a new VPC.
   * @default RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: RetentionDays;
}

/**
 * The network of the accelerator: a new VPC across two availability zones with private subnets
 * that reach the internet through NAT and a flow log, or an existing VPC imported by id. It also
 * contains the security group that the query functions share and the interface endpoints for the
 * AWS APIs they call.
 */
export class Network extends Construct {
  /** Interface endpoints that {@link Network} creates when `interfaceEndpoints` is on. */
  static readonly ENDPOINT_SERVICES = [
    InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  ] as const;

  /** The VPC. */
  readonly vpc: IVpc;

  /** Security group of the query functions: the only source the cache admits. */
  readonly functionsSecurityGroup: SecurityGroup;

  /** Private subnets with egress, for the functions and the cache. */
  readonly privateSubnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };

  /** Security group of the interface endpoints, or undefined when there are none. */
  readonly endpointSecurityGroup?: SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);

    this.vpc = props.importVpc === undefined ? this.createVpc(props) : importVpc(this, props.importVpc);

    this.functionsSecurityGroup = new SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'mcp-accelerator query functions: the only source the cache admits',
      // NOTE: upstream MCP servers may listen on any port of any host, so egress stays open.
      allowAllOutbound: true,
    });

    if (props.interfaceEndpoints ?? true) {
      this.endpointSecurityGroup = this.createInterfaceEndpoints();
    }
  }

  private createVpc(props: NetworkProps): Vpc {
    const natGateways = props.natGateways ?? 1;
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > AVAILABILITY_ZONE_COUNT) {
      throw new Error(
        `natGateways must be an integer from 1 to ${AVAILABILITY_ZONE_COUNT}, got ${natGateways}; ` +
          'the functions need NAT to reach upstream MCP servers.',
      );
    }

    const vpc = new Vpc(this, 'Vpc', {
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
    vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: FlowLogTrafficType.ALL,
    });
    return vpc;
  }

  /** Creates the endpoints in the private subnets, reachable on HTTPS only from the functions. */
  private createInterfaceEndpoints(): SecurityGroup {
    const securityGroup = new SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'mcp-accelerator interface endpoints: HTTPS from the query functions only',
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(this.functionsSecurityGroup, Port.tcp(443), 'HTTPS from the query functions');

    const endpointIds = ['SecretsManagerEndpoint', 'CloudWatchEndpoint'];
    Network.ENDPOINT_SERVICES.forEach((service, index) => {
      this.vpc.addInterfaceEndpoint(endpointIds[index], {
        service,
        subnets: this.privateSubnets,
        securityGroups: [securityGroup],
        privateDnsEnabled: true,
        // The security group above already admits the functions, so CDK's rule for the whole VPC CIDR is not added.
        open: false,
      });
    });
    return securityGroup;
  }
}

function importVpc(scope: Construct, options: ImportedVpcOptions): IVpc {
  const { vpcId, privateSubnetIds, availabilityZones } = options;
  if (availabilityZones.length < 2) {
    throw new Error(
      `importVpc.availabilityZones must list two or more zones, got ${JSON.stringify(availabilityZones)}; ` +
        'the cache keeps its replica in a second zone.',
    );
  }
  if (privateSubnetIds.length === 0 || privateSubnetIds.length % availabilityZones.length !== 0) {
    throw new Error(
      `importVpc.privateSubnetIds has ${privateSubnetIds.length} subnets for ${availabilityZones.length} zones; ` +
        'give the same number of private subnets in each zone, in the order of availabilityZones.',
    );
  }
  return Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId,
    availabilityZones: [...availabilityZones],
    privateSubnetIds: [...privateSubnetIds],
  });
}
