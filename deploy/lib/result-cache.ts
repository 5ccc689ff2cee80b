import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface ResultCacheProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** e.g. `cache.t4g.micro`; results are small and short-lived (gateway/redis-result-cache.ts). */
  readonly nodeType: string;
}

/** Not Redis's default 6379: one port scanners and default-configured clients do not find. */
export const CACHE_PORT = 6380;
export const CACHE_ENGINE = 'valkey';
export const CACHE_ENGINE_VERSION = '8.0';

/**
 * The gateways' shared result store and pub/sub (gateway/redis-*.ts): ElastiCache for Valkey in the
 * private subnets, a primary and a replica in the two AZs with automatic failover, TLS in transit,
 * encrypted at rest, AUTH with a token generated into Secrets Manager. Only the gateways' security
 * group reaches its port (`allowFrom`). Nothing here is the source of truth (S3's outcome records
 * are), so no snapshots are kept: a lost cache costs gateways a look-up in S3, not a verdict.
 */
export class ResultCache extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly securityGroup: ec2.SecurityGroup;
  /** The AUTH token (64 letters and digits: safe in a URL); the gateways read it when they start. */
  readonly authToken: secretsmanager.Secret;
  /** The primary endpoint: the gateways write and subscribe there; failover moves the name. */
  readonly host: string;
  readonly port: string;

  constructor(scope: Construct, id: string, props: ResultCacheProps) {
    super(scope, id);
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: 'Pictor: the ElastiCache AUTH token (REDIS_URL of the gateways)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Pictor result cache: port ${CACHE_PORT} from the gateways only`,
      allowAllOutbound: false,
    });
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'Pictor result cache: the private subnets',
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
    });
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'Pictor: results shared by the gateways',
      engine: CACHE_ENGINE,
      engineVersion: CACHE_ENGINE_VERSION,
      cacheNodeType: props.nodeType,
      numCacheClusters: 2,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      port: CACHE_PORT,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      // A dynamic reference: CloudFormation reads the token at deploy time; the template holds only
      // the secret's name.
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: 0,
      autoMinorVersionUpgrade: true,
    });
    this.host = this.replicationGroup.attrPrimaryEndPointAddress;
    this.port = this.replicationGroup.attrPrimaryEndPointPort;
  }

  /** Opens the cache's port to `peer` (the gateways). */
  allowFrom(peer: ec2.IConnectable, description: string): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(CACHE_PORT), description);
  }
}
