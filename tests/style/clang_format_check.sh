#!/usr/bin/env bash
# Every C++ source and header git tracks is clang-format clean against the checked-in .clang-format.
# Skips (exit 0 with a message) when clang-format or git is absent, or outside a git checkout.
set -euo pipefail
root="$1"
cd "$root"
if ! command -v clang-format >/dev/null || ! command -v git >/dev/null || ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "SKIP: clang-format or a git checkout is not available"
  exit 0
fi
mapfile -t files < <(git ls-files '*.cpp' '*.h')
clang-format --dry-run -Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
