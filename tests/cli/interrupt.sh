#!/usr/bin/env bash
# Ctrl-C during a long run: the process dies of SIGINT (exit status 130), says so, writes no record,
# and leaves an earlier record at the same --out folder whole.
set -u
archsim=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/record"
"$archsim" run h100-sxm5 tiny-llama-decode --quiet --out "$out" >/dev/null || { echo "FAIL: the first run"; exit 1; }
before=$(sha256sum "$out/stats.json")
# A run that takes seconds: every decode step of a 2048-token generation simulated (--exact).
"$archsim" run mi300x llama3-8b-generate --exact --set scenario.output_tokens=2048 --quiet --force \
  --out "$out" >/dev/null 2>"$tmp/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -eq 130 ] || { echo "FAIL: exit status $code after SIGINT, expected 130"; cat "$tmp/err"; exit 1; }
grep -q "interrupted" "$tmp/err" || { echo "FAIL: no 'interrupted' message"; cat "$tmp/err"; exit 1; }
[ "$(sha256sum "$out/stats.json")" = "$before" ] || { echo "FAIL: the earlier record changed"; exit 1; }
leftovers=$(find "$tmp" -mindepth 1 -maxdepth 1 -name '.*')
[ -z "$leftovers" ] || { echo "FAIL: left behind: $leftovers"; exit 1; }
echo "interrupt: exit 130, earlier record intact, nothing left behind"
