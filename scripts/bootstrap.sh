#!/bin/sh
# Installs the workspace on first use so `npm start` / `npm test` work on a fresh clone
# that has only Node and npm. The pinned pnpm comes from the npm registry through npx
# because corepack's signature check fails against the registry these machines use.
set -e
cd "$(dirname "$0")/.."
stamp=node_modules/.install-stamp
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || [ pnpm-lock.yaml -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "[bootstrap] installing workspace dependencies (pnpm 10.34.8, Node 24 from the npm registry)..." >&2
  npx --yes pnpm@10.34.8 install --reporter=append-only >&2
  touch "$stamp"
fi
