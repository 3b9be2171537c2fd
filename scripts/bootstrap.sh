#!/bin/sh
# Installs the workspace on first use so `npm start` / `npm test` work on a fresh clone
# that has only Node and npm. The pinned pnpm comes from the npm registry through npx
# because corepack's signature check fails against the registry these machines use.
#
# Quiet on purpose: pnpm-workspace.yaml's nodeVersion makes pnpm check engines against the
# Node 24 the project brings (not the machine's node that runs pnpm). Two warnings have no
# cause we can remove and nothing the user can do about them, so they are dropped here, and
# only they: the `node` package creates its bin/node in its own preinstall, after pnpm tried to
# link it ("Failed to create bin" for that one file), and that preinstall runs npm, which
# warns about the npm_config_* variables pnpm exports ("Unknown env config").
set -e
cd "$(dirname "$0")/.."
stamp=node_modules/.install-stamp
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || [ pnpm-lock.yaml -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "[bootstrap] installing workspace dependencies (pnpm 10.34.8, Node 24 from the npm registry)..." >&2
  status=$(mktemp)
  { npx --yes pnpm@10.34.8 install --reporter=append-only 2>&1; echo $? > "$status"; } \
    | grep -v \
        -e '/node_modules/node preinstall: npm warn Unknown env config "[^"]*"\. This will stop working in the next major version of npm\.' \
        -e 'WARN.* Failed to create bin at .*/node_modules/\.pnpm/node@[0-9.]*/node_modules/node/node_modules/\.bin/node\. ENOENT' \
    >&2 || true
  code=$(cat "$status")
  rm -f "$status"
  if [ "$code" != 0 ]; then
    echo "[bootstrap] pnpm install failed (exit $code)" >&2
    exit "$code"
  fi
  touch "$stamp"
fi
