#!/bin/bash
# EMR bootstrap action: installs Node.js on every node, so that Hadoop Streaming tasks can run
# `node join-mapper.js` and the report step can run `node finalize-report.js`.
#
#   aws emr create-cluster ... --bootstrap-actions Path=s3://BUCKET/mr/bootstrap-node.sh,Name=node[,Args=[VERSION[,s3://…tar.xz]]]
#
# Arguments (both optional):
#   $1  Node.js version, pinned by default to the one the repository is developed and tested with.
#   $2  s3:// address of the official tarball (node-vX-linux-<arch>.tar.xz), for clusters without
#       internet access; its SHASUMS256.txt must sit beside it.
# The tarball is checked against the release's SHASUMS256.txt before it is unpacked into
# /opt/nodejs/<release>; `node` is linked into /usr/bin, which is on every YARN container's PATH.
set -euo pipefail

NODE_VERSION="${1:-20.20.2}"
TARBALL_S3="${2:-}"

case "$(uname -m)" in
  x86_64) ARCH=x64 ;;
  aarch64) ARCH=arm64 ;;
  *) echo "bootstrap-node: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
RELEASE="node-v${NODE_VERSION}-linux-${ARCH}"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

if [[ -n "$TARBALL_S3" ]]; then
  aws s3 cp "$TARBALL_S3" "${RELEASE}.tar.xz"
  aws s3 cp "$(dirname "$TARBALL_S3")/SHASUMS256.txt" SHASUMS256.txt
else
  curl -fsSL --retry 5 -o "${RELEASE}.tar.xz" "https://nodejs.org/dist/v${NODE_VERSION}/${RELEASE}.tar.xz"
  curl -fsSL --retry 5 -o SHASUMS256.txt "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt"
fi
grep " ${RELEASE}.tar.xz\$" SHASUMS256.txt | sha256sum --check --strict -

sudo mkdir -p /opt/nodejs
sudo tar -xJf "${RELEASE}.tar.xz" -C /opt/nodejs
sudo ln -sfn "/opt/nodejs/${RELEASE}" /opt/nodejs/current
sudo ln -sf /opt/nodejs/current/bin/node /usr/bin/node
echo "bootstrap-node: $(/usr/bin/node --version) installed"
