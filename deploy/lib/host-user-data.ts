import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { installNodeCommands } from './node-release.ts';

/** Where a release is unpacked on an instance, and the user its service runs as. */
export const INSTALL_DIR = '/opt/pictor';
const SERVICE_USER = 'pictor';

export interface HostServiceOptions {
  /** systemd unit name, e.g. `pictor-gpu-host`. */
  readonly unitName: string;
  readonly description: string;
  /** The release folder (package.json, package-lock.json, dist/, data) as an S3 asset. */
  readonly release: Asset;
  readonly architecture: ec2.InstanceArchitecture;
  /** Plain (non-secret) environment of the service; values may be CDK tokens. */
  readonly environment: Readonly<Record<string, string>>;
  /** `ONNXRUNTIME_NODE_INSTALL` for `npm ci`: `cuda12` downloads the CUDA provider, `skip` does not. */
  readonly onnxruntimeInstall: 'cuda12' | 'skip';
  /** The bundle to run, relative to the install folder, e.g. `dist/gpu-host.mjs`. */
  readonly entry: string;
  /** Shell run before the unit is written (as root), e.g. to find the CUDA 12 libraries. */
  readonly preInstall?: readonly string[];
  /** Extra `Environment=` lines computed on the instance, e.g. `LD_LIBRARY_PATH=${CUDA_HOME}/lib64`. */
  readonly runtimeEnvironmentLines?: readonly string[];
  /**
   * Commands run as root before each start of the service (`ExecStartPre=+…`), e.g. one that reads a
   * secret and writes an environment file; the unit reads `environmentFiles` after them.
   */
  readonly startPre?: readonly string[];
  readonly environmentFiles?: readonly string[];
  /** Files written before the unit, e.g. the script a `startPre` command runs. */
  readonly files?: Readonly<Record<string, { readonly lines: readonly string[]; readonly mode: string }>>;
  /** A local URL that answers 200 once the service is ready; user data waits for it. */
  readonly readyUrl: string;
}

/**
 * User data that turns a fresh Ubuntu 24.04 instance (glibc 2.39: the uWebSockets.js build for Node 24
 * needs ≥ 2.38) into one running a Pictor service: Node.js 24 from the npm registry checked against
 * the SHA-256 pinned in node-release.ts, the release from the CDK asset bucket, `npm ci --omit=dev`
 * from the lock file, and a systemd unit that restarts it, then waits for the service to answer.
 * Secrets never pass through here: the services read them from Secrets Manager themselves
 * (platform/secret-source.ts), given only the secrets' ARNs.
 */
export function hostServiceUserData(options: HostServiceOptions): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  const region = Stack.of(options.release).region;
  const nodeArch = options.architecture === ec2.InstanceArchitecture.ARM_64 ? 'arm64' : 'x64';
  userData.addCommands(
    'set -euxo pipefail',
    'export HOME=/root DEBIAN_FRONTEND=noninteractive PATH="$PATH:/snap/bin"',
    'apt-get update -q',
    'apt-get install -y -q --no-install-recommends ca-certificates curl unzip',
    // Ubuntu's AWS images ship snapd but no AWS CLI; the Deep Learning AMI ships the CLI already.
    'command -v aws >/dev/null || snap install aws-cli --classic',
    ...installNodeCommands(nodeArch),
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
  for (const [path, file] of Object.entries(options.files ?? {})) {
    userData.addCommands(...writeFile(path, file.lines), `chmod ${file.mode} ${path}`);
  }

  userData.addCommands(
    ...writeFile(
      `/etc/systemd/system/${options.unitName}.service`,
      [
        '[Unit]',
        `Description=${options.description}`,
        'After=network-online.target',
        'Wants=network-online.target',
        // Keep trying for as long as it takes (a peer or Secrets Manager unreachable at boot).
        'StartLimitIntervalSec=0',
        '',
        '[Service]',
        `User=${SERVICE_USER}`,
        `WorkingDirectory=${INSTALL_DIR}`,
        // The install folder is read-only to the service; caches (CUDA) go to its private /tmp.
        'Environment=HOME=/tmp',
        ...Object.entries(options.environment).map(([name, value]) => `Environment=${name}=${value}`),
        // Lines the unit gets from shell variables set above (unquoted heredoc below expands them).
        ...(options.runtimeEnvironmentLines ?? []).map((line) => `Environment=${line}`),
        ...(options.startPre ?? []).map((command) => `ExecStartPre=+${command}`),
        ...(options.environmentFiles ?? []).map((path) => `EnvironmentFile=${path}`),
        `ExecStart=/usr/local/bin/node ${INSTALL_DIR}/${options.entry}`,
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
