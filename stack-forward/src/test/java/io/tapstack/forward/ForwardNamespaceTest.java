package io.tapstack.forward;

import com.sun.net.httpserver.HttpServer;
import io.tapstack.forward.ForwardCounters.Counter;
import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapInteropSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forwarder on a real TAP whose other end is a guest namespace the test creates (10.0.2.15/24, default route via
 * the engine's 10.0.2.2), configured by hand with ip addr and ip route. Every target is on the host's loopback,
 * reached through the loopback mapping; the allow list holds 127.0.0.0/8 only, so no guest request can leave the
 * machine. Runs as root (CI); skipped otherwise.
 */
class ForwardNamespaceTest
{
    private static final long BIG = 100L << 20;
    private static GuestNamespace guest;
    private static Forwarder forwarder;

    @BeforeAll
    static void start()
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("curl", "curl", "python3", "python3");
        // with offloads, as Forwarder opens its own TAP: TCP comes in super-frames and leaves in TSO4 ones
        guest = GuestNamespace.create("fwd", 1500, true);
        guest.staticAddress("10.0.2.15", "10.0.2.2");
        final TapDevice tap = guest.takeTap();
        forwarder = Forwarder.builder().tapDevice(tap).gateway("10.0.2.2/24")
            .configure(c -> c.hostLoopbackAddress("10.0.2.2").allow().add("127.0.0.0/8")).start();
    }

    @AfterAll
    static void stop()
    {
        try
        {
            if (forwarder != null)
            {
                forwarder.close();
            }
        }
        finally
        {
            if (guest != null)
            {
                guest.close();
            }
        }
    }

    private static Cmd.Result inGuest(final int seconds, final String script)
    {
        return guest.exec(Duration.ofSeconds(seconds), "sh", "-c", script);
    }

    /** The same bytes every time: 64 KiB blocks from one seed. */
    private static void writeBig(final OutputStream out, final MessageDigest digest) throws IOException
    {
        final byte[] block = new byte[65536];
        final Random random = new Random(14);
        for (long sent = 0; sent < BIG; sent += block.length)
        {
            random.nextBytes(block);
            if (digest != null)
            {
                digest.update(block);
            }
            if (out != null)
            {
                out.write(block);
            }
        }
    }

    @Test
    void theGatewayAnswersPing()
    {
        final Cmd.Result ping = inGuest(10, "ping -c 2 -W 2 10.0.2.2");
        assertTrue(ping.ok(), ping::toString);
    }

    @Test
    void curlFetches100MegabytesFromTheHostLoopbackIntact() throws IOException, NoSuchAlgorithmException
    {
        final MessageDigest expected = MessageDigest.getInstance("SHA-256");
        writeBig(null, expected);
        final HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/big", exchange ->
        {
            exchange.sendResponseHeaders(200, BIG);
            try (OutputStream body = exchange.getResponseBody())
            {
                writeBig(body, null);
            }
        });
        http.start();
        try
        {
            final long start = System.nanoTime();
            final Cmd.Result curl = inGuest(180, "curl -sS --max-time 170 http://10.0.2.2:" + http.getAddress().getPort()
                + "/big | sha256sum");
            final double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(curl.ok(), curl::toString);
            assertEquals(HexFormat.of().formatHex(expected.digest()), curl.output().trim().split("\\s+")[0]);
            System.out.printf("100 MiB through the engine in %.1f s (%.0f Mbit/s)%n", seconds, BIG * 8 / seconds / 1e6);
        }
        finally
        {
            http.stop(0);
        }
    }

    @Test
    void aRefusedPortGivesConnectionRefusedAtOnce() throws IOException
    {
        final int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = s.getLocalPort();
        }
        final long start = System.nanoTime();
        final Cmd.Result curl = inGuest(20, "curl -sS --max-time 10 http://10.0.2.2:" + port + "/");
        final long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(7, curl.exitCode(), curl::toString); // CURLE_COULDNT_CONNECT
        assertTrue(ms < 3_000, "at once: " + ms + " ms");
        // the kernel's own word for it: ECONNREFUSED (the engine's reset), not a timeout or unreachable
        final Cmd.Result python = guest.exec(Duration.ofSeconds(20), "python3", "-c", String.join("\n",
            "import socket",
            "try:",
            "    socket.create_connection(('10.0.2.2', " + port + "), timeout=5)",
            "except ConnectionRefusedError as e:",
            "    print('refused', e)"));
        assertTrue(python.output().contains("refused"), python::toString);
    }

    @Test
    void aDeniedNetworkIsRefused()
    {
        final long before = forwarder.engine().counters().get(Counter.TCP_POLICY_DENIED);
        final Cmd.Result curl = inGuest(20, "curl -sS --max-time 5 http://192.0.2.1/");
        assertEquals(7, curl.exitCode(), curl::toString);
        assertTrue(forwarder.engine().counters().get(Counter.TCP_POLICY_DENIED) > before);
    }

    @Test
    void aThousandConcurrentGuestConnectionsAreEachEchoed() throws IOException
    {
        try (HostEchoServer echo = new HostEchoServer())
        {
            final String script = String.join("\n",
                "import resource, socket, sys",
                "resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))",
                "socks = []",
                "for i in range(1000):",
                "    s = socket.create_connection(('10.0.2.2', " + echo.port() + "), timeout=20)",
                "    socks.append(s)",
                "for i, s in enumerate(socks):",
                "    s.sendall(b'hello %d\\n' % i)",
                "ok = 0",
                "for i, s in enumerate(socks):",
                "    want = b'hello %d\\n' % i",
                "    got = b''",
                "    while len(got) < len(want):",
                "        chunk = s.recv(64)",
                "        if not chunk: break",
                "        got += chunk",
                "    ok += got == want",
                "    s.close()",
                "print('echoed', ok)");
            final Cmd.Result run = guest.exec(Duration.ofSeconds(120), "python3", "-c", script);
            assertTrue(run.ok(), run::toString);
            assertTrue(run.output().contains("echoed 1000"), run::toString);
            assertTrue(echo.accepted.get() >= 1000);
        }
    }

    @Test
    void udpIsEchoed() throws IOException
    {
        try (DatagramSocket host = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        {
            final Thread echo = new Thread(() ->
            {
                final byte[] buf = new byte[2048];
                try
                {
                    while (true)
                    {
                        final DatagramPacket p = new DatagramPacket(buf, buf.length);
                        host.receive(p);
                        host.send(p);
                    }
                }
                catch (final IOException ex)
                {
                    // closed
                }
            });
            echo.setDaemon(true);
            echo.start();
            final String script = String.join("\n",
                "import socket",
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                "s.settimeout(5)",
                "for i in range(10):",
                "    s.sendto(b'ping %d' % i, ('10.0.2.2', " + host.getLocalPort() + "))",
                "    data, addr = s.recvfrom(2048)",
                "    assert data == b'ping %d' % i, data",
                "    assert addr == ('10.0.2.2', " + host.getLocalPort() + "), addr",
                "print('udp ok')");
            final Cmd.Result run = guest.exec(Duration.ofSeconds(30), "python3", "-c", script);
            assertTrue(run.ok() && run.output().contains("udp ok"), run::toString);
        }
    }
}
