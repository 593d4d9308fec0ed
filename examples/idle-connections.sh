#!/usr/bin/env bash
# What idle connections cost: the `echo` command (or `services`, asynchronous) on a TAP, N kernel clients that each
# echo 100 bytes and then sit idle, then the process's CPU over 10 s (from /proc), its threads, RSS, the live heap
# after a full collection (before the clients and with them: the difference per connection), the JVM's native memory
# by kind (direct buffers are "Other"), the stack's TCP buffer gauge, and the time a new client waits for its echo
# (and, on `services`, for an HTTP answer) while the N sit idle. Everything happens inside a network namespace this
# script creates and deletes; the clients give up after 240 s.
# Usage (root): examples/idle-connections.sh [N (default 900)] [JAR (default examples/target/tapstack-examples.jar)]
#               [COMMAND: echo (default) or services]
# e.g. examples/idle-connections.sh 10000 examples/target/tapstack-examples.jar services
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-900}
JAR=${2:-examples/target/tapstack-examples.jar}
COMMAND=${3:-echo}
NS="tapstack-idle-$$"
PID=""
CLIENTS=""

[ "$(id -u)" -eq 0 ] || { echo "idle-connections.sh: run as root" >&2; exit 1; }
case "$COMMAND" in
    echo) ARGS=(--max-clients $((N + 100))) ;;
    services) ARGS=(--max-connections $((N + 100))) ;;
    *) echo "idle-connections.sh: COMMAND is echo or services, not $COMMAND" >&2; exit 1 ;;
esac
[ -f "$JAR" ] || mvn -B -q -DskipTests package
ulimit -n $((N + 1024)) || { echo "idle-connections.sh: cannot raise ulimit -n to $((N + 1024))" >&2; exit 1; }
cleanup() { kill $PID $CLIENTS 2>/dev/null; sleep 1; ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" ip tuntap add dev tap0 mode tap
ip -n "$NS" addr add 10.0.0.1/24 dev tap0
ip -n "$NS" link set tap0 up
ip netns exec "$NS" sysctl -q -w net.ipv4.ip_local_port_range="10000 65000"
ip netns exec "$NS" java -XX:NativeMemoryTracking=summary -jar "$JAR" "$COMMAND" --tap tap0 --ip 10.0.0.2/24 \
    "${ARGS[@]}" > /dev/null 2>&1 &
PID=$!
for _ in $(seq 1 100); do ip netns exec "$NS" bash -c 'echo > /dev/tcp/10.0.0.2/7' 2>/dev/null && break; sleep 0.3; done
# one request first, so that the new client's figure below measures the idle connections, not class loading and JIT
if [ "$COMMAND" = services ]; then ip netns exec "$NS" curl -s -o /dev/null http://10.0.0.2/; fi
sleep 2
live_heap() { jcmd "$PID" GC.run > /dev/null; jcmd "$PID" GC.heap_info | awk '/heap +total/ { for (i = 1; i < NF; i++) if ($i == "used") print $(i + 1) }' | tr -d K; }
# committed native memory outside the Java heap (whose committed size is the collector's choice, not the live data)
native_kb() {
    jcmd "$PID" VM.native_memory summary | awk '
        function committed(line) { sub(/.*committed=/, "", line); sub(/KB.*/, "", line); return line + 0 }
        /^Total:/ { total = committed($0) } /^- +Java Heap/ { heap = committed($0) } END { print total - heap }'
}
HEAP0=$(live_heap)
NATIVE0=$(native_kb)
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
time.sleep(240)
PY
CLIENTS=$!
established() { ip netns exec "$NS" ss -Htn state established '( dport = :7 )' | wc -l; }
for _ in $(seq 1 600); do [ "$(established)" -ge "$N" ] && break; sleep 0.5; done
echo "$COMMAND: established $(established) (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
sleep 5 # idle long enough for TCP's arrays and the socket rings to be given back (1 s each by default)
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
t0=$(ticks); sleep 10; t1=$(ticks)
echo "cpu over 10 s: $(( (t1 - t0) * 1000 / (10 * HZ) )) per mille of a core (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "threads: $(ls "/proc/$PID/task" | wc -l)"
grep VmRSS "/proc/$PID/status"
ip netns exec "$NS" python3 - <<'PY'
import socket, time
times = []
for _ in range(20):
    t = time.perf_counter()
    s = socket.create_connection(("10.0.0.2", 7), timeout=5)
    s.sendall(b"y" * 100)
    got = b""
    while len(got) < 100:
        got += s.recv(100 - len(got))
    times.append((time.perf_counter() - t) * 1000)
    s.close()
    time.sleep(0.2)
times_sorted = sorted(times)
print("new client: connect + 100-byte echo in %.2f ms (median of 20), %.2f ms (worst; the first %.2f ms)"
      % (times_sorted[10], times_sorted[-1], times[0]))
PY
if [ "$COMMAND" = services ]; then
    for _ in 1 2 3 4 5; do
        ip netns exec "$NS" curl -s -o /dev/null -w 'new client: HTTP GET / answered in %{time_total} s\n' http://10.0.0.2/
        sleep 0.2
    done
fi
HEAP1=$(live_heap)
NATIVE1=$(native_kb)
echo "live heap after a full GC: ${HEAP0} KB before the clients, ${HEAP1} KB with them: $(( (HEAP1 - HEAP0) * 1024 / N )) B per connection"
echo "native memory committed outside the heap (NMT): ${NATIVE0} KB before, ${NATIVE1} KB with them: $(( (NATIVE1 - NATIVE0) * 1024 / N )) B per connection"
jcmd "$PID" VM.native_memory summary | grep -E "^-  +(Java Heap|Thread|Other) "
if [ -n "${HISTOGRAM:-}" ]; then jcmd "$PID" GC.class_histogram | head -25; fi
