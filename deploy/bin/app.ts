import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readDeployConfig } from '../lib/deploy-config.ts';
import { PictorStack } from '../lib/pictor-stack.ts';
import { buildRelease } from '../lib/release-bundle.ts';

// The CDK app: `npx cdk synth|deploy --app 'npx tsx deploy/bin/app.ts' -c key=value …` (deploy/README.md).
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const app = new App();
// cdk-nag: synthesis (and so every deploy) fails on a finding without a reason in
// deploy/lib/nag-acknowledgements.ts.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const config = readDeployConfig((key) => app.node.tryGetContext(key));
const release = await buildRelease({
  repoRoot,
  outDir: join(repoRoot, 'dist/deploy'),
  publicDir: join(repoRoot, 'pwa/dist'),
});

new PictorStack(app, config.stackName, {
  config,
  release,
  // The account of the credentials in use: with one, the host images are looked up once and pinned
  // in cdk.context.json (deploy/lib/machine-images.ts); without (synthesis in CI) nothing is looked up.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: config.region ?? process.env.CDK_DEFAULT_REGION },
  description:
    'Pictor: image classification (S3, Lambdas, inference and gateway Auto Scaling groups, ElastiCache, WAF, alarms, EMR roles)',
});
app.synth();
