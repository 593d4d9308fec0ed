#!/usr/bin/python3
"""The kernel side's servers and the clients of examples/bench.sh: Python's standard library only.

  serve RESPONSE_FILE [WORKERS]   echo (7, TCP and UDP), discard (9), chargen (19) and HTTP (80, every request
                                  answered with RESPONSE_FILE's bytes: the stack's own response to GET /, so that
                                  both sides send the same bytes) on the kernel's TCP; WORKERS processes
                                  (SO_REUSEPORT), each a selectors loop: no thread or process per connection
  send HOST PORT SECONDS          writes to discard for SECONDS; prints Gb/s of what the server took
  recv HOST PORT SECONDS          reads from chargen for SECONDS; prints Gb/s
  rr HOST PORT SECONDS SIZE       SIZE-byte requests to TCP echo, one at a time; prints the mean and the
                                  99th percentile in microseconds
  udp-rr HOST PORT SECONDS        64-byte datagrams to UDP echo, one at a time; prints round trips per second
  connect HOST PORT SECONDS       opens and closes TCP connections to discard, one at a time; prints per second
  fetch HOST PORT                 one keep-alive GET / ; writes the whole response (head and body) to stdout

Every client stops after SECONDS (and a connect or a read that hangs fails the run after 5 s).
"""
import ctypes
import os
import selectors
import signal
import socket
import sys
import time

BULK = 1 << 20
PR_SET_PDEATHSIG = 1
TIMEOUT_S = 5


def listener(port, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("0.0.0.0", port))
    if kind == socket.SOCK_STREAM:
        s.listen(1024)
    s.setblocking(False)
    return s


def serve(response, workers):
    """One selectors loop per worker; the listeners are each worker's own (SO_REUSEPORT spreads connections)."""
    children = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:
            children = None
            # a worker ends with the server it was forked from, whatever ends that
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() == 1:
                os._exit(0)
            break
        children.append(pid)
    if children:
        def stop(signum, frame):
            for child in children:
                os.kill(child, signal.SIGTERM)
            os._exit(0)
        signal.signal(signal.SIGTERM, stop)
    sel = selectors.DefaultSelector()
    chargen_block = bytes((32 + i % 95) for i in range(BULK))
    for port, role in ((7, "echo"), (9, "discard"), (19, "chargen"), (80, "http")):
        sel.register(listener(port), selectors.EVENT_READ, ("accept", role))
    sel.register(listener(7, socket.SOCK_DGRAM), selectors.EVENT_READ, ("udp-echo", None))
    scratch = bytearray(BULK)
    view = memoryview(scratch)
    pending = {}  # HTTP: bytes of an unfinished request head, per socket
    while True:
        for key, events in sel.select():
            kind, role = key.data
            s = key.fileobj
            try:
                if kind == "accept":
                    try:
                        c, _ = s.accept()
                    except BlockingIOError:
                        continue
                    c.setblocking(False)
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    events = selectors.EVENT_WRITE if role == "chargen" else selectors.EVENT_READ
                    sel.register(c, events, ("conn", role))
                    pending[c] = b""
                elif kind == "udp-echo":
                    data, peer = s.recvfrom(65536)
                    s.sendto(data, peer)
                elif role == "chargen":
                    s.send(chargen_block)
                else:
                    n = s.recv_into(scratch)
                    if n == 0:
                        raise ConnectionResetError
                    if role == "echo":
                        s.sendall(view[:n])
                    elif role == "http":
                        head = pending[s] + bytes(view[:n])
                        requests = head.count(b"\r\n\r\n")
                        if requests:
                            s.sendall(response * requests)
                            if b"connection: close" in head.lower():
                                raise ConnectionResetError
                            head = head[head.rindex(b"\r\n\r\n") + 4:]
                        pending[s] = head
            except (ConnectionError, BlockingIOError, OSError) as ex:
                if isinstance(ex, BlockingIOError) or kind != "conn":
                    continue
                sel.unregister(s)
                pending.pop(s, None)
                s.close()


def connect(host, port):
    c = socket.create_connection((host, port), timeout=TIMEOUT_S)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def send(host, port, seconds):
    c = connect(host, port)
    block = memoryview(bytes(BULK))
    total = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        total += c.send(block)
    took = time.monotonic() - start
    c.close()
    print("%.3f" % (total * 8 / took / 1e9))


def recv(host, port, seconds):
    c = connect(host, port)
    buf = bytearray(BULK)
    total = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        n = c.recv_into(buf)
        if n == 0:
            raise SystemExit("recv: the server closed after %d bytes" % total)
        total += n
    took = time.monotonic() - start
    c.close()
    print("%.3f" % (total * 8 / took / 1e9))


def rr(host, port, seconds, size):
    c = connect(host, port)
    request = bytes(size)
    buf = bytearray(size)
    samples = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.perf_counter_ns()
        c.sendall(request)
        got = 0
        while got < size:
            n = c.recv_into(memoryview(buf)[got:])
            if n == 0:
                raise SystemExit("rr: the server closed")
            got += n
        samples.append(time.perf_counter_ns() - t0)
    c.close()
    samples = samples[len(samples) // 10:] or samples  # the first tenth warms the JIT on the stack's side
    samples.sort()
    print("%.1f %.1f" % (sum(samples) / len(samples) / 1e3, samples[len(samples) * 99 // 100] / 1e3))


def udp_rr(host, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    s.connect((host, port))
    payload = bytes(64)
    done = lost = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        s.send(payload)
        try:
            s.recv(2048)
            done += 1
        except socket.timeout:
            lost += 1
    took = time.monotonic() - start
    print("%.0f %d" % (done / took, lost))


def connect_rate(host, port, seconds):
    done = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        c = socket.create_connection((host, port), timeout=TIMEOUT_S)
        c.close()
        done += 1
    print("%.0f" % (done / (time.monotonic() - start)))


def fetch(host, port):
    c = connect(host, port)
    c.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
    data = b""
    while True:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            length = 0
            for line in data[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(data) >= end + 4 + length:
                sys.stdout.buffer.write(data[:end + 4 + length])
                return
        chunk = c.recv(65536)
        if not chunk:
            raise SystemExit("fetch: the server closed before a whole response")
        data += chunk


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "serve":
        serve(open(args[0], "rb").read(), int(args[1]) if len(args) > 1 else 1)
    elif cmd == "send":
        send(args[0], int(args[1]), float(args[2]))
    elif cmd == "recv":
        recv(args[0], int(args[1]), float(args[2]))
    elif cmd == "rr":
        rr(args[0], int(args[1]), float(args[2]), int(args[3]))
    elif cmd == "udp-rr":
        udp_rr(args[0], int(args[1]), float(args[2]))
    elif cmd == "connect":
        connect_rate(args[0], int(args[1]), float(args[2]))
    elif cmd == "fetch":
        fetch(args[0], int(args[1]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
