#!/usr/bin/env python3
"""Runs the command blocks of README.md and compares the output they show with the real output.

Usage: check_readme.py README BUILD_DIR [--only LINE] [--list]

A fenced block is handled by what it holds and by an optional marker on the line before it
(blank lines between are allowed):

  <!-- readme-test: skip REASON -->      not run (installs, long runs, excerpts of files)
  <!-- readme-test: illustrative -->     commands run and must succeed; shown output not compared
  <!-- readme-test: file PATH -->        the block is written to PATH in the working directory
  <!-- readme-test: setup COMMAND -->    a shell command run before the block (may repeat)
  <!-- readme-test: python-module -->    needs the Python module: skipped when it was not built

Python blocks run with the module's build directory on PYTHONPATH (and matplotlib, when present,
drawing off screen); they need the module, so they are skipped, said, when it was not built.

Blocks with "$ " prompts: each command runs (a trailing backslash continues it) and the lines shown
after it must appear in its output (stdout and stderr together): consecutive shown lines on
consecutive output lines, a line that is only "..." or "…" skipping any number of lines, and "…"
inside a line matching any text. Other sh blocks: every line is a command that must exit 0.
YAML blocks that start with `kind:` and are not files are written out and must pass `archsim check`.
Everything runs in a fresh temporary directory whose build/, configs/, workloads/ and tests/ point
at the repository's and whose PATH has `archsim`; nothing is written into the repository.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

MARK = re.compile(r"^<!--\s*readme-test:\s*([\w-]+)\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^\s*```(\S*)")
TIMEOUT_S = 120


class Block:
    def __init__(self, line, lang, body, marks):
        self.line, self.lang, self.body, self.marks = line, lang, body, marks

    def mark(self, kind):
        return [arg for k, arg in self.marks if k == kind]


def parse(readme):
    lines = open(readme, encoding="utf-8").read().split("\n")
    blocks, marks, i = [], [], 0
    while i < len(lines):
        m = MARK.match(lines[i].strip())
        if m:
            marks.append((m.group(1), m.group(2)))
            i += 1
            continue
        f = FENCE.match(lines[i])
        if f:
            indent = len(lines[i]) - len(lines[i].lstrip())
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
                i += 1
            blocks.append(Block(start, f.group(1), body, marks))
            marks = []
        elif lines[i].strip():
            for kind, _ in marks:
                sys.exit(f"{readme}:{i}: readme-test marker '{kind}' is not followed by a block")
        i += 1
    for b in blocks:
        for kind, _ in b.marks:
            if kind not in ("skip", "illustrative", "file", "setup", "python-module"):
                sys.exit(f"{readme}:{b.line - 1}: unknown readme-test marker '{kind}'")
    return blocks


def commands_and_output(body):
    """[(command, [shown output lines])] of a prompt block."""
    out, i = [], 0
    while i < len(body):
        line = body[i]
        if not line.lstrip().startswith("$ "):
            i += 1
            continue
        indent = len(line) - len(line.lstrip())
        cmd = line.lstrip()[2:]
        while cmd.endswith("\\") and i + 1 < len(body):
            i += 1
            cmd = cmd[:-1] + " " + body[i].strip()
        shown = []
        i += 1
        while i < len(body) and not body[i].lstrip().startswith("$ "):
            shown.append(body[i][indent:].rstrip())
            i += 1
        while shown and not shown[-1].strip():
            shown.pop()
        out.append((cmd, shown))
    return out


def line_matches(shown, actual):
    if "…" not in shown:
        return shown == actual
    pattern = ".*".join(re.escape(p) for p in shown.split("…"))
    return re.fullmatch(pattern, actual) is not None


def find_segment(segment, actual, start):
    """The first index >= start where `segment` matches consecutive lines, or -1."""
    for at in range(start, len(actual) - len(segment) + 1):
        if all(line_matches(s, actual[at + k]) for k, s in enumerate(segment)):
            return at
    return -1


def compare(shown, actual):
    """None when `shown` (with elisions) appears in `actual`, else what did not match."""
    segments, current = [], []
    for s in shown:
        if s.strip() in ("...", "…"):
            if current:
                segments.append(current)
            current = []
        else:
            current.append(s)
    if current:
        segments.append(current)
    at = 0
    for seg in segments:
        found = find_segment(seg, actual, at)
        if found < 0:
            # Report the first line of the segment that cannot be placed.
            for k in range(len(seg), 0, -1):
                if find_segment(seg[:k], actual, at) >= 0:
                    return f"shown line not in the output (after the lines before it): {seg[k]!r}"
            return f"shown line not in the output: {seg[0]!r}"
        at = found + len(seg)
    return None


def run(cmd, cwd, env):
    p = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
    text = p.stdout.decode("utf-8", "replace").rstrip("\n")
    return p.returncode, [line.rstrip() for line in text.split("\n")]


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    readme, build = os.path.abspath(args[0]), os.path.abspath(args[1])
    only = int(args[args.index("--only") + 1]) if "--only" in args else None
    repo = os.path.dirname(readme)
    blocks = parse(readme)
    if "--list" in args:
        for b in blocks:
            print(b.line, b.lang or "-", b.marks)
        return 0

    work = tempfile.mkdtemp(prefix="archsim-readme-")
    try:
        for name in ("configs", "workloads", "tests", "scripts", "python"):
            os.symlink(os.path.join(repo, name), os.path.join(work, name))
        os.symlink(build, os.path.join(work, "build"))
        os.makedirs(os.path.join(work, "bin"))
        os.symlink(os.path.join(build, "archsim"), os.path.join(work, "bin", "archsim"))
        # python3 is the interpreter running this check (the one the module was built for).
        os.symlink(sys.executable, os.path.join(work, "bin", "python3"))
        env = dict(os.environ)
        env["PATH"] = os.path.join(work, "bin") + os.pathsep + env.get("PATH", "")
        env["COLUMNS"] = "100"
        env["PYTHONPATH"] = build + os.pathsep + env.get("PYTHONPATH", "")
        env["MPLBACKEND"] = "Agg"
        have_module = subprocess.run([sys.executable, "-c", "import archsim"], env=env,
                                     capture_output=True).returncode == 0
        failures, ran, skipped = [], 0, []

        def fail(block, message):
            failures.append(f"README.md:{block.line}: {message}")

        for b in blocks:
            if b.mark("skip"):
                continue
            if only is not None and b.line != only and not b.mark("file"):
                continue
            if (b.lang == "python" or b.mark("python-module")) and not have_module:
                skipped.append(b.line)
                continue
            for setup in b.mark("setup"):
                code, out = run(setup, work, env)
                if code != 0:
                    fail(b, f"setup '{setup}' exited {code}: {out[-1] if out else ''}")
            files = b.mark("file")
            if files:
                path = os.path.join(work, files[0])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n".join(b.body) + "\n")
                continue
            prompts = commands_and_output(b.body)
            if prompts:
                for cmd, shown in prompts:
                    ran += 1
                    try:
                        code, out = run(cmd, work, env)
                    except subprocess.TimeoutExpired:
                        fail(b, f"'{cmd}' took over {TIMEOUT_S} s")
                        continue
                    if b.mark("illustrative"):
                        if code not in (0, 1):
                            fail(b, f"'{cmd}' exited {code}: {out[-1] if out else ''}")
                        continue
                    problem = compare(shown, out)
                    if problem:
                        fail(b, f"'{cmd}': {problem}\n--- output ---\n" + "\n".join(out[:60]))
            elif b.lang == "sh":
                for cmd in b.body:
                    if not cmd.strip() or cmd.lstrip().startswith("#"):
                        continue
                    ran += 1
                    code, out = run(cmd, work, env)
                    if code != 0:
                        fail(b, f"'{cmd}' exited {code}: " + "\n".join(out[-5:]))
            elif b.lang == "python" or (b.lang == "yaml" and b.body and
                                        b.body[0].startswith("kind:")):
                # A script that must run, or an example file that must pass `archsim check`.
                ran += 1
                python = b.lang == "python"
                path = os.path.join(work, f"readme-block-{b.line}.{'py' if python else 'yaml'}")
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n".join(b.body) + "\n")
                code, out = run(f"{'python3' if python else 'archsim check'} {path}", work, env)
                if code != 0:
                    what = "the Python example failed" if python else "the YAML example fails check"
                    fail(b, f"{what}:\n" + "\n".join(out[-10:]))
        for f in failures:
            print(f, file=sys.stderr)
        if skipped:
            print(f"README: the Python module was not built; skipped the blocks at lines "
                  f"{', '.join(map(str, skipped))}")
        print(f"README: {ran} commands and examples checked, {len(failures)} failed")
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
