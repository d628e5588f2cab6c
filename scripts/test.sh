#!/usr/bin/env bash
# The test command (the README's second command; `.ci/run` calls exactly this after fmt and
# clippy). It works on a fresh machine: it brings up PostgreSQL, Redis and NATS JetStream,
# installs the pinned Python SDK that the sandbox's conformance test drives (wechatpy, from
# PyPI) and the node SDK the proxy test drives (wechat-api, from npm), then runs every test
# of the workspace.
set -euo pipefail

cd "$(dirname "$0")/.."

bash scripts/services.sh

if ! python3 -c 'import wechatpy' >/dev/null 2>&1; then
  echo "==> installing the SDK for the sandbox conformance test"
  python3 -m pip install --quiet --disable-pip-version-check -r crates/wx-sandbox/tests/sdk/requirements.txt
fi

if [ ! -d crates/wxhub/tests/it/sdk/node/node_modules/wechat-api ]; then
  echo "==> installing node wechat-api for the proxy SDK test (npm ci)"
  npm ci --prefix crates/wxhub/tests/it/sdk/node --no-audit --no-fund --silent
fi

echo "==> dependencies point one way (scripts/check_layers.py)"
python3 scripts/check_layers.py

echo "==> cargo test --workspace"
cargo test --workspace
