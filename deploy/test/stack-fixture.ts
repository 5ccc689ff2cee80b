import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, CfnElement, type IResolvable } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { readDeployConfig } from '../lib/deploy-config.ts';

/** The feature flags of the repository's cdk.json: the tests synthesise exactly what `cdk deploy` does. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

import { PictorStack } from '../lib/pictor-stack.ts';

/**
 * Synthesises the real stack into a scratch folder. The code assets are stand-in folders: what is in
 * them does not change the template (release-bundle.test.ts builds and runs the real bundles).
 */
export class StackFixture {
  private readonly root = mkdtempSync(join(tmpdir(), 'pictor-deploy-test-'));
  private readonly release = {
    lambdaDir: this.folder('lambda', 'index.mjs'),
    gpuHostDir: this.folder('gpu-host', 'package.json', 'models/digits/1/manifest.json'),
    gatewayDir: this.folder('gateway', 'package.json'),
  };
  private synths = 0;

  /**
   * Synthesises with cdk.json's flags and `-c` context. `account` makes the stack look images up (the
   * look-up answers must then be in `context`, as cdk.context.json would hold them).
   */
  synth(
    context: Record<string, unknown> = {},
    options: { account?: string; app?: (app: App) => void; extend?: (stack: PictorStack) => void } = {},
  ) {
    const app = new App({
      context: { ...CDK_JSON_CONTEXT, ...context },
      outdir: join(this.root, `cdk.out.${this.synths++}`),
    });
    options.app?.(app);
    const config = readDeployConfig((key) => app.node.tryGetContext(key));
    const stack = new PictorStack(app, config.stackName, {
      config,
      release: this.release,
      env: { account: options.account, region: 'eu-west-1' },
    });
    options.extend?.(stack);
    return { app, stack, template: Template.fromStack(stack) };
  }

  cleanUp(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private folder(name: string, ...files: string[]): string {
    const dir = join(this.root, name);
    for (const file of files) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), `${name}\n`);
    }
    return dir;
  }
}

/** The logical ID of a construct's CloudFormation resource. */
export function logicalId(stack: PictorStack, construct: IConstruct): string {
  // resolve() rather than getLogicalId(): it honours overrides such as userDataCausesReplacement's.
  const element = CfnElement.isCfnElement(construct)
    ? construct
    : (construct.node.defaultChild as CfnElement);
  return stack.resolve(element.logicalId) as string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The permissions a role's inline policies grant on one bucket, as sorted `action resource` lines such
 * as `s3:GetObject bucket/uploads/*` — statements about anything else are left out.
 */
export function bucketPermissions(template: Template, roleId: string, bucketId: string): string[] {
  const lines: string[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const roles = policy.Properties.Roles as Json[];
    if (!roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId }))) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Record<string, Json>[]) {
      const actions = [statement.Action].flat() as string[];
      const resources = [statement.Resource].flat() as Json[];
      for (const resource of resources) {
        const name = bucketResourceName(resource, bucketId);
        if (name === undefined) continue;
        const condition = statement.Condition ? ` if ${JSON.stringify(statement.Condition)}` : '';
        for (const action of actions) lines.push(`${action} ${name}${condition}`);
      }
    }
  }
  return lines.sort();
}

function bucketResourceName(resource: Json, bucketId: string): string | undefined {
  const arn = JSON.stringify({ 'Fn::GetAtt': [bucketId, 'Arn'] });
  if (JSON.stringify(resource) === arn) return 'bucket';
  const join = (resource as { 'Fn::Join'?: [string, Json[]] } | null)?.['Fn::Join'];
  if (join && join[1].length === 2 && JSON.stringify(join[1][0]) === arn)
    return `bucket${String(join[1][1])}`;
  return undefined;
}

/** Ingress rules on a security group, inline or separate, as `port from <source>` lines. */
export function ingressRules(template: Template, groupId: string): string[] {
  const lines: string[] = [];
  const add = (rule: Record<string, Json>) => {
    const source = rule.SourceSecurityGroupId
      ? `sg:${(rule.SourceSecurityGroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]}`
      : `cidr:${String(rule.CidrIp ?? rule.CidrIpv6)}`;
    lines.push(`${String(rule.FromPort)}-${String(rule.ToPort)} from ${source}`);
  };
  const group = template.findResources('AWS::EC2::SecurityGroup')[groupId];
  for (const rule of (group?.Properties.SecurityGroupIngress ?? []) as Record<string, Json>[]) add(rule);
  for (const rule of Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))) {
    const target = rule.Properties.GroupId as { 'Fn::GetAtt'?: string[] };
    if (target['Fn::GetAtt']?.[0] === groupId) add(rule.Properties);
  }
  return lines.sort();
}

/** A launch template's user data script, with CloudFormation intrinsics shown as `<<…>>`. */
export function userDataText(template: Template, launchTemplateId: string): string {
  const launchTemplate = template.findResources('AWS::EC2::LaunchTemplate')[launchTemplateId];
  const parts = launchTemplate?.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1] as (
    | string
    | IResolvable
  )[];
  return parts.map((p) => (typeof p === 'string' ? p : `<<${JSON.stringify(p)}>>`)).join('');
}
