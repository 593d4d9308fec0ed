#!/usr/bin/python3
"""Runs the command blocks of the project's docs exactly as written, the way a reader pastes them.

A fenced block whose previous line is `<!-- ci: run -->` is run; the marked blocks of one file run in order in
one bash session (so a variable, a namespace or a background job one block makes is there for the next, as in a
terminal), from the repository root, as root, with `set -e`. Afterwards the session's background jobs are killed
and every network namespace it made is deleted. A block that fails fails the run (exit status 1), with its output.

A block marked `<!-- ci: run as an ordinary user -->` is what a reader without root pastes on their own machine,
using `sudo` for the steps that need root. It runs on its own, as user `nobody` with `USER=nobody`, in a network
namespace the runner makes (so the TAP it creates and the traffic it sends never reach the host's network), with
`sudo` allowed for `ip` only while it runs, `/dev/net/tun` readable by the user inside that namespace's mount
namespace (Debian's udev makes it 0666; a CI machine's may be 0600), and the current directory a copy of what it
needs from the repository: the examples jar.
Usage: examples/run-doc-blocks.py [FILE.md ...]   (default: README.md, docs/*.md and docs/labs/*.md)
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MARK = "<!-- ci: run -->"
USER_MARK = "<!-- ci: run as an ordinary user -->"
SUDOERS = "/etc/sudoers.d/tapstack-doc-runner"
JAR = "examples/target/tapstack-examples.jar"
TIMEOUT_S = 900


def blocks(path, mark=MARK):
    lines = open(path, encoding="utf-8").read().split("\n")
    found = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == mark and i + 1 < len(lines) and lines[i + 1].startswith("```"):
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
    ok = True
    if found:
        script = ["set -e", "cd " + repr(os.getcwd())]
        for line, text in found:
            script.append("echo '=== %s:%d'" % (path, line))
            script.append(text)
        script.append("echo '=== %s: every block ran'" % path)
        ok = run_script(path, len(found), ["bash", "-c", "\n".join(script) + "\n"])
    for line, text in blocks(path, USER_MARK):
        ok = run_as_ordinary_user("%s:%d" % (path, line), text) and ok
    return ok


def run_as_ordinary_user(where, text):
    """One block as user nobody with sudo for ip, in a namespace of its own, from a directory holding the jar."""
    if shutil.which("sudo") is None or shutil.which("runuser") is None:
        print("%s: needs sudo and runuser (apt-get install sudo util-linux)" % where)
        return False
    ip = shutil.which("ip")
    ns = "docs-user-%d" % os.getpid()
    home = tempfile.mkdtemp(prefix="tapstack-docs-user-")
    os.makedirs(os.path.join(home, os.path.dirname(JAR)))
    shutil.copy(JAR, os.path.join(home, JAR))
    for root, dirs, files in os.walk(home):
        for name in dirs + files + [""]:
            os.chmod(os.path.join(root, name), 0o755 if name in dirs or name == "" else 0o644)
    block = os.path.join(home, "block.sh")
    with open(block, "w") as f:
        f.write("set -e\necho '=== %s'\n%s\necho '=== %s: the block ran'\n" % (where, text, where))
    os.chmod(block, 0o644)
    with open(SUDOERS, "w") as f:
        f.write("nobody ALL=(root) NOPASSWD: %s\n" % ip)
    os.chmod(SUDOERS, 0o440)
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        inner = ("d=$(mktemp -d) && mknod \"$d/tun\" c 10 200 && chmod 666 \"$d/tun\" && mount --bind \"$d/tun\""
                 " /dev/net/tun && cd %s && exec runuser -u nobody -- env USER=nobody LOGNAME=nobody HOME=%s"
                 " PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin bash %s" % (home, home, block))
        return run_script(where, 1, ["ip", "netns", "exec", ns, "sh", "-c", inner])
    finally:
        os.remove(SUDOERS)
        subprocess.run(["ip", "netns", "del", ns])
        shutil.rmtree(home, ignore_errors=True)


def run_script(path, count, command):
    before = namespaces()
    with tempfile.TemporaryFile(mode="w+") as log:
        # its own session: whatever a failed block leaves running is killed with it, and the output goes to a
        # file, so a background job that keeps it open cannot make the wait for bash hang
        bash = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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
        # only the namespaces the blocks name: a test or another run beside this one may have made others
        for ns in namespaces() - before:
            if ns in " ".join(command):
                subprocess.run(["ip", "netns", "del", ns])
        log.seek(0)
        output = log.read()
    print("%s: %d block(s) %s" % (path, count, "ran" if ok else "FAILED"))
    if not ok:
        print(output[-6000:])
    return ok


def main(files):
    if not files:
        files = ["README.md"] + sorted(glob.glob("docs/*.md")) + sorted(glob.glob("docs/labs/*.md"))
    ok = all([run(f) for f in files])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
