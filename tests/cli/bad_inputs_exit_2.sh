#!/usr/bin/env bash
# Runs the real archsim binary on every file in tests/bad_inputs/ and requires exit code 2 for each:
# a clear user error, never success (0), an internal error (1), a crash (>= 128) or a hang.
set -u
archsim=$1
dir=$2
failed=0
count=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for f in "$dir"/*; do
  [ "$(basename "$f")" = expected.yaml ] && continue
  [ -f "$f" ] || continue  # sub-folders hold what bad inputs refer to (serving traces)
  count=$((count + 1))
  timeout 20 "$archsim" check "$f" >/dev/null 2>"$err"
  rc=$?
  if [ "$rc" -ne 2 ]; then
    echo "FAIL: archsim check $(basename "$f") exited $rc (want 2):"
    cat "$err"
    failed=1
  fi
done
echo "$count bad inputs checked"
[ "$count" -ge 25 ] || { echo "FAIL: fewer than 25 bad inputs"; failed=1; }
exit $failed
