#!/usr/bin/env bash
# Gas of a full task lifecycle (submit → assign → commit×R → reveal×R [→ attest]), measured by
# test/CorNetwork.gas.t.sol with --isolate: every call is its own transaction (cold storage, real refunds),
# a warm-up task runs first (steady state), and only the 21,000 intrinsic gas per transaction is subtracted.
#
#   bash scripts/gas.sh           # run, rewrite snapshots/lifecycle.json, print the table, check the targets
#   bash scripts/gas.sh --check   # same, but fail if any figure differs from the committed snapshot (CI)
#
# Exits non-zero if a test fails, the snapshot differs (--check), or a target is missed:
#   R=3 fast path lifecycle ≤ 400,000 gas; marginal gas per extra miner (fast path, (R5 − R3) / 2) ≤ 90,000;
#   8 R=3 fast-path tasks batched with one Merkle root per miner (commitRoot / revealRoot) ≤ 300,000 gas per task
#   all in (execution + 21,000 per transaction; issue 12).
# The anchor is Ritual Infernet: 352,000 gas for create + one delivery, +169,000 per extra node.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_R3=400000
TARGET_MARGINAL=90000
TARGET_BATCHED=300000
SNAPSHOT=snapshots/lifecycle.json

check=false
[[ "${1:-}" == "--check" ]] && check=true

# The npm wrapper (node_modules/.bin/forge, what `npx forge` runs) does not forward forge's exit code, so a
# failing test or a changed snapshot would still exit 0: call the platform binary it wraps.
FORGE="${FORGE:-$(ls node_modules/@foundry-rs/forge-*/bin/forge 2>/dev/null | head -n 1)}"
FORGE="${FORGE:-forge}"

if $check; then
  FORGE_SNAPSHOT_CHECK=true "$FORGE" test --isolate --match-path test/CorNetwork.gas.t.sol --skip "*/invariant/**"
else
  "$FORGE" test --isolate --match-path test/CorNetwork.gas.t.sol --skip "*/invariant/**" >/dev/null
fi

node - "$SNAPSHOT" "$TARGET_R3" "$TARGET_MARGINAL" "$TARGET_BATCHED" <<'JS'
const fs = require("node:fs");
const [file, targetR3, targetMarginal, targetBatched] = [
  process.argv[2],
  Number(process.argv[3]),
  Number(process.argv[4]),
  Number(process.argv[5]),
];
const snap = Object.fromEntries(Object.entries(JSON.parse(fs.readFileSync(file, "utf8"))).map(([k, v]) => [k, Number(v)]));
const runs = [
  ["fast_r1", "fast R=1", 1],
  ["fast_r3", "fast R=3", 3],
  ["fast_r5", "fast R=5", 5],
  ["embedding_r3", "embed R=3", 3],
  ["embedding_r5", "embed R=5", 5],
];
const fmt = (n) => (n === undefined ? "" : n.toLocaleString("en-US"));
const pad = (s, w) => String(s).padStart(w);
const steps = ["submit", "assign"];
for (let i = 0; i < 5; i++) steps.push(`commit${i}`);
for (let i = 0; i < 5; i++) steps.push(`reveal${i}`);
steps.push("attest", "total");

const out = [];
out.push("COR network lifecycle gas (excl. 21,000 intrinsic per tx; --isolate; steady state)");
out.push("");
out.push(`${"step".padEnd(10)}${runs.map(([, label]) => pad(label, 12)).join("")}`);
for (const step of steps) {
  if (step === "total") out.push("-".repeat(10 + 12 * runs.length));
  const cells = runs.map(([key]) => pad(fmt(snap[`${key}_${step}`]), 12));
  if (cells.every((c) => c.trim() === "")) continue;
  out.push(`${step.padEnd(10)}${cells.join("")}`);
}
const anchor = (r) => 352000 + 169000 * (r - 1);
out.push("");
out.push(`${"lifecycle".padEnd(12)}${pad("gas", 10)}${pad("Infernet", 12)}${pad("ratio", 8)}`);
for (const [key, label, r] of runs) {
  const total = snap[`${key}_total`];
  out.push(`${label.padEnd(12)}${pad(fmt(total), 10)}${pad(fmt(anchor(r)), 12)}${pad((total / anchor(r)).toFixed(2), 8)}`);
}
const marginal = (snap.fast_r5_total - snap.fast_r3_total) / 2;
const marginalEmbedding = (snap.embedding_r5_total - snap.embedding_r3_total) / 2;
const r3 = snap.fast_r3_total;
const ok = (v, t) => (v <= t ? "ok" : "MISSED");
out.push("");
out.push(`marginal per extra miner, fast path (R5-R3)/2: ${fmt(marginal)}  (target <= ${fmt(targetMarginal)}: ${ok(marginal, targetMarginal)}; Infernet +169,000, ratio ${(marginal / 169000).toFixed(2)})`);
out.push(`marginal per extra miner, embedding (R5-R3)/2: ${fmt(marginalEmbedding)}`);
out.push(`R=3 fast path lifecycle: ${fmt(r3)}  (target <= ${fmt(targetR3)}: ${ok(r3, targetR3)})`);
const single = snap.single_fast_r3_per_task_all_in;
const batched = snap.batched8_fast_r3_per_task_all_in;
const rooted = snap.batched8_root_fast_r3_per_task_all_in;
out.push("");
out.push("all in (execution + 21,000 per transaction), R=3 fast path, per task:");
out.push(`  one task at a time (8 transactions):                                        ${fmt(single)}`);
out.push(`  8 tasks batched (submitMany, assignMany, commitMany x3, revealMany x3):     ${fmt(batched)}  (ratio ${(batched / single).toFixed(2)})`);
out.push(`  8 tasks batched, one root per miner (commitRoot x3, revealRoot x3):         ${fmt(rooted)}  (ratio ${(rooted / single).toFixed(2)}; target <= ${fmt(targetBatched)}: ${ok(rooted, targetBatched)})`);
console.log(out.join("\n"));
if (r3 > targetR3 || marginal > targetMarginal || !(rooted <= targetBatched)) {
  console.error("gas target missed");
  process.exit(1);
}
JS
