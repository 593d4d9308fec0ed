# The kernel's echo server for TcpRealNetworkTest: accepts one connection on HOST PORT, writes back everything
# it reads (read, then write it all, as the stack's echo does), closes after the client's FIN.
# CC names the kernel's congestion control for the connection (TCP_CONGESTION; root may pick any built one).
import socket
import sys

host, port, cc = sys.argv[1], int(sys.argv[2]), sys.argv[3]
server = socket.socket()
server.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())  # inherited by the accepted socket
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((host, port))
server.listen(1)
conn, _ = server.accept()
while True:
    chunk = conn.recv(1 << 20)
    if not chunk:
        break
    conn.sendall(chunk)
conn.close()
