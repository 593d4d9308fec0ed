# Connects to HOST PORT, sends TOTAL seeded pseudo-random bytes, closes its side and waits for the peer's FIN;
# prints one line: sent BYTES SHA256. Used by TcpRealNetworkTest, run with
# `ip netns exec NS python3 bulk_sender.py HOST PORT TOTAL SEED CC`.
# CC names the kernel's congestion control for the connection (TCP_CONGESTION; root may pick any built one).
import hashlib
import random
import socket
import sys

host, port, total, seed, cc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
data = random.Random(seed).randbytes(total)
sock = socket.socket()
sock.settimeout(60)
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
sock.connect((host, port))
view = memoryview(data)
for i in range(0, total, 65536):
    sock.sendall(view[i:i + 65536])
sock.shutdown(socket.SHUT_WR)
while sock.recv(65536):
    pass
sock.close()
print(f"sent {total} {hashlib.sha256(data).hexdigest()}")
