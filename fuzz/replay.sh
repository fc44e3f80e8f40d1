#!/usr/bin/env bash
# Builds the fuzz crate on stable (plain, no coverage instrumentation) and
# replays every seed corpus and every saved finding once through libFuzzer.
# A panic exits 77 and fails; so does a missing or empty corpus. Run from
# anywhere; CI runs it from .ci/run. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --manifest-path fuzz/Cargo.toml
for src in fuzz/fuzz_targets/*.rs; do
  t=$(basename "$src" .rs)
  if [ -z "$(ls -A "fuzz/corpus/$t" 2>/dev/null)" ]; then
    echo "fuzz/corpus/$t is missing or empty" >&2
    exit 1
  fi
  dirs="fuzz/corpus/$t"
  if [ -d "fuzz/artifacts/$t" ]; then dirs="$dirs fuzz/artifacts/$t"; fi
  log="fuzz/target/replay-$t.log"
  # A failing input is copied next to the log, not into the working dir.
  # shellcheck disable=SC2086 # $dirs is a list of directories
  if ! "./fuzz/target/debug/$t" -runs=0 -artifact_prefix="fuzz/target/replay-$t-" $dirs >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz replay FAILED: $t (full log: $log)" >&2
    exit 1
  fi
  inputs=$(grep -o '[0-9]* files found' "$log" | awk '{n += $1} END {print n}')
  echo "fuzz replay ok: $t ($inputs inputs)"
done
