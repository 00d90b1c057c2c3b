#!/usr/bin/env bash
# Runs every test: installs the Debian packages and tools the end-to-end tests drive (a no-op when present), then
# runs unit, protocol and end-to-end tests with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm run --silent lint
npx tsc --noEmit
npx tsc --noEmit -p ui
# Child-process tests run bin/berth.js, which runs the bundle in dist/ as users do; build it from these sources.
npm run build --silent
mapfile -t files < <(find test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
