#!/usr/bin/env bash
# TCP throughput through the socket API, against the kernel's own TCP as the baseline, measured in one run.
# Everything happens inside network namespaces this script creates and deletes; nothing leaves them.
#   kernel -> stack: nc sends SIZE MB to the stack's `discard` server (port 9)
#   stack -> kernel: nc reads SIZE MB from the stack's `chargen` server (port 19)
#   baseline:        the kernel sends SIZE MB to the kernel over a veth pair between two namespaces
# Usage (root): examples/throughput.sh [SIZE_MB] [extra stack options, e.g. --mode dedicated]
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=examples/target/tapstack-examples.jar
SIZE_MB=${1:-500}
shift || true
NS="tapstack-tput-$$"
NS_A="tapstack-veth-a-$$"
NS_B="tapstack-veth-b-$$"
PIDS=()

[ "$(id -u)" -eq 0 ] || { echo "throughput.sh: run as root" >&2; exit 1; }
command -v nc >/dev/null || { echo "throughput.sh: needs netcat-openbsd" >&2; exit 1; }
[ -f "$JAR" ] || mvn -B -q -DskipTests package

cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}
trap cleanup EXIT

mbps() { awk -v mb="$1" -v s="$2" 'BEGIN { printf "%.1f", mb / s }'; }
timed() { local start end; start=$(date +%s.%N); "$@"; end=$(date +%s.%N); awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'; }

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip tuntap add dev tap0 mode tap
ip netns exec "$NS" java -jar "$JAR" discard --tap tap0 --ip 10.0.0.2/24 "$@" >/tmp/tapstack-tput-discard.log 2>&1 &
PIDS+=($!)
sleep 1
ip netns exec "$NS" ip tuntap add dev tap1 mode tap
ip netns exec "$NS" java -jar "$JAR" chargen --tap tap1 --ip 10.0.1.2/24 "$@" >/tmp/tapstack-tput-chargen.log 2>&1 &
PIDS+=($!)
ip netns exec "$NS" ip addr add 10.0.0.1/24 dev tap0
ip netns exec "$NS" ip link set tap0 up
ip netns exec "$NS" ip addr add 10.0.1.1/24 dev tap1
ip netns exec "$NS" ip link set tap1 up
for _ in $(seq 1 50); do
  ip netns exec "$NS" ping -c1 -W1 10.0.0.2 >/dev/null 2>&1 && ip netns exec "$NS" ping -c1 -W1 10.0.1.2 >/dev/null 2>&1 && break
  sleep 0.2
done

up=$(timed ip netns exec "$NS" sh -c "head -c ${SIZE_MB}M /dev/zero | nc -N 10.0.0.2 9")
down=$(timed ip netns exec "$NS" sh -c "nc -d 10.0.1.2 19 | head -c ${SIZE_MB}M > /dev/null")

ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "va$$" netns "$NS_A" type veth peer name "vb$$" netns "$NS_B"
ip netns exec "$NS_A" ip addr add 10.1.0.1/24 dev "va$$"
ip netns exec "$NS_B" ip addr add 10.1.0.2/24 dev "vb$$"
ip netns exec "$NS_A" ip link set "va$$" up
ip netns exec "$NS_B" ip link set "vb$$" up
ip netns exec "$NS_B" sh -c 'nc -l 10.1.0.2 5001 > /dev/null' &
PIDS+=($!)
sleep 0.5
base=$(timed ip netns exec "$NS_A" sh -c "head -c ${SIZE_MB}M /dev/zero | nc -N 10.1.0.2 5001")

up_rate=$(mbps "$SIZE_MB" "$up"); down_rate=$(mbps "$SIZE_MB" "$down"); base_rate=$(mbps "$SIZE_MB" "$base")
echo "| path (${SIZE_MB} MB, socket API) | MB/s | ratio to kernel -> kernel |"
echo "| --- | --- | --- |"
echo "| kernel -> stack (discard) | $up_rate | $(awk -v a="$up_rate" -v b="$base_rate" 'BEGIN { printf "%.2f", a / b }') |"
echo "| stack -> kernel (chargen) | $down_rate | $(awk -v a="$down_rate" -v b="$base_rate" 'BEGIN { printf "%.2f", a / b }') |"
echo "| kernel -> kernel over veth (baseline) | $base_rate | 1.00 |"
