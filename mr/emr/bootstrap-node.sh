#!/bin/bash
# EMR bootstrap action: installs Node.js on every node, so that Hadoop Streaming tasks can run
# `node join-mapper.js` and the report step can run `node finalize-report.js`.
#
#   aws emr create-cluster ... --bootstrap-actions Path=s3://BUCKET/mr/bootstrap-node.sh,Name=node[,Args=[s3://…tgz]]
#
# Node 24 comes from the npm registry's binary package (node-linux-<arch>, the official build: the
# same tarball the Node 24 test pass runs, .ci/node24.sh), checked against the SHA-256 pinned below
# (deploy/lib/node-release.ts pins the same ones) before it is unpacked into /opt/nodejs/<version>;
# `node` is linked into /usr/bin, which is on every YARN container's PATH.
#
# Argument (optional):
#   $1  s3:// address of that same tarball, for clusters without internet access.
set -euo pipefail

NODE_VERSION=24.22.3
declare -A SHA256=(
  [x64]=6d747cda21df616c78e9ed4f8a816cbacd25f24c1abb4d9aa26773d000e24bd9
  [arm64]=ecdab33ad827e0bf4a856981f274ea7f2acdb942f9c517efb34edd9171c84d0d
)
TARBALL_S3="${1:-}"

case "$(uname -m)" in
  x86_64) ARCH=x64 ;;
  aarch64) ARCH=arm64 ;;
  *) echo "bootstrap-node: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
PACKAGE="node-linux-${ARCH}-${NODE_VERSION}.tgz"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

if [[ -n "$TARBALL_S3" ]]; then
  aws s3 cp "$TARBALL_S3" "$PACKAGE"
else
  curl -fsSL --retry 5 -o "$PACKAGE" "https://registry.npmjs.org/node-linux-${ARCH}/-/${PACKAGE}"
fi
echo "${SHA256[$ARCH]}  ${PACKAGE}" | sha256sum --check --strict -

sudo mkdir -p "/opt/nodejs/${NODE_VERSION}"
sudo tar -xzf "$PACKAGE" -C "/opt/nodejs/${NODE_VERSION}" --strip-components=1 --no-same-owner
sudo ln -sfn "/opt/nodejs/${NODE_VERSION}" /opt/nodejs/current
sudo ln -sf /opt/nodejs/current/bin/node /usr/bin/node
echo "bootstrap-node: $(/usr/bin/node --version) installed"
