#!/usr/bin/env bash
# The parts that do not need uWebSockets.js — contracts/, lambda/, mr/, platform/ and the Lambda bundle
# (deploy/test/release-bundle.test.ts runs it in a child of this Node) — under Node 24, the Node that runs
# in AWS (Lambda nodejs24.x, the hosts, the EMR nodes). The binary is the npm registry's node-linux-<arch>
# package (the official build, nothing fetched from elsewhere), checked against the SHA-256 pinned here and
# in deploy/lib/node-release.ts, and cached under node_modules/.cache/node24 so later runs start at once.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.22.3
case "$(uname -m)" in
  x86_64) ARCH=x64; SHA256=6d747cda21df616c78e9ed4f8a816cbacd25f24c1abb4d9aa26773d000e24bd9 ;;
  aarch64) ARCH=arm64; SHA256=ecdab33ad827e0bf4a856981f274ea7f2acdb942f9c517efb34edd9171c84d0d ;;
  *) echo "node24: no pinned Node 24 for $(uname -m)" >&2; exit 1 ;;
esac
CACHE="${NODE24_CACHE:-node_modules/.cache/node24}"
NODE="$CACHE/$NODE_VERSION/bin/node"

if [ ! -x "$NODE" ]; then
  mkdir -p "$CACHE"
  TARBALL="$CACHE/node-linux-${ARCH}-${NODE_VERSION}.tgz"
  if [ ! -f "$TARBALL" ]; then
    (cd "$CACHE" && npm pack --silent "node-linux-${ARCH}@${NODE_VERSION}" >/dev/null)
  fi
  echo "${SHA256}  ${TARBALL}" | sha256sum --check --strict --quiet -
  mkdir -p "$CACHE/$NODE_VERSION"
  tar -xzf "$TARBALL" -C "$CACHE/$NODE_VERSION" --strip-components=1 --no-same-owner package/bin/node
  rm -f "$TARBALL"
fi

echo "==> Node $("$NODE" --version) (ABI $("$NODE" -p process.versions.modules)): contracts, lambda, mr, platform, the Lambda bundle"
# Child processes (the Lambda bundle, Hadoop-Streaming stand-ins) find the same Node first on PATH.
# Exact files, not folder filters: vitest matches filters anywhere in a path (`lambda` would take in
# test/integration/lambda-handler.test.ts, which starts the gateway).
mapfile -t FILES < <(find contracts lambda mr platform -name '*.test.ts' -not -path '*/node_modules/*' | sort)
PATH="$(cd "$(dirname "$NODE")" && pwd):$PATH" exec "$NODE" node_modules/vitest/vitest.mjs run \
  "${FILES[@]}" deploy/test/release-bundle.test.ts "$@"
