#!/usr/bin/env bash
# The committed examples reproduce byte for byte: reruns each example's command into a temporary
# folder and compares every committed file.
set -u
archsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
"$archsim" compare --quiet --out "$tmp/canonical-comparison" >/dev/null || { echo "FAIL: archsim compare exited $?"; exit 1; }
for f in "$src"/reports/examples/canonical-comparison/comparison.*; do
  name=$(basename "$f")
  if ! cmp -s "$f" "$tmp/canonical-comparison/$name"; then
    echo "FAIL: reports/examples/canonical-comparison/$name differs from a fresh run:"
    diff "$f" "$tmp/canonical-comparison/$name" | head -20
    failed=1
  fi
done
for sweep in "$src"/configs/sweeps/*.yaml; do
  name=$(basename "$sweep" .yaml)
  # Exit 1 means some points failed (their rows say why, and are compared below); 2 or more is an error.
  code=0
  "$archsim" sweep "$sweep" --quiet --jobs 2 --out "$tmp/sweeps/$name" >/dev/null 2>&1 || code=$?
  if [ "$code" -gt 1 ]; then echo "FAIL: sweep $name exited $code"; failed=1; continue; fi
  for f in results.csv results.json results.html; do
    if ! cmp -s "$src/reports/examples/sweeps/$name/$f" "$tmp/sweeps/$name/$f"; then
      echo "FAIL: reports/examples/sweeps/$name/$f differs from a fresh run:"
      diff "$src/reports/examples/sweeps/$name/$f" "$tmp/sweeps/$name/$f" | head -10
      failed=1
    fi
  done
done
[ "$failed" = 0 ] && echo "canonical comparison and $(ls "$src"/configs/sweeps/*.yaml | wc -l) example sweeps reproduce byte for byte" ||
  echo "If the change is intended, run scripts/update-examples and commit the result."
exit $failed
