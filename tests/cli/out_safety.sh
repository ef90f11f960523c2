#!/usr/bin/env bash
# --out never destroys what archsim did not create: a folder with other files, a regular file and a
# device are refused with exit 2 and left as they were; an empty folder and archsim's own output
# folder are written (and rewritten).
set -u
archsim=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir "$tmp/user" && echo precious > "$tmp/user/notes.txt"
echo precious > "$tmp/file.txt"
for target in "$tmp/user" "$tmp/file.txt" /dev/null; do
  for cmd in "run h100-sxm5 tiny-llama-decode" "compare h100-sxm5 --scenario tiny-llama-decode" \
             "validate $(dirname "$0")/../../workloads/validation/microbench.yaml"; do
    # shellcheck disable=SC2086
    "$archsim" $cmd --quiet --out "$target" >/dev/null 2>"$tmp/err"
    code=$?
    [ "$code" -eq 2 ] || fail "archsim $cmd --out $target exited $code (want 2)"
    grep -q "archsim" "$tmp/err" || fail "no reason given for $target"
  done
done
[ "$(cat "$tmp/user/notes.txt")" = precious ] || fail "the user's folder changed"
[ "$(ls -A "$tmp/user")" = notes.txt ] || fail "something was added to the user's folder"
[ "$(cat "$tmp/file.txt")" = precious ] || fail "the user's file changed"
[ -c /dev/null ] || fail "/dev/null is no longer a device"
mkdir "$tmp/empty"
"$archsim" run h100-sxm5 tiny-llama-decode --quiet --out "$tmp/empty" >/dev/null || fail "an empty folder was refused"
"$archsim" run h100-sxm5 tiny-llama-decode --quiet --out "$tmp/empty" >/dev/null || fail "the same run again was refused"
"$archsim" run h100-sxm5 tiny-llama-prefill --quiet --out "$tmp/empty" >/dev/null 2>&1 && fail "a different run replaced a record without --force"
"$archsim" run h100-sxm5 tiny-llama-prefill --quiet --force --out "$tmp/empty" >/dev/null || fail "--force did not replace the record"
grep -q tiny-llama-prefill "$tmp/empty/stats.json" || fail "the forced run is not in the folder"
[ -f "$tmp/empty/.archsim-output" ] || fail "no output marker"
# A sweep folder: the same sweep again is fine; another sweep's results are replaced only with --force.
sweeps=$(dirname "$0")/../../configs/sweeps
"$archsim" sweep "$sweeps/hbm-channels.yaml" --quiet --out "$tmp/sweep" >/dev/null 2>&1
[ $? -le 1 ] || fail "the first sweep did not run"
"$archsim" sweep "$sweeps/sram-cliff.yaml" --quiet --out "$tmp/sweep" >/dev/null 2>&1
[ $? -eq 2 ] || fail "another sweep replaced the results without --force"
"$archsim" sweep "$sweeps/sram-cliff.yaml" --quiet --force --out "$tmp/sweep" >/dev/null 2>&1
[ $? -le 1 ] || fail "--force did not replace the sweep's results"
# A symlink, to a foreign folder or to an empty one, is refused and left as it was (with its target).
mkdir "$tmp/real" "$tmp/empty2" && echo keep > "$tmp/real/x"
ln -s real "$tmp/link" && ln -s empty2 "$tmp/link2"
for target in "$tmp/link" "$tmp/link2"; do
  "$archsim" run h100-sxm5 tiny-llama-decode --quiet --out "$target" >/dev/null 2>"$tmp/err"
  [ $? -eq 2 ] || fail "--out at the symlink $target was not refused"
  [ -L "$target" ] || fail "the symlink $target was replaced"
done
[ "$(cat "$tmp/real/x")" = keep ] && [ -z "$(ls -A "$tmp/empty2")" ] || fail "a symlink target changed"
# A name with ../ stays one component under the default output root.
mkdir "$tmp/work" && printf 'kind: scenario\nbase: tiny-llama-decode\nname: "../../escape"\n' > "$tmp/esc.yaml"
(cd "$tmp/work" && "$archsim" run h100-sxm5 ../esc.yaml --quiet >/dev/null) || fail "the ../ name did not run"
[ "$(find "$tmp/work/reports" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 1 ] || fail "no record under reports/"
[ ! -e "$tmp/escape" ] && [ ! -e "$tmp/work/escape" ] || fail "a ../ name wrote outside reports/"
echo "out safety: refused a user folder, a file, a device and symlinks; kept ../ names inside reports/; refreshed the same run; replaced a different run only with --force"
