import { Names, Validations } from 'aws-cdk-lib';
import { Port, SecurityGroup, SubnetType, type ISecurityGroup, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { CfnReplicationGroup, CfnSubnetGroup, CfnUser, CfnUserGroup } from 'aws-cdk-lib/aws-elasticache';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Name of the RBAC user that the query functions sign in as. The secret stores it beside the password. */
export const CACHE_USER_NAME = 'mcp-accelerator';

/** Largest number of read replicas that ElastiCache allows per primary. */
const MAX_REPLICAS_PER_PRIMARY = 5;

/** Properties of {@link CacheCluster}. */
export interface CacheClusterProps {
  /** VPC of the cache. */
  readonly vpc: IVpc;

  /** Security group of the clients: the only source admitted on the cache port. */
  readonly clientSecurityGroup: ISecurityGroup;

  /**
   * Subnets of the cache nodes, which should span two or more availability zones.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: SubnetSelection;

  /**
   * Node type of the primary and of each replica.
   * @default 'cache.t4g.micro'
   */
  readonly cacheNodeType?: string;

  /**
   * Read replicas beside the primary, from 1 to 5. Automatic failover needs at least one.
   * @default 1
   */
  readonly replicasPerPrimary?: number;

  /**
   * Valkey engine version.
   * @default '8.0'
   */
  readonly engineVersion?: string;

  /**
   * TCP port of the cache endpoint.
   * @default 6379
   */
  readonly port?: number;

  /**
   * ACL rules of the functions' RBAC user, in the Valkey ACL syntax that ElastiCache accepts.
   * The default allows every key and command except the `@dangerous` category (FLUSHALL, KEYS,
   * CONFIG and others), which the cache layer never needs. INFO is allowed again because the
   * ioredis ready check sends it on every connect.
   * @default 'on ~* +@all -@dangerous +info'
   */
  readonly accessString?: string;
}

/**
 * The L2 cache: an ElastiCache Valkey replication group with cluster mode off, a primary and
 * replicas in different availability zones, automatic failover, TLS in transit and encryption
 * at rest. Clients sign in as an RBAC user whose generated password lives in Secrets Manager.
 */
export class CacheCluster extends Construct {
  /** Host name of the primary endpoint. */
  readonly endpointAddress: string;

  /** TCP port of the endpoint. */
  readonly port: number;

  /** Secret with the RBAC user's credentials as JSON: `{ "username": ..., "password": ... }`. */
  readonly secret: ISecret;

  /** Security group of the cache nodes. */
  readonly securityGroup: SecurityGroup;

  /** The replication group. */
  readonly replicationGroup: CfnReplicationGroup;

  constructor(scope: Construct, id: string, props: CacheClusterProps) {
    super(scope, id);

    const cacheNodeType = props.cacheNodeType ?? 'cache.t4g.micro';
    const replicasPerPrimary = props.replicasPerPrimary ?? 1;
    const port = props.port ?? 6379;
    validateCacheClusterProps(cacheNodeType, replicasPerPrimary, port);
    this.port = port;

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'mcp-accelerator cache: admits only the query functions on the cache port',
      // Valkey only accepts connections that clients open, so the nodes need no egress.
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(props.clientSecurityGroup, Port.tcp(port), 'Valkey over TLS from the query functions');

    const subnetGroup = new CfnSubnetGroup(this, 'SubnetGroup', {
      description: 'mcp-accelerator cache subnets',
      subnetIds: props.vpc.selectSubnets(props.subnets ?? { subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });

    this.secret = this.createUserSecret('UserSecret', CACHE_USER_NAME, 'RBAC user of the mcp-accelerator query functions');
    const accessString = props.accessString ?? 'on ~* +@all -@dangerous +info';
    if (!/(^|\s)on(\s|$)/.test(accessString)) {
      throw new Error(`accessString "${accessString}" leaves the user disabled, so no client could sign in; add the rule "on".`);
    }
    const userGroup = this.createUserGroup(accessString);

    this.replicationGroup = new CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'mcp-accelerator L2 cache',
      engine: 'valkey',
      engineVersion: props.engineVersion ?? '8.0',
      cacheNodeType,
      numCacheClusters: 1 + replicasPerPrimary,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      port,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      userGroupIds: [userGroup.ref],
      autoMinorVersionUpgrade: true,
    });
    this.endpointAddress = this.replicationGroup.attrPrimaryEndPointAddress;

    Validations.of(this.replicationGroup).acknowledge({
      id: 'AwsSolutions-AEC6',
      reason:
        'Clients authenticate as an RBAC user (UserGroupIds) with a password from Secrets Manager; ' +
        'ElastiCache does not allow an AUTH token on a replication group that uses RBAC.',
    });
  }

  private createUserSecret(id: string, userName: string, description: string): Secret {
    const secret = new Secret(this, id, {
      description,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: userName }),
        generateStringKey: 'password',
        // ElastiCache rejects some punctuation in passwords, so the password uses letters and digits only.
        excludePunctuation: true,
        passwordLength: 32,
      },
    });
    // TODO: rotate with a Secrets Manager rotation function that also calls ModifyUser.
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating this password also needs an ElastiCache ModifyUser call, which no CDK hosted rotation ' +
        'performs; the secret is readable only by the query functions, inside the VPC.',
    });
    return secret;
  }

  /**
   * Creates the functions' user and a disabled `default` user, and the user group of both.
   * The CloudFormation reference for AWS::ElastiCache::UserGroup requires a user named `default`
   * in every group, and a Valkey group admits only users with a password.
   */
  private createUserGroup(accessString: string): CfnUserGroup {
    const appUser = new CfnUser(this, 'User', {
      engine: 'valkey',
      userId: this.elastiCacheId('user'),
      userName: CACHE_USER_NAME,
      accessString,
      authenticationMode: { Type: 'password', Passwords: [passwordReference(this.secret)] },
    });

    const defaultUserSecret = this.createUserSecret(
      'DefaultUserSecret',
      'default',
      'Password of the disabled default user of the mcp-accelerator cache; nothing reads it',
    );
    const defaultUser = new CfnUser(this, 'DefaultUser', {
      engine: 'valkey',
      userId: this.elastiCacheId('default-user'),
      userName: 'default',
      // `off` disables the user, so a client that skips AUTH is rejected.
      accessString: 'off -@all',
      authenticationMode: { Type: 'password', Passwords: [passwordReference(defaultUserSecret)] },
    });

    return new CfnUserGroup(this, 'UserGroup', {
      engine: 'valkey',
      userGroupId: this.elastiCacheId('users'),
      userIds: [appUser.ref, defaultUser.ref],
    });
  }

  /**
   * Returns an id that is unique in the account and region, as ElastiCache requires of user and
   * user group ids, so that two copies of the stack can be deployed side by side.
   */
  private elastiCacheId(suffix: string): string {
    // The unique name ends in a hash of the construct path. The ElastiCache API reference gives
    // no maximum length, so 27 characters plus the suffix keep the ids at 40 or fewer to be safe.
    return `${Names.uniqueResourceName(this, { maxLength: 27 })}-${suffix}`.toLowerCase();
  }
}

/**
 * Returns a `{{resolve:secretsmanager:...}}` dynamic reference to the secret's password.
 * CloudFormation resolves it at deploy time, so the password never appears in the template.
 */
function passwordReference(secret: ISecret): string {
  return secret.secretValueFromJson('password').unsafeUnwrap();
}

function validateCacheClusterProps(cacheNodeType: string, replicasPerPrimary: number, port: number): void {
  if (!/^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(cacheNodeType)) {
    throw new Error(`cacheNodeType "${cacheNodeType}" is not an ElastiCache node type; use a name such as "cache.t4g.micro".`);
  }
  if (!Number.isInteger(replicasPerPrimary) || replicasPerPrimary < 1 || replicasPerPrimary > MAX_REPLICAS_PER_PRIMARY) {
    throw new Error(
      `replicasPerPrimary must be an integer from 1 to ${MAX_REPLICAS_PER_PRIMARY}, got ${replicasPerPrimary}; ` +
        'automatic failover needs at least one replica.',
    );
  }
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(`port must be an integer from 1024 to 65535, got ${port}.`);
  }
}
