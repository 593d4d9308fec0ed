#!/usr/bin/python3
"""Spoofed TCP SYNs at a stack on a TAP, for SynFloodTapTest: run it inside the test's network namespace only.

Writes Ethernet frames with an AF_PACKET socket on the kernel side of the TAP (so they reach the stack, and only
the stack), paced evenly over the given seconds, from three kinds of sources in turn:
  unanswered  on-link addresses nobody answers ARP for (the stack's SYN-ACKs wait for ARP, then fail);
  blackhole   on-link addresses the stack learns (from ARP requests sent here first, and again each second) to be
              at a MAC nobody has: the kernel drops the frames sent there;
  offlink     addresses outside the subnet, sent as if through the gateway (the kernel side, which does not
              forward: the stack's SYN-ACKs to them die there).
Half of the SYNs carry the options Linux sends (SACK-permitted, timestamps, window scale), half only an MSS.
Standard library only. Prints one line: "sent N frames in S s, R refused by the TAP's queue".
"""
import argparse
import random
import socket
import struct
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac(text):
    return bytes(int(part, 16) for part in text.split(":"))


def ip(text):
    return socket.inet_aton(text)


def syn_frame(rng, dst_mac, src_mac, src_ip, dst_ip, port, with_options):
    if with_options:
        options = (struct.pack("!BBH", 2, 4, 1460) + struct.pack("!BB", 4, 2)
                   + struct.pack("!BBII", 8, 10, rng.getrandbits(32), 0) + struct.pack("!BBBB", 1, 3, 3, 7))
    else:
        options = struct.pack("!BBH", 2, 4, 1460)
    sport = rng.randint(1024, 65535)
    header_words = 5 + len(options) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, port, rng.getrandbits(32), 0, header_words << 4, 0x02, 64240, 0, 0)
    tcp += options
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ipv4 = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), rng.getrandbits(16), 0x4000, 64, 6, 0, src_ip, dst_ip)
    ipv4 = ipv4[:10] + struct.pack("!H", checksum(ipv4)) + ipv4[12:]
    return dst_mac + src_mac + b"\x08\x00" + ipv4 + tcp


def arp_request(dst_mac, sender_mac, sender_ip, target_ip):
    """Who has target_ip? tell sender_ip (at sender_mac): the stack learns the sender, being the target."""
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, sender_mac, sender_ip, b"\0" * 6, target_ip)
    return b"\xff" * 6 + sender_mac + b"\x08\x06" + arp


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--interface", required=True)
    parser.add_argument("--stack-mac", required=True)
    parser.add_argument("--stack-ip", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--unanswered", required=True, help="first address,how many")
    parser.add_argument("--blackhole", required=True, help="first address,how many")
    parser.add_argument("--blackhole-mac", default="02:bb:bb:00:00:01")
    parser.add_argument("--offlink", required=True, help="first address of a /16 outside the subnet")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    with open("/sys/class/net/%s/address" % args.interface) as f:
        gateway_mac = mac(f.read().strip())
    stack_mac = mac(args.stack_mac)
    stack_ip = ip(args.stack_ip)
    blackhole_mac = mac(args.blackhole_mac)

    def addresses(spec):
        first, count = spec.split(",")
        base = struct.unpack("!I", ip(first))[0]
        return [struct.pack("!I", base + i) for i in range(int(count))]

    unanswered = addresses(args.unanswered)
    blackhole = addresses(args.blackhole)
    offlink_base = struct.unpack("!I", ip(args.offlink))[0]

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((args.interface, 0))

    def teach_blackhole():
        for address in blackhole:
            try:
                sock.send(arp_request(b"\xff" * 6, blackhole_mac, address, stack_ip))
            except OSError:
                pass  # sent again within a second

    teach_blackhole()
    ticks = max(1, int(args.seconds * 100))
    start = time.monotonic()
    sent = 0
    refused = 0
    next_arp = start + 1.0
    for tick in range(ticks):
        due = args.count * (tick + 1) // ticks
        while sent < due:
            kind = sent % 3
            if kind == 0:
                src_mac = bytes([0x02, 0xAA, 0, 0, rng.randrange(256), rng.randrange(256)])
                frame = syn_frame(rng, stack_mac, src_mac, rng.choice(unanswered), stack_ip, args.port, sent % 2 == 0)
            elif kind == 1:
                frame = syn_frame(rng, stack_mac, blackhole_mac, rng.choice(blackhole), stack_ip, args.port,
                                  sent % 2 == 0)
            else:
                src = struct.pack("!I", offlink_base + rng.randrange(65536))
                frame = syn_frame(rng, stack_mac, gateway_mac, src, stack_ip, args.port, sent % 2 == 0)
            try:
                sock.send(frame)
            except OSError:
                refused += 1  # the TAP's queue is full (ENOBUFS): the stack reads too slowly
            sent += 1
        now = time.monotonic()
        if now >= next_arp:
            teach_blackhole()
            next_arp += 1.0
        pause = start + (tick + 1) * args.seconds / ticks - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    print("sent %d frames in %.2f s, %d refused by the TAP's queue" % (sent - refused, time.monotonic() - start,
                                                                        refused), flush=True)


if __name__ == "__main__":
    main()
