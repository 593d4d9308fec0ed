#!/usr/bin/env bash
# The stack's `services` command against the kernel's own TCP, side by side in one run, as ratios stack/kernel.
#   stack:  `services` (echo 7 TCP/UDP, discard 9, chargen 19, HTTP 80) on a TAP in namespace A; the clients run
#           in the same namespace and reach it through the TAP.
#   kernel: examples/bench-peer.py serving the same four services (the same HTTP response bytes, fetched from the
#           stack first) in namespace K2, behind a veth pair from namespace K1, where the clients run.
#   lwIP:   with --lwip, Debian's liblwip (2.1.3) serving the same in examples/lwip/lwip-services.c (built here with
#           cc; needs liblwip-dev, gcc, pkg-config) on a TAP in namespace L, its clients in the same namespace.
# The clients are the same for all: bench-peer.py (bulk, request-response, UDP), wrk (HTTP), ping.
# Everything happens inside the three namespaces this script creates and deletes; nothing leaves them.
# Every step is bounded by `timeout`; the whole run takes about 2.5 minutes (--quick: under a minute).
# Usage (root): examples/bench.sh [--quick] [--lwip] [extra `services` options, e.g. --mode dedicated]
#   JAVA_OPTS: extra JVM options for the stack (e.g. a flight recording); SECONDS_PER_TEST overrides the length.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=examples/target/tapstack-examples.jar
PEER=examples/bench-peer.py
QUICK=0
LWIP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --lwip) LWIP=1; shift ;;
    *) break ;;
  esac
done
if [ "$QUICK" = 1 ]; then T=${SECONDS_PER_TEST:-2}; PINGS=50; else T=${SECONDS_PER_TEST:-10}; PINGS=500; fi
NS="tapstack-bench-$$"
NS_K1="tapstack-bench-k1-$$"
NS_K2="tapstack-bench-k2-$$"
NS_L="tapstack-bench-lwip-$$"
WORK=$(mktemp -d /tmp/tapstack-bench.XXXXXX)
PIDS=()

[ "$(id -u)" -eq 0 ] || { echo "bench.sh: run as root (it makes network namespaces)" >&2; exit 1; }
for tool in wrk ping python3 ip; do
  command -v "$tool" >/dev/null || { echo "bench.sh: needs $tool (apt-get install wrk iputils-ping python3 iproute2)" >&2; exit 1; }
done
[ -f "$JAR" ] || mvn -B -q -DskipTests package

cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for ns in "$NS" "$NS_K1" "$NS_K2" "$NS_L"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# a namespace's own TCP settings: the clients open tens of thousands of short connections
tune() {
  ip netns exec "$1" ip link set lo up
  ip netns exec "$1" sysctl -q -w net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="10000 65000"
}

# --- the stack on a TAP in $NS
ip netns add "$NS"
tune "$NS"
ip netns exec "$NS" ip tuntap add dev tap0 mode tap
# bulk needs rings larger than the 8 KiB default (meant for 10,000 idle connections)
# shellcheck disable=SC2086
ip netns exec "$NS" java ${JAVA_OPTS:-} -jar "$JAR" services --tap tap0 --ip 10.0.0.2/24 --buffer-bytes 262144 "$@" \
  >"$WORK/services.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS" ip addr add 10.0.0.1/24 dev tap0
ip netns exec "$NS" ip link set tap0 up
for _ in $(seq 1 100); do
  ip netns exec "$NS" ping -c1 -W1 10.0.0.2 >/dev/null 2>&1 && break
  sleep 0.2
done
ip netns exec "$NS" timeout 10 python3 "$PEER" fetch 10.0.0.2 80 >"$WORK/response" \
  || { echo "bench.sh: the stack did not answer GET /" >&2; cat "$WORK/services.log" >&2; exit 1; }

# --- the kernel over a veth pair: clients in $NS_K1, servers in $NS_K2
ip netns add "$NS_K1"
ip netns add "$NS_K2"
tune "$NS_K1"
tune "$NS_K2"
ip link add "bka$$" netns "$NS_K1" type veth peer name "bkb$$" netns "$NS_K2"
ip netns exec "$NS_K1" ip addr add 10.1.0.1/24 dev "bka$$"
ip netns exec "$NS_K2" ip addr add 10.1.0.2/24 dev "bkb$$"
ip netns exec "$NS_K1" ip link set "bka$$" up
ip netns exec "$NS_K2" ip link set "bkb$$" up
ip netns exec "$NS_K2" python3 "$PEER" serve "$WORK/response" 2 >"$WORK/peer.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do
  ip netns exec "$NS_K1" timeout 2 python3 "$PEER" fetch 10.1.0.2 80 >/dev/null 2>&1 && break
  sleep 0.1
done

