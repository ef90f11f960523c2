#!/usr/bin/env bash
# Renders a run's report.html in headless Chromium and checks the page: it loads, logs no script or
# console errors, and its DOM holds one <svg> per chart. Skipped (exit 0 with a message) when Chromium
# is not installed (Debian package chromium).
set -u
archsim=$1
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "SKIPPED: chromium is not installed (apt-get install chromium); report.html render check not run"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$archsim" run dgx-h100 llama2-70b-w8-decode-tp8 --quiet --out "$tmp/run" >/dev/null || { echo "FAIL: archsim run"; exit 1; }
"$archsim" compare --quiet --out "$tmp/compare" >/dev/null || { echo "FAIL: archsim compare"; exit 1; }
failed=0
for page in "$tmp/run/report.html" "$tmp/compare/comparison.html"; do
  flags=(--headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0)
  timeout 120 "$browser" "${flags[@]}" --screenshot="$tmp/shot.png" --window-size=1200,3000 "file://$page" \
    >"$tmp/log" 2>&1
  if [ ! -s "$tmp/shot.png" ]; then
    echo "FAIL: chromium rendered no screenshot of $page"; cat "$tmp/log"; failed=1; continue
  fi
  if grep -E "Uncaught|CONSOLE.*(error|Error)|SyntaxError|Failed to load" "$tmp/log"; then
    echo "FAIL: errors while rendering $page"; failed=1
  fi
  timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$page" >"$tmp/dom.html" 2>/dev/null
  svgs=$(grep -o "<svg" "$tmp/dom.html" | wc -l)
  figures=$(grep -o '<figure class="chart"' "$tmp/dom.html" | wc -l)
  if [ "$svgs" -eq 0 ] || [ "$svgs" -ne "$figures" ]; then
    echo "FAIL: $page: $svgs svg elements for $figures charts in the rendered DOM"; failed=1
  else
    echo "ok: $(basename "$page") renders: $svgs charts, no errors"
  fi
  rm -f "$tmp/shot.png"
done
exit $failed
