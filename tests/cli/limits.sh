#!/usr/bin/env bash
# Issue 14 limits, on the real binary: inputs that used to hang, wrap or escape as exit 1 each end
# fast with exit 2 and a message saying what made it so, and write nothing.
set -u
archsim=$1
seconds=${2:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# expect CODE PATTERN ARGS...: exit CODE within $seconds s (20 for an optimized build, which takes
# under 1 s on each; CMake passes 120 for the Debug sanitizer build, ~80x slower), stderr matching
# PATTERN.
expect() {
  local want=$1 pattern=$2
  shift 2
  timeout "$seconds" "$archsim" "$@" >"$tmp/out" 2>"$tmp/err"
  local code=$?
  [ "$code" -eq "$want" ] || { cat "$tmp/err"; fail "archsim $* exited $code (want $want)"; }
  grep -q -- "$pattern" "$tmp/err" || { cat "$tmp/err"; fail "archsim $*: no '$pattern'"; }
}

# A matrix unit of 1000 FLOP/s: a decode step would take longer than 2^64 ps (it used to hang in
# the activity bins, and at 1 FLOP/s the rate rounded away and gave H100 numbers).
cat > "$tmp/slow-matrix.yaml" <<'YAML'
kind: chip
base: h100-sxm5
compute:
  matrix:
    peak: {bf16: 1000 FLOPS, fp16: 1000 FLOPS, tf32: 1000 FLOPS, fp8: 1000 FLOPS, int8: 1000 TOPS}
YAML
expect 2 "passes 2^64 ps.*the matrix units" run "$tmp/slow-matrix.yaml" llama2-7b-decode \
  --quiet --out "$tmp/o1"
[ ! -e "$tmp/o1" ] || fail "a record was written for a failed run"
# An HBM of 80 B/s (80 channels of 1 B/s).
cat > "$tmp/slow-hbm.yaml" <<'YAML'
kind: chip
base: h100-sxm5
memory:
  hbm: {bandwidth: 80 B/s, channel_bandwidth: 1 B/s}
YAML
expect 2 "passes 2^64 ps.*memory level 'hbm'" run "$tmp/slow-hbm.yaml" llama2-7b-decode \
  --quiet --out "$tmp/o2"

# Work sized in the billions fails before it is simulated (the work budget).
cat > "$tmp/huge-hbm.yaml" <<'YAML'
kind: chip
base: h100-sxm5
memory:
  hbm: {size: 1000000 TB}
YAML
cat > "$tmp/huge-prefill.yaml" <<'YAML'
kind: scenario
base: tiny-llama-prefill
batch: 4096
prompt_tokens: 65536
YAML
expect 2 "units of simulated work.*4096 sequences" run "$tmp/huge-hbm.yaml" \
  "$tmp/huge-prefill.yaml" --quiet --out "$tmp/o3"
# A billion exact decode steps: projected from the first step and refused at once.
cat > "$tmp/long.yaml" <<'YAML'
kind: scenario
base: llama3-8b-generate
output_tokens: 1000000000
YAML
expect 2 "999999999 decode steps.*without --exact" run "$tmp/huge-hbm.yaml" "$tmp/long.yaml" \
  --exact --quiet --out "$tmp/o4"

# Only regular files are inputs: a FIFO or a device never ends.
mkfifo "$tmp/fifo"
expect 2 "not a regular file" check "$tmp/fifo"
printf 'kind: chip\nbase: /dev/zero\n' > "$tmp/devzero.yaml"
expect 2 "devzero.yaml:2:7: error: key .base.: ./dev/zero. is not a regular file" check "$tmp/devzero.yaml"

# A 1000-file base chain (13,000 used to overflow the stack): refused past 64 links.
printf 'kind: chip\nbase: h100-sxm5\n' > "$tmp/c0.yaml"
for i in $(seq 1 999); do printf 'kind: chip\nbase: c%d.yaml\n' $((i - 1)) > "$tmp/c$i.yaml"; done
expect 2 "c936.yaml:2:7: error: key 'base': a chain of more than 64 bases" check "$tmp/c999.yaml"

# diff: a malformed stats.json is a located error; mistyped parts show as figures, not a crash.
echo '{"metrics": [1,2' > "$tmp/broken.json"
expect 2 "not a stats.json document" diff "$tmp/broken.json" "$tmp/broken.json"
echo '{"metrics": {"tpot_s": "x"}, "bottleneck": true, "energy": [1]}' > "$tmp/odd.json"
timeout "$seconds" "$archsim" diff "$tmp/odd.json" "$tmp/odd.json" >"$tmp/out" 2>"$tmp/err" ||
  fail "diff of a mistyped stats.json exited $?"
grep -q "0 of 5 figures differ" "$tmp/out" || fail "diff output: $(cat "$tmp/out")"
# A --set value yaml-cpp never finishes parsing (",l" alone) is malformed YAML, not an expansion.
expect 2 "malformed YAML: the parser yields more than 1000000 nodes" describe h100-sxm5 \
  --set "chip.clock=,l"

# merge: shard folders with a mistyped manifest, a corrupt point file or a fingerprint that reads
# as a path are located errors; nothing is written outside --out (merge used to write a temporary
# file named after the fingerprint, and a mistyped field escaped as exit 1).
"$archsim" sweep "$(dirname "$0")/../data/sweep/small.yaml" --out "$tmp/shard" --quiet >/dev/null 2>&1
[ -f "$tmp/shard/manifest.json" ] || fail "the sweep wrote no manifest"
cp -r "$tmp/shard" "$tmp/typed"
sed -i 's/"fingerprint": "[0-9a-f]*"/"fingerprint": 5/' "$tmp/typed/manifest.json"
expect 2 "manifest.json: error: key 'fingerprint': expected the text" merge "$tmp/typed" --out "$tmp/m1"
cp -r "$tmp/shard" "$tmp/pathy"
sed -i 's|"fingerprint": "[0-9a-f]*"|"fingerprint": "x/../../pwned"|' "$tmp/pathy/manifest.json"
"$archsim" merge "$tmp/pathy" --out "$tmp/m2" >/dev/null 2>&1 || fail "merge of a renamed fingerprint exited $?"
[ ! -e /tmp/pwned.yaml ] && [ ! -e "$tmp/pwned.yaml" ] || fail "merge wrote a file named by the manifest"
cp -r "$tmp/shard" "$tmp/corrupt"
echo '{"index": "x"}' > "$tmp/corrupt/points/000003.json"
expect 2 "000003.json: error: not a sweep point result" merge "$tmp/corrupt" --out "$tmp/m3"
[ ! -e "$tmp/m3" ] || fail "merge wrote a folder for a failed merge"
echo "limits: all cases exit as documented"