# --- lwIP on a TAP in $NS_L (optional)
if [ "$LWIP" = 1 ]; then
  command -v cc >/dev/null && pkg-config --exists lwip \
    || { echo "bench.sh: --lwip needs gcc, pkg-config and liblwip-dev" >&2; exit 1; }
  # shellcheck disable=SC2046
  cc -O2 $(pkg-config --cflags lwip) examples/lwip/lwip-services.c -o "$WORK/lwip-services" \
    $(pkg-config --libs lwip) -lpthread
  ip netns add "$NS_L"
  tune "$NS_L"
  ip netns exec "$NS_L" ip tuntap add dev tap0 mode tap
  ip netns exec "$NS_L" ip addr add 10.0.2.1/24 dev tap0
  ip netns exec "$NS_L" ip link set tap0 up
  ip netns exec "$NS_L" "$WORK/lwip-services" tap0 10.0.2.2 255.255.255.0 "$WORK/response" >"$WORK/lwip.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 50); do
    ip netns exec "$NS_L" ping -c1 -W1 10.0.2.2 >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

# run NS CMD...: one client, bounded; prints what the client printed
run() {
  local ns=$1; shift
  ip netns exec "$ns" timeout $((T + 20)) "$@"
}
ping_ms() { run "$1" ping -q -c "$PINGS" -i 0.005 "$2" | awk -F/ '/^rtt/ { print $5 }'; }
wrk_rate() {
  run "$1" wrk -t2 -c50 -d"${T}s" "${@:3}" "http://$2/" | awk '/^Requests\/sec/ { printf "%.0f", $2 }'
}

measure() {  # NS HOST -> "name value" lines
  local ns=$1 host=$2
  # a short warm-up first: the JVM compiles the hot paths (the kernel side does not care)
  run "$ns" python3 "$PEER" send "$host" 9 1 >/dev/null
  run "$ns" wrk -t2 -c50 -d1s "http://$host/" >/dev/null
  echo "bulk_to $(run "$ns" python3 "$PEER" send "$host" 9 "$T")"
  echo "bulk_from $(run "$ns" python3 "$PEER" recv "$host" 19 "$T")"
  echo "http $(wrk_rate "$ns" "$host")"
  echo "conns $(wrk_rate "$ns" "$host" -H 'Connection: close')"
  echo "ping $(ping_ms "$ns" "$host")"
  echo "rr $(run "$ns" python3 "$PEER" rr "$host" 7 "$T" 64)"
  echo "udp $(run "$ns" python3 "$PEER" udp-rr "$host" 7 "$T")"
}

measure "$NS" 10.0.0.2 >"$WORK/stack"
measure "$NS_K1" 10.1.0.2 >"$WORK/kernel"
if [ "$LWIP" = 1 ]; then measure "$NS_L" 10.0.2.2 >"$WORK/lwip"; else : >"$WORK/lwip"; fi

# the table: one row per figure, its unit, the values and the ratios stack/kernel (and stack/lwIP with --lwip)
python3 - "$WORK/stack" "$WORK/kernel" "$WORK/lwip" "$T" <<'EOF'
import sys
def load(path):
    return {line.split()[0]: line.split()[1:] for line in open(path) if line.split()}
stack, kernel, lwip, seconds = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3]), sys.argv[4]
rows = [
    ("bulk kernel -> stack (to discard)", "Gb/s", "bulk_to", 0, True),
    ("bulk stack -> kernel (from chargen)", "Gb/s", "bulk_from", 0, True),
    ("HTTP GET / (wrk -t2 -c50, keep-alive)", "req/s", "http", 0, True),
    ("connections (wrk -c50, Connection: close)", "conn/s", "conns", 0, True),
    ("ping", "ms", "ping", 0, False),
    ("64-byte TCP request-response, mean", "us", "rr", 0, False),
    ("64-byte TCP request-response, p99", "us", "rr", 1, False),
    ("64-byte UDP round trips, one at a time", "per s", "udp", 0, True),
]
def value(side, key, i):
    try:
        return float(side[key][i])
    except (KeyError, IndexError, ValueError):
        return None
def ratio(a, b, higher):
    if a is None or not b:
        return "-"
    return "%.2f" % (a / b) + ("" if higher else " (lower is better)")
head = "| %s s per figure | unit | stack | kernel | stack / kernel |" % seconds
if lwip:
    head += " lwIP | stack / lwIP |"
print(head)
print("| --- " * (head.count("|") - 1) + "|")
for name, unit, key, i, higher in rows:
    s, k, l = value(stack, key, i), value(kernel, key, i), value(lwip, key, i)
    line = "| %s | %s | %s | %s | %s |" % (name, unit, s, k, ratio(s, k, higher))
    if lwip:
        line += " %s | %s |" % (l, ratio(s, l, higher))
    print(line)
for side, name in ((stack, "the stack"), (lwip, "lwIP")):
    lost = side.get("udp", ["", "0"])[1:2]
    if lost and lost[0] not in ("0", ""):
        print("UDP: %s lost %s datagrams (each waited 200 ms)" % (name, lost[0]))
EOF
