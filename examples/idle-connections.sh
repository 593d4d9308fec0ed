#!/usr/bin/env bash
# What idle connections cost: the `echo` command on a TAP, N kernel clients that each echo 100 bytes and then sit
# idle, then the process's CPU over 10 s (from /proc), its threads, RSS, the live heap after a full collection and
# the JVM's native memory by kind (direct buffers are "Other"). Everything happens inside a network namespace this
# script creates and deletes; the clients give up after 120 s.
# Usage (root): examples/idle-connections.sh [N (default 900)] [JAR (default examples/target/tapstack-examples.jar)]
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-900}
JAR=${2:-examples/target/tapstack-examples.jar}
NS="tapstack-idle-$$"
PID=""
CLIENTS=""

[ "$(id -u)" -eq 0 ] || { echo "idle-connections.sh: run as root" >&2; exit 1; }
[ -f "$JAR" ] || mvn -B -q -DskipTests package
cleanup() { kill $PID $CLIENTS 2>/dev/null; sleep 1; ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" ip tuntap add dev tap0 mode tap
ip -n "$NS" addr add 10.0.0.1/24 dev tap0
ip -n "$NS" link set tap0 up
ip netns exec "$NS" java -XX:NativeMemoryTracking=summary -jar "$JAR" echo --tap tap0 --ip 10.0.0.2/24 \
    --max-clients $((N + 100)) > /dev/null 2>&1 &
PID=$!
for _ in $(seq 1 100); do ip netns exec "$NS" bash -c 'echo > /dev/tcp/10.0.0.2/7' 2>/dev/null && break; sleep 0.3; done
ip netns exec "$NS" python3 - "$N" <<'PY' &
import socket, sys, time
socks = []
for i in range(int(sys.argv[1])):
    s = socket.create_connection(("10.0.0.2", 7), timeout=10)
    s.sendall(b"x" * 100)
    got = b""
    while len(got) < 100:
        got += s.recv(100 - len(got))
    socks.append(s)
time.sleep(120)
PY
CLIENTS=$!
established() { ip netns exec "$NS" ss -tn state established '( dport = :7 )' | tail -n +2 | wc -l; }
for _ in $(seq 1 240); do [ "$(established)" -ge "$N" ] && break; sleep 0.5; done
echo "established: $(established) (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
sleep 5 # idle long enough for the rings to be given back
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
t0=$(ticks); sleep 10; t1=$(ticks)
echo "cpu over 10 s: $(( (t1 - t0) * 1000 / (10 * HZ) )) per mille of a core"
echo "threads: $(ls "/proc/$PID/task" | wc -l)"
grep VmRSS "/proc/$PID/status"
jcmd "$PID" GC.run > /dev/null
jcmd "$PID" GC.heap_info | grep -E "heap +total"
jcmd "$PID" VM.native_memory summary | grep -E "^-  +(Java Heap|Thread|Other) "
