#!/usr/bin/python3
"""Runs the command blocks of the project's docs exactly as written, the way a reader pastes them.

A fenced block whose previous line is `<!-- ci: run -->` is run; the marked blocks of one file run in order in
one bash session (so a variable, a namespace or a background job one block makes is there for the next, as in a
terminal), from the repository root, as root, with `set -e`. Afterwards the session's background jobs are killed
and every network namespace it made is deleted. A block that fails fails the run (exit status 1), with its output.
Usage: examples/run-doc-blocks.py [FILE.md ...]   (default: README.md and docs/*.md)
"""
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

MARK = "<!-- ci: run -->"
TIMEOUT_S = 900


def blocks(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    found = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == MARK and i + 1 < len(lines) and lines[i + 1].startswith("```"):
            start = i + 2
            end = start
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            found.append((start, "\n".join(lines[start:end])))
            i = end
        i += 1
    return found


def namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def run(path):
    found = blocks(path)
    if not found:
        return True
    script = ["set -e", "cd " + repr(os.getcwd())]
    for line, text in found:
        script.append("echo '=== %s:%d'" % (path, line))
        script.append(text)
    script.append("echo '=== %s: every block ran'" % path)
    before = namespaces()
    with tempfile.TemporaryFile(mode="w+") as log:
        # its own session: whatever a failed block leaves running is killed with it, and the output goes to a
        # file, so a background job that keeps it open cannot make the wait for bash hang
        bash = subprocess.Popen(["bash", "-c", "\n".join(script) + "\n"], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            ok = bash.wait(timeout=TIMEOUT_S) == 0
        except subprocess.TimeoutExpired:
            ok = False
            log.write("\ntimed out after %d s\n" % TIMEOUT_S)
        try:
            os.killpg(bash.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        time.sleep(1)
        for ns in namespaces() - before:
            subprocess.run(["ip", "netns", "del", ns])
        log.seek(0)
        output = log.read()
    print("%s: %d block(s) %s" % (path, len(found), "ran" if ok else "FAILED"))
    if not ok:
        print(output[-6000:])
    return ok


def main(files):
    if not files:
        files = ["README.md"] + sorted(glob.glob("docs/*.md"))
    ok = all([run(f) for f in files])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
