#!/usr/bin/python3
"""A legitimate client for SynFloodTapTest: run it inside the test's network namespace only.

Every --interval seconds (--attempts times) it connects to the stack's echo listener with a 1 s limit, sends
--bytes random bytes, half-closes, and reads the echo to the end. One line per attempt:
  ok <connect ms> <bytes echoed>       or       fail <what> <detail>
Standard library only.
"""
import argparse
import os
import socket
import time


def attempt(host, port, size):
    payload = os.urandom(size)
    start = time.monotonic()
    try:
        sock = socket.create_connection((host, port), timeout=1.0)
    except OSError as e:
        return "fail connect %.0fms %s" % ((time.monotonic() - start) * 1000, e)
    connect_ms = (time.monotonic() - start) * 1000
    try:
        sock.settimeout(3.0)
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        echoed = bytearray()
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            echoed += chunk
    except OSError as e:
        return "fail transfer %.0fms %s" % (connect_ms, e)
    finally:
        sock.close()
    if bytes(echoed) != payload:
        return "fail echo %.0fms %d of %d bytes came back" % (connect_ms, len(echoed), size)
    return "ok %.1f %d" % (connect_ms, len(echoed))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--attempts", type=int, default=1)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--bytes", type=int, default=4096)
    args = parser.parse_args()
    start = time.monotonic()
    for i in range(args.attempts):
        pause = start + i * args.interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        print(attempt(args.host, args.port, args.bytes), flush=True)


if __name__ == "__main__":
    main()
