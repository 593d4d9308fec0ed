package io.tapstack.examples;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.MemoryLink;
import io.tapstack.socket.Idler;
import io.tapstack.socket.SocketConfig;
import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.SocketStack;
import io.tapstack.socket.StackRunner;
import io.tapstack.socket.TcpSocket;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code http} command's server (an {@link AsyncTcpService} of {@link AsyncHttpConnection}s over an
 * {@link HttpSite}) without a TAP: a client stack and the server's stack over an in-memory link in real time, the
 * server on two callback threads. Slowloris clients (a header line every half second, never finishing) hold no
 * thread: a new client is served at once while 400 of them are connected, and each of them gets its 408 once the
 * header timeout has passed since its first byte, although it never stopped sending.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HttpAsyncInMemoryTest
{
    private static final int SERVER = Ipv4Address.parse("10.0.0.2");
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(3);
    private static final int SLOW_CLIENTS = 400;
    private static final int BIG = 300_000;

    private ExecutorService callbacks;
    private StackRunner runner;
    private SocketStack client;
    private HttpStats stats;
    private AsyncTcpService server;
    private Path root;
    private byte[] big;

    @BeforeEach
    void start() throws IOException
    {
        root = Files.createTempDirectory("tapstack-async-www");
        big = new byte[BIG];
        new Random(862).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        Files.writeString(root.resolve("hello.txt"), "hello over tapstack\n");
        final MemoryLink link = new MemoryLink(SystemNanoClock.INSTANCE, 50_000L, 8192, 1514);
        final NetStack clientStack = new NetStack(new StackConfig().ipAddress("10.0.0.1/24").seed(1)
            .repeatableSecrets(true), link.endA());
        final NetStack serverStack = new NetStack(new StackConfig().ipAddress("10.0.0.2/24").seed(2)
            .repeatableSecrets(true), link.endB());
        callbacks = Services.callbackExecutor(2);
        final SocketStack sockets = new SocketStack(serverStack, new SocketConfig().callbackExecutor(callbacks)
            .acceptQueueLength(1024).tcpSendRingBytes(8192).tcpReceiveRingBytes(8192));
        client = new SocketStack(clientStack, new SocketConfig().tcpSendRingBytes(4096).tcpReceiveRingBytes(8192));
        runner = new StackRunner(Idler.parking(), SystemNanoClock.INSTANCE, "http-test").add(client).add(sockets)
            .start();
        stats = new HttpStats();
        final HttpSite site = new HttpSite(root.toRealPath(), Map::of, Map.of("ip", "10.0.0.2/24"), stats);
        final AsyncHttpConnection.Settings settings = new AsyncHttpConnection.Settings(8192, 4096,
            Duration.ofSeconds(30), HEADER_TIMEOUT, 1024 * 1024, 16 * 1024, null);
        server = new AsyncTcpService("http", sockets.listen(80, 1024, SocketOptions.defaults().nagle(false)),
            AsyncHttpConnection.handler(site::respond, stats, settings)).start();
    }

    @AfterEach
    void stop() throws Exception
    {
        if (server != null)
        {
            server.close();
        }
        runner.close();
        callbacks.shutdownNow();
        EchoCommandTest.deleteTree(root);
    }

    @Test
    void slowlorisClientsHoldNoThreadANewClientIsServedAtOnceAndEachSlowOneGetsA408() throws Exception
    {
        final List<TcpSocket> slow = new ArrayList<>();
        for (int i = 0; i < SLOW_CLIENTS; i++)
        {
            final TcpSocket c = client.connect(SERVER, 80, Duration.ofSeconds(10));
            c.getOutputStream().write(ascii("GET /hello.txt HTTP/1.1\r\nHost: x\r\n"));
            slow.add(c);
        }
        final long firstBytes = System.nanoTime();
        final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try
        {
            // a header line every half second from each: renews any per-read timeout for ever
            trickle.scheduleAtFixedRate(() ->
            {
                for (final TcpSocket c : slow)
                {
                    c.writeAsync(ascii("X-Slow: still here\r\n"), 0, 20);
                }
            }, 500, 500, TimeUnit.MILLISECONDS);
            awaitOpen(SLOW_CLIENTS);

            final long start = System.nanoTime();
            try (TcpSocket fresh = client.connect(SERVER, 80, Duration.ofSeconds(5)))
            {
                fresh.readTimeout(Duration.ofSeconds(5));
                fresh.getOutputStream().write(ascii("GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"));
                final Response r = Response.read(fresh.getInputStream());
                final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(200, r.status);
                assertEquals("hello over tapstack\n", new String(r.body, StandardCharsets.UTF_8));
                assertTrue(ms < 1_000, "the new client waited " + ms + " ms behind " + SLOW_CLIENTS + " slow ones");
            }
            assertTrue(stats.snapshot().get("connections_open") >= SLOW_CLIENTS, "the slow clients are still there");

            for (final TcpSocket c : slow)
            {
                c.readTimeout(HEADER_TIMEOUT.plusSeconds(15));
                final Response r = Response.read(c.getInputStream());
                assertEquals(408, r.status, "a slow client's answer");
                assertTrue(r.head.contains("Connection: close"), r.head);
            }
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - firstBytes);
            assertTrue(ms >= HEADER_TIMEOUT.toMillis() - 100, "408s after " + ms + " ms: before the header timeout");
            assertEquals(SLOW_CLIENTS, stats.snapshot().get("header_timeouts"));
        }
        finally
        {
            trickle.shutdownNow();
            slow.forEach(TcpSocket::abort);
        }
    }

    @Test
    void aFileOfManyChunksArrivesWholeAndTheConnectionGoesOn() throws Exception
    {
        try (TcpSocket c = client.connect(SERVER, 80, Duration.ofSeconds(5)))
        {
            c.readTimeout(Duration.ofSeconds(10));
            c.getOutputStream().write(ascii("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"));
            final Response file = Response.read(c.getInputStream());
            assertEquals(200, file.status);
            assertArrayEquals(big, file.body);
            final Response head = Response.readHead(c.getInputStream());
            assertTrue(head.head.contains("Content-Length: " + BIG), head.head);
            final Response hello = Response.read(c.getInputStream());
            assertEquals("hello over tapstack\n", new String(hello.body, StandardCharsets.UTF_8));
        }
    }

    @Test
    void requestBodiesAreAnsweredThenTheConnectionCloses() throws Exception
    {
        assertEquals(405, once("POST /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello").status);
        assertEquals(501, once("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").status);
        assertEquals(413, once("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n").status);
        assertEquals(417, once("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: tea\r\n\r\n").status);
    }

    /** One request on a new connection: its response, which must be followed by the server's FIN. */
    private Response once(final String request) throws IOException
    {
        try (TcpSocket c = client.connect(SERVER, 80, Duration.ofSeconds(5)))
        {
            c.readTimeout(Duration.ofSeconds(10));
            c.getOutputStream().write(ascii(request));
            final Response r = Response.read(c.getInputStream());
            assertTrue(r.head.contains("Connection: close"), r.head);
            assertEquals(-1, c.getInputStream().read(), "the server closes after answering a request with a body");
            return r;
        }
    }

    private void awaitOpen(final int count) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (stats.snapshot().get("connections_open") < count)
        {
            assertTrue(System.nanoTime() < deadline, "only " + stats.snapshot().get("connections_open") + " open");
            Thread.sleep(10);
        }
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A response read off a stream: the head as text, the status, and the body by its Content-Length. */
    private record Response(String head, int status, byte[] body)
    {
        static Response read(final InputStream in) throws IOException
        {
            final Response head = readHead(in);
            final int length = contentLength(head.head);
            return new Response(head.head, head.status, in.readNBytes(length));
        }

        static Response readHead(final InputStream in) throws IOException
        {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            while (true)
            {
                final int b = in.read();
                if (b < 0)
                {
                    throw new IOException("end of stream in a response head: " + bytes);
                }
                bytes.write(b);
                final byte[] sofar = bytes.toByteArray();
                if (sofar.length >= 4 && Arrays.equals(sofar, sofar.length - 4, sofar.length,
                    new byte[] {'\r', '\n', '\r', '\n'}, 0, 4))
                {
                    final String head = new String(sofar, StandardCharsets.ISO_8859_1);
                    return new Response(head, Integer.parseInt(head.substring(9, 12)), new byte[0]);
                }
            }
        }

        private static int contentLength(final String head)
        {
            for (final String line : head.split("\r\n"))
            {
                if (line.regionMatches(true, 0, "Content-Length: ", 0, 16))
                {
                    return Integer.parseInt(line.substring(16).trim());
                }
            }
            return 0;
        }
    }
}
