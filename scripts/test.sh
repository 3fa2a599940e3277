#!/usr/bin/env bash
# The whole suite: formatting and lint (forge fmt, biome), types (tsc), forge (unit, fuzz, invariant, attacks), the
# committed gas snapshot, then every vitest
# suite (SDK, storage, inference, agents end to end, indexer). Prints one closing line "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export PONDER_TELEMETRY_DISABLED=1
# The npm wrapper (node_modules/.bin/forge) drops forge's exit code: call the native binary.
forge() { "$(ls -d "$PWD"/node_modules/@foundry-rs/forge-*/bin/forge | head -1)" "$@"; }
status=0
forge_passed=0; forge_failed=0

echo "== forge fmt --check"
forge fmt --check || status=1

echo "== biome check"
biome check . || status=1

echo "== tsc --noEmit"
tsc --noEmit -p . || status=1

echo "== forge test"
forge build >/dev/null || status=1
forge_out=$(mktemp)
forge test ${FORGE_PROFILE:+--profile "$FORGE_PROFILE"} --no-match-path 'test/*.gas.t.sol' 2>&1 | tee "$forge_out" | grep -E "^(Suite result|Ran |\[FAIL)" || true
line=$(grep -E "^Ran [0-9]+ test suites" "$forge_out" | tail -1)
forge_passed=$(echo "$line" | sed -nE 's/.* ([0-9]+) tests passed.*/\1/p'); forge_passed=${forge_passed:-0}
forge_failed=$(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p'); forge_failed=${forge_failed:-0}
grep -qE "^Ran [0-9]+ test suites" "$forge_out" || { echo "forge test did not run"; status=1; }
[ "$forge_failed" = "0" ] || status=1

echo "== gas snapshot (snapshots/lifecycle.json must not change)"
if bash scripts/gas.sh --check >/dev/null 2>&1; then
  forge_passed=$((forge_passed + 1))
else
  echo "gas snapshot changed or gas test failed: run 'npm run gas' and review snapshots/lifecycle.json"
  forge_failed=$((forge_failed + 1)); status=1
fi

echo "== vitest"
vitest_json=$(mktemp)
vitest run --reporter=default --reporter=json --outputFile.json="$vitest_json" || status=1
read -r v_passed v_failed < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  // Failed tests, plus files that failed without a failed test (they did not load): not their describe blocks.
  const unloaded = (r.testResults ?? []).filter((f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed")).length;
  console.log(r.numPassedTests, r.numFailedTests + unloaded);
' "$vitest_json" 2>/dev/null || echo "0 1")

echo
echo "forge: ${forge_passed} passed, ${forge_failed} failed; vitest: ${v_passed} passed, ${v_failed} failed"
echo "$((forge_passed + v_passed)) passed, $((forge_failed + v_failed)) failed"
exit $status
