import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';

/**
 * Ubuntu 24.04 (glibc 2.39): the uWebSockets.js build for Node 24 (ABI 137) needs glibc ≥ 2.38, which
 * Amazon Linux 2023 (2.34) and Debian 12 (2.36) do not have. Canonical's public SSM parameter.
 */
export function ubuntu2404Parameter(arch: 'amd64' | 'arm64'): string {
  return `/aws/service/canonical/ubuntu/server/24.04/stable/current/${arch}/hvm/ebs-gp3/ami-id`;
}

/** The Deep Learning Base OSS Nvidia Driver GPU AMI on Ubuntu 24.04: NVIDIA driver and CUDA 12 toolkits. */
export const DLAMI_UBUNTU_2404_PARAMETER =
  '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id';

/**
 * A host image that does not move under a running deployment. An explicit `ami-…` (context
 * `gatewayImageId` / `inferenceImageId`) wins. Otherwise the public SSM parameter is read once, at the
 * first synthesis with credentials, and pinned in cdk.context.json (CDK's context cache): later
 * deploys reuse it until the operator runs `npx cdk context --reset <key>`, so no routine deploy
 * replaces an instance because a newer image came out. Without an account (synthesis in CI) nothing
 * can be looked up: the template then resolves the parameter at deploy time, with a warning.
 */
export function pinnedImage(
  scope: Construct,
  imageId: string | undefined,
  parameter: string,
): ec2.IMachineImage {
  if (imageId !== undefined) {
    return {
      getImage: () => ({ imageId, osType: ec2.OperatingSystemType.LINUX, userData: ec2.UserData.forLinux() }),
    };
  }
  if (!Token.isUnresolved(Stack.of(scope).account)) {
    return ec2.MachineImage.fromSsmParameter(parameter, { cachedInContext: true });
  }
  Annotations.of(scope).addWarningV2(
    'pictor:image-not-pinned',
    `no account at synthesis: ${parameter} is resolved at deploy time and may change between deploys; deploy with credentials (or pass an ami-… id) to pin it`,
  );
  return ec2.MachineImage.fromSsmParameter(parameter);
}
