import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';

/** Where a release is unpacked on an instance, and the user its service runs as. */
export const INSTALL_DIR = '/opt/pictor';
const SERVICE_USER = 'pictor';

export interface HostServiceOptions {
  /** systemd unit name, e.g. `pictor-gpu-host`. */
  readonly unitName: string;
  readonly description: string;
  /** The release folder (package.json, package-lock.json, dist/, data) as an S3 asset. */
  readonly release: Asset;
  /** Node.js version installed from nodejs.org, e.g. `20.20.2`. */
  readonly nodeVersion: string;
  readonly architecture: ec2.InstanceArchitecture;
  /** Plain (non-secret) environment of the service; values may be CDK tokens. */
  readonly environment: Readonly<Record<string, string>>;
  /** Environment variables read from Secrets Manager each time the service starts: name → secret ARN. */
  readonly secretEnvironment?: Readonly<Record<string, string>>;
  /** `ONNXRUNTIME_NODE_INSTALL` for `npm ci`: `cuda12` downloads the CUDA provider, `skip` does not. */
  readonly onnxruntimeInstall: 'cuda12' | 'skip';
  /** The bundle to run, relative to the install folder, e.g. `dist/gpu-host.mjs`. */
  readonly entry: string;
  /** Shell run before the unit is written (as root), e.g. to find the CUDA 12 libraries. */
  readonly preInstall?: readonly string[];
  /** Extra `Environment=` lines computed on the instance, e.g. `LD_LIBRARY_PATH=${CUDA_HOME}/lib64`. */
  readonly runtimeEnvironmentLines?: readonly string[];
  /** A local URL that answers 200 once the service is ready; user data waits for it. */
  readonly readyUrl: string;
}

/**
 * User data that turns a fresh Amazon Linux 2023 instance into one running a Pictor service: Node.js
 * from nodejs.org, the release from the CDK asset bucket, `npm ci --omit=dev` from the lock file, and a
 * systemd unit that restarts it, then waits for the service to answer. Secrets are fetched by the
 * unit's start script, never written to disk or to the user data.
 */
export function hostServiceUserData(options: HostServiceOptions): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  const region = Stack.of(options.release).region;
  const nodeArch = options.architecture === ec2.InstanceArchitecture.ARM_64 ? 'arm64' : 'x64';
  const nodeDist = `node-v${options.nodeVersion}-linux-${nodeArch}`;
  userData.addCommands(
    'set -euxo pipefail',
    'export HOME=/root',
    'dnf install -y --setopt=install_weak_deps=False tar xz unzip aws-cfn-bootstrap',
    `curl -fsSL --retry 5 -o /tmp/node.tar.xz https://nodejs.org/dist/v${options.nodeVersion}/${nodeDist}.tar.xz`,
    `curl -fsSL --retry 5 -o /tmp/SHASUMS256.txt https://nodejs.org/dist/v${options.nodeVersion}/SHASUMS256.txt`,
    `(cd /tmp && grep " ${nodeDist}.tar.xz\\$" SHASUMS256.txt | sed 's/${nodeDist}.tar.xz/node.tar.xz/' | sha256sum -c -)`,
    'tar -xJf /tmp/node.tar.xz -C /usr/local --strip-components=1 --no-same-owner',
    `id ${SERVICE_USER} || useradd --system --home-dir ${INSTALL_DIR} --shell /sbin/nologin ${SERVICE_USER}`,
  );
  const zip = userData.addS3DownloadCommand({
    bucket: options.release.bucket,
    bucketKey: options.release.s3ObjectKey,
    localFile: '/tmp/release.zip',
    region,
  });
  userData.addCommands(
    `mkdir -p ${INSTALL_DIR} && unzip -q -o ${zip} -d ${INSTALL_DIR}`,
    `cd ${INSTALL_DIR} && ONNXRUNTIME_NODE_INSTALL=${options.onnxruntimeInstall} /usr/local/bin/npm ci --omit=dev --no-audit --no-fund`,
    `chown -R root:root ${INSTALL_DIR} && chmod -R a+rX ${INSTALL_DIR}`,
    ...(options.preInstall ?? []),
  );

  const startScript = `/usr/local/bin/${options.unitName}-start`;
  const secretLines = Object.entries(options.secretEnvironment ?? {}).map(
    ([name, arn]) =>
      `export ${name}="$(aws secretsmanager get-secret-value --region ${region} --secret-id '${arn}' --query SecretString --output text)"`,
  );
  userData.addCommands(
    ...writeFile(startScript, [
      '#!/bin/bash',
      'set -euo pipefail',
      ...secretLines,
      `exec /usr/local/bin/node ${INSTALL_DIR}/${options.entry}`,
    ]),
    `chmod 0755 ${startScript}`,
    ...writeFile(
      `/etc/systemd/system/${options.unitName}.service`,
      [
        '[Unit]',
        `Description=${options.description}`,
        'After=network-online.target',
        'Wants=network-online.target',
        '',
        '[Service]',
        `User=${SERVICE_USER}`,
        `WorkingDirectory=${INSTALL_DIR}`,
        // The install folder is read-only to the service; caches (AWS CLI, CUDA) go to its private /tmp.
        'Environment=HOME=/tmp',
        ...Object.entries(options.environment).map(([name, value]) => `Environment=${name}=${value}`),
        // Lines the unit gets from shell variables set above (unquoted heredoc below expands them).
        ...(options.runtimeEnvironmentLines ?? []).map((line) => `Environment=${line}`),
        `ExecStart=${startScript}`,
        'Restart=always',
        'RestartSec=2',
        'NoNewPrivileges=true',
        'ProtectSystem=full',
        'PrivateTmp=true',
        '',
        '[Install]',
        'WantedBy=multi-user.target',
      ],
      { expand: true },
    ),
    'systemctl daemon-reload',
    `systemctl enable --now ${options.unitName}.service`,
    // Up to ~5 minutes for the service to answer; the exit status is what the instance signals.
    `curl -fsS --retry 60 --retry-delay 5 --retry-all-errors -o /dev/null ${options.readyUrl}`,
  );
  return userData;
}

/**
 * Makes CloudFormation wait for the user data to finish and the service to answer: a release that
 * does not start fails the deployment (and rolls back) instead of replacing a working instance.
 */
export function signalWhenReady(instance: ec2.Instance, userData: ec2.UserData): void {
  userData.addSignalOnExitCommand(instance);
}

/** Lets a role read exactly one asset object, not the whole CDK asset bucket. */
export function grantReadAsset(asset: Asset, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:GetObject'],
    resourceArns: [asset.bucket.arnForObjects(asset.s3ObjectKey)],
  });
}

/** A heredoc that writes `lines` to `path`; `expand` lets the shell substitute `${VAR}` in it. */
function writeFile(path: string, lines: readonly string[], options: { expand?: boolean } = {}): string[] {
  const delimiter = options.expand ? 'PICTOR_EOF' : "'PICTOR_EOF'";
  return [`cat > ${path} <<${delimiter}`, ...lines, 'PICTOR_EOF'];
}
