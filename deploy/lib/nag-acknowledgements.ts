import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { PictorStack } from './pictor-stack.ts';

/**
 * The cdk-nag (AwsSolutions) findings this stack accepts, each with its reason. Everything else
 * cdk-nag reports fails `npm run deploy:synth` and deploy/test/cdk-nag.test.ts.
 */
export function acknowledgeNagFindings(stack: PictorStack): void {
  const ack = (scope: IConstruct, id: string, reason: string) =>
    Validations.of(scope).acknowledge({ id, reason });
  const bucketId = stack.resolve((stack.storage.bucket.node.defaultChild as CfnElement).logicalId) as string;
  const bucketArn = `<${bucketId}.Arn>`;
  const objects = (role: IConstruct, prefixes: string[], why: string) => {
    for (const prefix of prefixes) ack(role, `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}]`, why);
  };

  // Managed policies: AWS keeps them current, and each is the documented minimum for its service.
  // No EC29 (termination protection) any more: the hosts are Auto Scaling groups, which replace them.
  for (const hosts of [stack.inferenceHost.hosts, stack.gateway.hosts]) {
    ack(
      hosts.role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'SSM Session Manager is the only way onto the hosts (no SSH); this is AWS’s minimal policy for its agent',
    );
  }
  ack(
    stack.inferenceHost.hosts.role,
    'AwsSolutions-IAM5[Resource::*]',
    'cloudwatch:PutMetricData takes no resource ARN; the statement is limited to the Pictor namespace by condition',
  );
  for (const fn of [stack.classify.function, stack.redrive.function]) {
    const lambdaRole = fn.role as IConstruct;
    ack(
      lambdaRole,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'Writing its own logs; AWS’s minimal policy for it',
    );
    ack(
      lambdaRole,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'A function in a VPC must manage its network interfaces; AWS’s minimal policy for it',
    );
    objects(
      lambdaRole,
      ['uploads/*', 'predictions/*', 'outcomes/*'],
      'Every upload, prediction and outcome is its own key under the prefix: reads uploads/, writes predictions/, reads and writes outcomes/, nothing else',
    );
  }

  const gatewayRole = stack.gateway.hosts.role;
  objects(
    gatewayRole,
    ['uploads/*', 'labels/*', 'reports/*', 'outcomes/*', 'model-decisions/*'],
    'Presigns PUTs under uploads/, writes labels/, reads reports/, outcomes/ and model-decisions/: per-object keys under fixed prefixes',
  );
  objects(
    stack.inferenceHost.hosts.role,
    ['models/*'],
    'Reads the model repository (models/<model>/<version>/… and serving.json): one key per file under a fixed prefix, read only',
  );
  acknowledgeModelSeed(stack, ack, bucketArn);

  const emrService = stack.accuracy.serviceRole;
  ack(
    emrService,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2]',
    'EMR’s own service role policy (v2: scoped to resources tagged for-use-with-amazon-emr-managed-policies)',
  );
  const emrNodes = stack.accuracy.instanceRole;
  objects(
    emrNodes,
    ['predictions*', 'labels*', 'reports*', 'mr*'],
    'Hadoop reads predictions/ and labels/, writes reports/ and its scratch under mr/; the prefixes without the slash let it see the folder markers (404, not 403)',
  );
  ack(
    emrNodes,
    'AwsSolutions-IAM5[Resource::*]',
    'EMR’s on-node agents describe their own cluster, whose id does not exist before the role does',
  );
  ack(
    emrNodes,
    `AwsSolutions-IAM5[Resource::arn:aws:s3:::${Stack.of(stack).region}.elasticmapreduce/*]`,
    'EMR’s regional library bucket, read by every EMR node',
  );
  const submit = stack.accuracy.submitPolicy;
  objects(
    submit,
    ['mr/*', 'reports/*'],
    'The job’s programs under mr/runs/<runId>/ and the reports it reads back',
  );
  ack(
    submit,
    'AwsSolutions-IAM5[Resource::*]',
    'RunJobFlow accepts no resource ARN; the statement requires the EMR-managed tag on the new cluster',
  );
  ack(
    submit,
    `AwsSolutions-IAM5[Resource::arn:aws:elasticmapreduce:${Stack.of(stack).region}:<AWS::AccountId>:cluster/*]`,
    'Clusters are created per run, so their ids are not known in advance',
  );

  ack(
    stack.gateway.loadBalancer,
    'AwsSolutions-EC23',
    'The app’s public entry point: 80/443 from anywhere, behind the WAF web ACL (rate limits, AWS managed rules)',
  );
  ack(
    stack.classify.deadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is the dead-letter destination itself (Lambda on-failure); messages stay 14 days and the DeadLetters alarm fires on the first',
  );
  ack(
    stack.cache.authToken,
    'AwsSolutions-SMG4',
    'Rotated by the operator (deploy/README.md, "Rotating the cache token"): ElastiCache accepts the old and the new token during a ROTATE, the gateways read the secret when they start; a rotation Lambda cannot restart the gateways in between',
  );
  for (const secret of [stack.secrets.resultSigning, stack.secrets.uploadToken]) {
    ack(
      secret,
      'AwsSolutions-SMG4',
      'Rotated by the operator in two phases (deploy/README.md, "Rotating a key"): the services accept the current and the previous key, and read the secret when they start, so no redeploy is needed; a scheduled rotation Lambda cannot restart the gateway between the phases',
    );
  }
  // The S3 notification handler CDK adds (Python, CDK-managed runtime).
  const notifications = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (notifications !== undefined) {
    ack(
      notifications,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK’s own custom resource that sets the bucket notification; it only writes its logs',
    );
  }
}

/** CDK's BucketDeployment (model-repository-seed.ts): a deploy-time custom resource, CDK-managed. */
function acknowledgeModelSeed(
  stack: PictorStack,
  ack: (scope: IConstruct, id: string, reason: string) => void,
  bucketArn: string,
): void {
  const role = stack.modelRepository.deployment.handlerRole;
  ack(
    role,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'CDK’s BucketDeployment handler (runs at deploy only, to seed models/); it only writes its logs with this policy',
  );
  const region = Stack.of(stack).region;
  for (const finding of [
    'Action::s3:GetBucket*',
    'Action::s3:GetObject*',
    'Action::s3:List*',
    'Action::s3:Abort*',
    'Action::s3:DeleteObject*',
    `Resource::arn:aws:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-${region}/*`,
    `Resource::${bucketArn}/*`,
  ]) {
    ack(
      role,
      `AwsSolutions-IAM5[${finding}]`,
      'CDK’s BucketDeployment grants (read the deploy asset, write the destination); it runs only during a deploy, copies into models/ without pruning (DeleteObject is granted by CDK but not used) and cannot be narrowed to the prefix through its API',
    );
  }
  const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (handler !== undefined) {
    ack(
      handler,
      'AwsSolutions-L1',
      'CDK’s BucketDeployment handler; its runtime is chosen (and updated) by aws-cdk-lib',
    );
  }
}
