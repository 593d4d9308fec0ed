# Receives one connection's bytes on HOST PORT until the sender's FIN and prints one line:
#   received BYTES SHA256 mark SECONDS end SECONDS
# where mark is when the first MARK bytes had arrived and end when the FIN did (seconds since the accept), so
# the rate past the start-up, (BYTES - MARK) / (end - mark), can be compared between runs. Used by
# TcpRealNetworkTest, run with `ip netns exec NS python3 bulk_receiver.py HOST PORT MARK CC`.
# CC names the kernel's congestion control for the connection (TCP_CONGESTION; root may pick any built one).
import hashlib
import socket
import sys
import time

host, port, mark, cc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
server = socket.socket()
server.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())  # inherited by the accepted socket
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((host, port))
server.listen(1)
conn, _ = server.accept()
start = time.monotonic()
mark_at = None
digest = hashlib.sha256()
received = 0
while True:
    chunk = conn.recv(1 << 20)
    if not chunk:
        break
    digest.update(chunk)
    received += len(chunk)
    if mark_at is None and received >= mark:
        mark_at = time.monotonic() - start
end = time.monotonic() - start
conn.close()
print(f"received {received} {digest.hexdigest()} mark {mark_at if mark_at is not None else -1:.4f} end {end:.4f}")
