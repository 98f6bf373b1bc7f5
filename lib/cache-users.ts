import { Names, Validations } from 'aws-cdk-lib';
import { CfnUser, CfnUserGroup } from 'aws-cdk-lib/aws-elasticache';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Name of the RBAC user that the query functions sign in as. The secret stores it beside the password. */
export const CACHE_USER_NAME = 'mcp-accelerator';

/**
 * ACL rules of the functions' user by default. They allow every key and command except the
 * `@dangerous` category (FLUSHALL, KEYS, CONFIG and others), which the cache layer never needs.
 * INFO is allowed again because the ioredis ready check sends it on every connect.
 */
export const DEFAULT_ACCESS_STRING = 'on ~* +@all -@dangerous +info';

/** Properties of {@link CacheUsers}. */
export interface CacheUsersProps {
  /**
   * ACL rules of the functions' RBAC user, in the Valkey ACL syntax that ElastiCache accepts.
   * @default DEFAULT_ACCESS_STRING
   */
  readonly accessString?: string;
}

/**
 * The RBAC users of a Valkey cache: the functions' user, whose generated password lives in
 * Secrets Manager, and a disabled `default` user, in one user group that a replication group or
 * a serverless cache references.
 */
export class CacheUsers extends Construct {
  /** Secret with the functions' credentials as JSON: `{ "username": ..., "password": ... }`. */
  readonly secret: ISecret;

  /** The user group. */
  readonly userGroup: CfnUserGroup;

  constructor(scope: Construct, id: string, props: CacheUsersProps = {}) {
    super(scope, id);

    const accessString = props.accessString ?? DEFAULT_ACCESS_STRING;
    if (!/(^|\s)on(\s|$)/.test(accessString)) {
      throw new Error(`accessString "${accessString}" leaves the user disabled, so no client could sign in; add the rule "on".`);
    }

    this.secret = this.createUserSecret('UserSecret', CACHE_USER_NAME, 'RBAC user of the mcp-accelerator query functions');
    this.userGroup = this.createUserGroup(accessString);
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
