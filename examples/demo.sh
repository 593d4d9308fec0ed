#!/usr/bin/env bash
# tapstack demo: starts the stack's HTTP server on a TAP inside a network namespace this script creates, pings it
# and fetches pages from it with curl from the kernel side of that namespace, prints the results and the stack's
# counters, and deletes the namespace.
# Nothing is sent outside the namespace. Needs root (for ip netns and /dev/net/tun); without root it runs the
# in-process demo instead (java -jar examples/target/tapstack-examples.jar demo: two stacks in one JVM, no TAP).
# (SIGTERM, not SIGINT, stops the stack: a background job of a script ignores SIGINT, and so does its JVM.)
set -euo pipefail

cd "$(dirname "$0")/.."
JAR=examples/target/tapstack-examples.jar
NS="tapstack-demo-$$"
TAP=tap0
STACK_IP=10.0.0.2
HOST_IP=10.0.0.1
PID=""

if [ "$(id -u)" -ne 0 ]; then
  # no root, no TAP: the first look runs two stacks in one JVM over an in-memory link instead
  echo "demo.sh: not root, so no TAP: running the in-process demo (as root this script runs the stack on a TAP)" >&2
  if [ ! -f "$JAR" ]; then
    echo "demo.sh: building $JAR (mvn -B -q -DskipTests package)" >&2
    mvn -B -q -DskipTests package
  fi
  exec java -jar "$JAR" demo
fi
if ! command -v ip >/dev/null || ! command -v ping >/dev/null || ! command -v curl >/dev/null; then
  echo "demo.sh: installing iproute2, iputils-ping and curl" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 iputils-ping curl >/dev/null
fi
if [ ! -f "$JAR" ]; then
  echo "demo.sh: building $JAR (mvn -B -q -DskipTests package)" >&2
  mvn -B -q -DskipTests package
fi

cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

echo "== creating network namespace $NS"
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up

echo "== starting the stack's HTTP server as $STACK_IP/24 on $TAP inside $NS"
ip netns exec "$NS" java -jar "$JAR" http --tap "$TAP" --ip "$STACK_IP/24" ${TAPSTACK_DEMO_ARGS:-} --pcap "/tmp/tapstack-demo.pcap" &
PID=$!
for _ in $(seq 1 100); do
  ip netns exec "$NS" ip link show "$TAP" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { echo "demo.sh: the stack exited" >&2; exit 1; }
  sleep 0.1
done
ip netns exec "$NS" ip addr add "$HOST_IP/24" dev "$TAP"
ip netns exec "$NS" ip link set "$TAP" up

echo "== the kernel ($HOST_IP) pings the stack ($STACK_IP)"
status=0
ip netns exec "$NS" ping -c 5 -i 0.2 -W 2 "$STACK_IP" || status=$?
echo "== a 4000-byte ping (fragmented by the kernel, reassembled and answered in fragments by the stack)"
ip netns exec "$NS" ping -c 2 -s 4000 -W 2 "$STACK_IP" || status=$?
echo "== the kernel's ARP entry for the stack"
ip netns exec "$NS" ip neigh show "$STACK_IP"

echo "== curl fetches http://$STACK_IP/ from the stack"
page="$(ip netns exec "$NS" curl -sS --fail --max-time 10 --retry 3 --retry-connrefused "http://$STACK_IP/")" || status=1
echo "$page" | head -n 5
case "$page" in *"Hello from tapstack"*) ;; *) echo "demo.sh: the page is not the stack's" >&2; status=1 ;; esac
echo "== curl fetches http://$STACK_IP/stats.json (the stack's counters)"
stats="$(ip netns exec "$NS" curl -sS --fail --max-time 10 "http://$STACK_IP/stats.json")" || status=1
echo "$stats" | grep -E '"(tcp_rx|tcp_tx|tcp_established|icmp_echo_replies_tx)"' || true
case "$stats" in *'"tcp_rx"'*) ;; *) echo "demo.sh: /stats.json has no tcp_rx" >&2; status=1 ;; esac

echo "== stopping the stack (its capture is in /tmp/tapstack-demo.pcap: open it in Wireshark)"
kill -TERM "$PID"
wait "$PID" || true
PID=""
if [ "$status" -eq 0 ]; then echo "demo: OK"; else echo "demo: ping or curl failed"; fi
exit "$status"
