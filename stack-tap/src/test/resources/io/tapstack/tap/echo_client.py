# Sends TOTAL seeded pseudo-random bytes to an echo server and reads them back at the same time (a second
# thread sends, so neither side's buffers fill and stall the other), then prints one line:
#   sent BYTES SHA256 received BYTES SHA256 seconds ELAPSED
# ELAPSED runs from the completed connect to the echo server's FIN. Used by TcpRealNetworkTest, run with
# `ip netns exec NS python3 echo_client.py HOST PORT TOTAL SEED CC`.
# CC names the kernel's congestion control for the connection (TCP_CONGESTION; root may pick any built one).
import hashlib
import random
import socket
import sys
import threading
import time

host, port, total, seed, cc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
data = random.Random(seed).randbytes(total)
sent_digest = hashlib.sha256(data).hexdigest()
sock = socket.socket()
sock.settimeout(60)
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
sock.connect((host, port))
start = time.monotonic()


def send():
    view = memoryview(data)
    for i in range(0, total, 65536):
        sock.sendall(view[i:i + 65536])
    sock.shutdown(socket.SHUT_WR)


sender = threading.Thread(target=send)
sender.start()
digest = hashlib.sha256()
received = 0
while True:
    chunk = sock.recv(1 << 20)
    if not chunk:
        break
    digest.update(chunk)
    received += len(chunk)
elapsed = time.monotonic() - start
sender.join()
sock.close()
print(f"sent {total} {sent_digest} received {received} {digest.hexdigest()} seconds {elapsed:.4f}")
