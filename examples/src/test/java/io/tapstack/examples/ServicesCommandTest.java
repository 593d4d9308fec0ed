package io.tapstack.examples;

import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapInteropSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.examples.ExampleProcess.STACK_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code services} command over a real TAP, each test in a namespace of its own: every service answers the
 * kernel's own clients (nc, nc -u, curl), ports move, and 10,000 TCP connections are held open at once against
 * the one stack, each echoing its own bytes, while the stack's JVM keeps a handful of threads.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServicesCommandTest
{
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(30);
    private static final int CONNECTIONS = 10_000;
    /** The stack's JVM has ~25 threads of its own (GC, compilers, the stack, two callback threads): far below this. */
    private static final int MAX_THREADS = 64;

    @BeforeAll
    static void requirements()
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("nc", "netcat-openbsd", "curl", "curl", "ping", "iputils-ping");
    }

    @Test
    void everyServiceAnswersTheKernelsOwnClients() throws Exception
    {
        try (ExampleProcess services = ExampleProcess.startServer("services"))
        {
            // echo, RFC 862: TCP, and UDP
            final Cmd.Result tcpEcho = services.shOk(SCRIPT_TIMEOUT, "printf 'hello over tcp\\n' | nc -N -w 5 "
                + STACK_IP + " 7");
            assertEquals("hello over tcp", tcpEcho.output().strip(), tcpEcho::toString);
            final Cmd.Result udpEcho = services.shOk(SCRIPT_TIMEOUT, "echo hello-over-udp | nc -u -w 1 " + STACK_IP
                + " 7");
            assertEquals("hello-over-udp", udpEcho.output().strip(), udpEcho::toString);

            // discard, RFC 863: a megabyte read and dropped; the server closes after our FIN, so nc ends at once
            final Cmd.Result discard = services.shOk(SCRIPT_TIMEOUT, "head -c 1000000 /dev/urandom | nc -N -w 10 "
                + STACK_IP + " 9; echo \"status $?\"; echo dropped | nc -u -w 1 " + STACK_IP + " 9");
            assertEquals("status 0", discard.output().strip(), discard::toString);

            // chargen, RFC 864: the TCP stream is the rotating pattern; a UDP datagram is answered with its lines
            final int length = 20 * Chargen.CYCLE_BYTES + 123;
            final Cmd.Result chargen = services.shOk(SCRIPT_TIMEOUT, "nc -d -w 5 " + STACK_IP + " 19 | head -c "
                + length + " | sha256sum");
            assertTrue(chargen.output().startsWith(sha256(Chargen.pattern(length))), chargen::toString);
            final Cmd.Result udpChargen = services.shOk(SCRIPT_TIMEOUT, "echo x | nc -u -w 1 " + STACK_IP + " 19");
            final String lines = udpChargen.output();
            final String pattern = Chargen.patternText(2 * Chargen.CYCLE_BYTES);
            assertTrue(!lines.isBlank() && lines.length() <= 512, udpChargen::toString);
            for (final String line : lines.split("\n"))
            {
                final String text = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                assertTrue(text.length() == Chargen.LINE_CHARS && pattern.contains(text), () -> "line '" + text
                    + "' in " + udpChargen);
            }

            // HTTP: two requests on one keep-alive connection
            final Cmd.Result http = services.shOk(SCRIPT_TIMEOUT, "curl -sS -v --max-time 10 http://" + STACK_IP
                + "/ http://" + STACK_IP + "/ 2>&1");
            assertEquals(2, count(http.output(), ServiceSet.PAGE.strip()), http::toString);
            assertEquals(2, count(http.output(), "< HTTP/1.1 200 OK"), http::toString);
            assertTrue(http.output().contains("Re-using existing connection"), http::toString);

            final String out = services.stop();
            assertTrue(out.contains("echo: 1 TCP connections on port 7"), out);
            assertTrue(out.contains("echo: 1 UDP datagrams"), out);
            assertTrue(out.contains("discard: 1 TCP connections on port 9"), out);
            assertTrue(out.contains("discard: 1 UDP datagrams"), out);
            assertTrue(out.contains("chargen: 1 TCP connections on port 19"), out);
            assertTrue(out.contains("chargen: 1 UDP datagrams"), out);
            assertTrue(out.contains("http: 1 connections, 2 requests"), out);
            assertTrue(out.contains("counters of " + STACK_IP), () -> "no counters at SIGTERM:\n" + out);
        }
    }

    @Test
    void portsMoveAndAServiceTurnsOff() throws Exception
    {
        try (ExampleProcess services = ExampleProcess.startServer("services", "--http-port", "8080",
            "--echo-port", "7007", "--chargen-port", "0", "--mode", "dedicated"))
        {
            final Cmd.Result http = services.shOk(SCRIPT_TIMEOUT, "curl -sS --max-time 10 http://" + STACK_IP
                + ":8080/");
            assertEquals(ServiceSet.PAGE, http.output(), http::toString);
            final Cmd.Result echo = services.shOk(SCRIPT_TIMEOUT, "echo moved | nc -N -w 5 " + STACK_IP + " 7007");
            assertEquals("moved", echo.output().strip(), echo::toString);
            // nothing listens on 80, 7 or 19 any more: the stack resets (nc -z exits 1 on a refused connection)
            final Cmd.Result refused = services.sh(SCRIPT_TIMEOUT, "for p in 80 7 19; do nc -z -w 5 " + STACK_IP
                + " $p && echo \"$p open\"; done; true");
            assertEquals("", refused.output().strip(), refused::toString);
            final String out = services.stop();
            assertTrue(!out.contains("chargen:"), out);
        }
    }

    @Test
    void tenThousandConnectionsAreHeldOpenAtOnceAndEachEchoesItsOwnBytes() throws Exception
    {
        TapInteropSupport.assumeTools("/usr/bin/python3", "python3");
        try (ExampleProcess services = ExampleProcess.startServer("services"))
        {
            // the namespace's ephemeral ports: 10,000 connections to one port fit the default range, but the
            // kernel's search for a free one slows as it fills
            services.shOk(SCRIPT_TIMEOUT, "echo '10000 65000' > /proc/sys/net/ipv4/ip_local_port_range");
            final int before = threads(services.pid());
            final Cmd.Result result = services.netns.exec(Duration.ofSeconds(70), "/usr/bin/python3", "-c",
                MANY_CLIENTS, STACK_IP, "7", Integer.toString(CONNECTIONS), Long.toString(services.pid()), "50");
            final String text = result.output();
            assertTrue(result.ok(), () -> result + "\n--- server output ---\n" + output(services));
            final Matcher connected = Pattern.compile("CONNECTED (\\d+) in [0-9.]+ s, stack threads (\\d+)")
                .matcher(text);
            final Matcher echoed = Pattern.compile("ECHOED (\\d+) in [0-9.]+ s, stack threads (\\d+)").matcher(text);
            assertTrue(connected.find() && echoed.find(), text);
            assertEquals(CONNECTIONS, Integer.parseInt(connected.group(1)), text);
            assertEquals(CONNECTIONS, Integer.parseInt(echoed.group(1)), text);
            final int heldThreads = Math.max(Integer.parseInt(connected.group(2)), Integer.parseInt(echoed.group(2)));
            assertTrue(heldThreads <= MAX_THREADS, () -> "threads with " + CONNECTIONS + " connections: "
                + heldThreads + " (before them " + before + ")\n" + text);
            final String out = services.stop();
            // the stack's own count: every connection was served, all of them at once
            assertTrue(out.contains("echo: " + CONNECTIONS + " TCP connections on port 7 (at most " + CONNECTIONS
                + " at once)"), out);
            System.out.println("services with " + CONNECTIONS + " connections: " + text.strip().replace('\n', ';')
                + "; threads before " + before);
        }
    }

    /**
     * Opens COUNT connections with non-blocking sockets (500 handshakes in flight at a time), checks that every
     * one completed, sends each its own 9 bytes while all are open, checks every echo, and closes them; prints the
     * stack JVM's thread count (from /proc) with all of them open. Exits non-zero with a reason at the first
     * failure, or when DEADLINE seconds pass.
     */
    private static final String MANY_CLIENTS = """
        import errno, os, resource, select, socket, sys, time
        host, port, count, pid, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
        deadline = time.monotonic() + limit
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        need = count + 100
        if soft < need:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(hard, need)))
        def threads():
            for line in open("/proc/%s/status" % pid):
                if line.startswith("Threads:"):
                    return int(line.split()[1])
        def left():
            t = deadline - time.monotonic()
            if t <= 0:
                print("TIMEOUT after %s s" % limit); sys.exit(4)
            return min(t, 1.0)
        ep = select.epoll()
        socks, pending, opened = {}, set(), 0
        t0 = time.monotonic()
        while opened < count or pending:
            while opened < count and len(pending) < 500:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                e = s.connect_ex((host, port))
                if e not in (0, errno.EINPROGRESS):
                    print("connect %d: %s" % (opened, os.strerror(e))); sys.exit(1)
                socks[s.fileno()] = s
                pending.add(s.fileno())
                ep.register(s.fileno(), select.EPOLLOUT)
                opened += 1
            for fd, ev in ep.poll(left()):
                e = socks[fd].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if e != 0:
                    print("connection %d of %d failed: %s" % (len(socks) - len(pending), count, os.strerror(e)))
                    sys.exit(1)
                ep.unregister(fd)
                pending.discard(fd)
        print("CONNECTED %d in %.1f s, stack threads %d" % (len(socks), time.monotonic() - t0, threads()))
        t1 = time.monotonic()
        expect, got = {}, {}
        for fd, s in socks.items():
            expect[fd] = b"%08d\\n" % fd
            got[fd] = b""
            s.send(expect[fd])
            ep.register(fd, select.EPOLLIN)
        done = 0
        while done < len(socks):
            for fd, ev in ep.poll(left()):
                data = socks[fd].recv(64)
                if not data:
                    print("connection for %r closed before its echo" % expect[fd]); sys.exit(1)
                got[fd] += data
                if len(got[fd]) >= len(expect[fd]):
                    if got[fd] != expect[fd]:
                        print("echo %r for %r" % (got[fd], expect[fd])); sys.exit(1)
                    ep.unregister(fd)
                    done += 1
        print("ECHOED %d in %.1f s, stack threads %d" % (done, time.monotonic() - t1, threads()))
        for s in socks.values():
            s.close()
        """;

    private static int threads(final long pid) throws Exception
    {
        for (final String line : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
        {
            if (line.startsWith("Threads:"))
            {
                return Integer.parseInt(line.substring(8).strip());
            }
        }
        throw new AssertionError("no thread count for " + pid);
    }

    private static String output(final ExampleProcess p)
    {
        try
        {
            return p.output();
        }
        catch (final Exception ex)
        {
            return ex.toString();
        }
    }

    private static int count(final String text, final String part)
    {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length()))
        {
            n++;
        }
        return n;
    }

    private static String sha256(final byte[] bytes) throws Exception
    {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
