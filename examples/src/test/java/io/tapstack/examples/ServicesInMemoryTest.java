package io.tapstack.examples;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.StackCounters;
import io.tapstack.dev.MemoryLink;
import io.tapstack.socket.Idler;
import io.tapstack.socket.SocketConfig;
import io.tapstack.socket.SocketStack;
import io.tapstack.socket.StackRunner;
import io.tapstack.socket.TcpSocket;
import io.tapstack.socket.UdpSocket;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The services' handlers without a TAP: a client stack and the services' stack over an in-memory link in real
 * time, the client using the socket API's blocking calls, the services its asynchronous ones on two callback
 * threads, with the small buffers the {@code services} command uses by default.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServicesInMemoryTest
{
    private static final Duration CONNECT = Duration.ofSeconds(5);
    private static final Duration READ = Duration.ofSeconds(10);
    private static final int SERVER = Ipv4Address.parse("10.0.0.2");
    private static final int BUFFER_BYTES = 8192;

    private ExecutorService callbacks;
    private StackRunner runner;
    private SocketStack client;
    private ServiceSet services;
    private NetStack serverStack;

    @BeforeEach
    void start() throws IOException
    {
        final MemoryLink link = new MemoryLink(SystemNanoClock.INSTANCE, 50_000L, 8192, 1514);
        final NetStack clientStack = new NetStack(new StackConfig().ipAddress("10.0.0.1/24").seed(1)
            .repeatableSecrets(true), link.endA());
        final StackConfig serverConfig = new StackConfig().ipAddress("10.0.0.2/24").seed(2).repeatableSecrets(true);
        serverConfig.tcp().sendBufferBytes(BUFFER_BYTES).receiveBufferBytes(BUFFER_BYTES);
        serverStack = new NetStack(serverConfig, link.endB());
        callbacks = Services.callbackExecutor(2);
        final int ring = Services.ringBytes(BUFFER_BYTES);
        final SocketStack server = new SocketStack(serverStack, new SocketConfig().callbackExecutor(callbacks)
            .tcpSendRingBytes(ring).tcpReceiveRingBytes(ring));
        client = new SocketStack(clientStack);
        runner = new StackRunner(Idler.parking(), SystemNanoClock.INSTANCE, "services-test").add(client).add(server)
            .start();
        services = ServiceSet.start(server, new ServiceSet.Settings(7, 9, 19, 80, 128, ring, Duration.ofSeconds(1)));
    }

    @AfterEach
    void stop()
    {
        if (services != null)
        {
            services.close();
        }
        runner.close();
        callbacks.shutdownNow();
    }

    @Test
    void echoSendsBackEveryByteOfManyConnectionsAtOnceThenClosesAfterTheClient() throws Exception
    {
        final int clients = 20;
        final List<TcpSocket> connections = new ArrayList<>();
        final List<byte[]> sent = new ArrayList<>();
        final Random random = new Random(862);
        for (int i = 0; i < clients; i++)
        {
            connections.add(client.connect(SERVER, 7, CONNECT));
            final byte[] data = new byte[30_000 + i]; // several rings and TCP windows' worth each
            random.nextBytes(data);
            sent.add(data);
        }
        await(() -> services.tcp("echo").open() == clients, "all connections open at once");
        for (int i = 0; i < clients; i++)
        {
            final TcpSocket c = connections.get(i);
            final byte[] data = sent.get(i);
            final Thread writer = new Thread(() ->
            {
                try
                {
                    c.write(data, 0, data.length);
                    c.shutdownOutput();
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            writer.start();
            assertArrayEquals(data, readToEnd(c), "connection " + i);
            writer.join();
            c.close();
        }
        assertEquals(clients, services.tcp("echo").maxOpen());
        await(() -> services.openConnections() == 0, "every connection finished");
    }

    @Test
    void discardReadsEverythingAndClosesAtTheClientsFin() throws Exception
    {
        try (TcpSocket c = client.connect(SERVER, 9, CONNECT))
        {
            final byte[] data = new byte[200_000];
            c.write(data, 0, data.length);
            c.shutdownOutput();
            assertEquals(0, readToEnd(c).length);
        }
        await(() -> services.tcp("discard").open() == 0, "discard finished");
    }

    @Test
    void chargenStreamsTheRfc864PatternUntilTheClientCloses() throws Exception
    {
        final int length = 100_000;
        try (TcpSocket c = client.connect(SERVER, 19, CONNECT))
        {
            c.readTimeout(READ);
            final byte[] got = c.getInputStream().readNBytes(length);
            assertArrayEquals(Chargen.pattern(length), got);
            c.shutdownOutput(); // RFC 864: the client's close ends the stream; chargen closes too
            final byte[] sink = new byte[8192];
            while (c.read(sink, 0, sink.length) >= 0)
            {
                // what was in flight
            }
        }
        await(() -> services.tcp("chargen").open() == 0, "chargen finished");
    }

    @Test
    void udpEchoReturnsTheDatagramAndChargenAnswersWithWholePatternLines() throws Exception
    {
        try (UdpSocket udp = client.bindUdp(0))
        {
            final byte[] hello = "hello, echo\n".getBytes(StandardCharsets.US_ASCII);
            udp.send(SERVER, 7, hello, 0, hello.length);
            final UdpSocket.Datagram echoed = udp.receive(READ);
            assertArrayEquals(hello, echoed.data());
            assertEquals(7, echoed.port());

            final String cycle = Chargen.patternText(2 * Chargen.CYCLE_BYTES);
            for (int i = 0; i < 20; i++)
            {
                udp.send(SERVER, 19, hello, 0, hello.length);
                final byte[] lines = udp.receive(READ).data();
                // RFC 864: between 0 and 512 characters; here whole lines, each one the pattern's
                assertTrue(lines.length > 0 && lines.length <= 512 && lines.length % Chargen.LINE_BYTES == 0,
                    "length " + lines.length);
                final String text = new String(lines, StandardCharsets.US_ASCII);
                final int at = cycle.indexOf(text);
                assertTrue(at >= 0 && at % Chargen.LINE_BYTES == 0, () -> "not a run of pattern lines: " + text);
            }

            udp.send(SERVER, 9, hello, 0, hello.length);
            await(() -> services.summary().contains("discard: 1 UDP datagrams"), "discard got the datagram");
            udp.send(SERVER, 7, hello, 0, hello.length); // after the discarded one: the next thing we receive
            assertArrayEquals(hello, udp.receive(READ).data());
        }
    }

    @Test
    void httpAnswersTwoRequestsOnOneKeepAliveConnectionThenClosesWhenAsked() throws Exception
    {
        try (TcpSocket c = client.connect(SERVER, 80, CONNECT))
        {
            c.readTimeout(READ);
            final OutputStream out = c.getOutputStream();
            final InputStream in = c.getInputStream();
            out.write(request("GET / HTTP/1.1\r\nHost: s\r\n\r\n"));
            final Response first = Response.read(in);
            assertEquals(200, first.status);
            assertEquals(ServiceSet.PAGE, first.body);
            assertTrue(!first.head.contains("Connection: close"), first.head);
            // two pipelined: a 404, then a HEAD that asks to close
            out.write(request("GET /nothing HTTP/1.1\r\nHost: s\r\n\r\nHEAD / HTTP/1.1\r\nHost: s\r\n"
                + "Connection: close\r\n\r\n"));
            assertEquals(404, Response.read(in).status);
            final Response last = Response.readHead(in);
            assertEquals(200, last.status);
            assertTrue(last.head.contains("Connection: close"), last.head);
            assertTrue(last.head.contains("Content-Length: " + ServiceSet.PAGE.length()), last.head);
            assertEquals(-1, in.read(), "closed after the response, with no body for HEAD");
        }
        await(() -> services.tcp("http").open() == 0, "http finished");
        assertTrue(services.summary().contains("http: 1 connections, 3 requests"), services.summary());
    }

    @Test
    void httpAnswersEachKeepAliveRequestWithOneSegmentThatAlsoAcknowledgesIt() throws Exception
    {
        final int requests = 200;
        try (TcpSocket c = client.connect(SERVER, 80, CONNECT))
        {
            c.readTimeout(READ);
            final OutputStream out = c.getOutputStream();
            final InputStream in = c.getInputStream();
            out.write(request("GET / HTTP/1.1\r\nHost: s\r\n\r\n"));
            assertEquals(200, Response.read(in).status);
            final long before = serverStack.counters().get(StackCounters.Counter.TCP_TX);
            for (int i = 0; i < requests; i++)
            {
                out.write(request("GET / HTTP/1.1\r\nHost: s\r\n\r\n"));
                assertEquals(200, Response.read(in).status);
            }
            final long segments = serverStack.counters().get(StackCounters.Counter.TCP_TX) - before;
            // head and body in one write, so one segment; the request's ACK waits (RFC 9293 §3.8.6.3, delayed
            // ACK) and rides on it: no pure ACK before the response (a few may slip out on a loaded machine,
            // when a response takes longer than the 40 ms ACK delay)
            assertTrue(segments >= requests && segments <= requests + requests / 20,
                "server segments for " + requests + " requests: " + segments);
        }
    }

    @Test
    void httpRefusesOtherMethodsClosesAfterARequestBodyAndAnIdleConnection() throws Exception
    {
        try (TcpSocket c = client.connect(SERVER, 80, CONNECT))
        {
            c.readTimeout(READ);
            c.getOutputStream().write(request("POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\n\r\nhello"));
            final Response refused = Response.read(c.getInputStream());
            assertEquals(405, refused.status);
            assertTrue(refused.head.contains("Allow: GET, HEAD") && refused.head.contains("Connection: close"),
                refused.head);
            assertEquals(-1, c.getInputStream().read());
        }
        try (TcpSocket idle = client.connect(SERVER, 80, CONNECT))
        {
            idle.readTimeout(READ);
            // the keep-alive timeout here is 1 s: the server closes an idle connection, and says nothing
            assertEquals(-1, idle.getInputStream().read());
        }
        try (TcpSocket stalled = client.connect(SERVER, 80, CONNECT))
        {
            stalled.readTimeout(READ);
            stalled.getOutputStream().write(request("GET / HTTP/1.1\r\nHo"));
            assertEquals(408, Response.read(stalled.getInputStream()).status);
        }
        await(() -> services.tcp("http").open() == 0, "http finished");
    }

    @Test
    void aTakenPortIsAnErrorThatClosesWhatWasOpened() throws Exception
    {
        final IOException ex = assertThrows(IOException.class, () -> ServiceSet.start(client,
            new ServiceSet.Settings(7, 9, 7, 0, 16, 4096, Duration.ofSeconds(1))));
        assertTrue(ex.getMessage().contains("7"), ex.getMessage());
        // the echo and discard it opened are closed again: the ports are free
        ServiceSet.start(client, new ServiceSet.Settings(7, 9, 0, 0, 16, 4096, Duration.ofSeconds(1))).close();
    }

    private static byte[] request(final String text)
    {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] readToEnd(final TcpSocket c) throws IOException
    {
        c.readTimeout(READ);
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final byte[] buffer = new byte[8192];
        int n;
        while ((n = c.read(buffer, 0, buffer.length)) >= 0)
        {
            all.write(buffer, 0, n);
        }
        return all.toByteArray();
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** An HTTP/1.1 response as a client reads it: the head, then Content-Length bytes of body. */
    private record Response(int status, String head, String body)
    {
        static Response readHead(final InputStream in) throws IOException
        {
            final ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (true)
            {
                final int b = in.read();
                if (b < 0)
                {
                    throw new SocketTimeoutException("the connection ended in a response head: " + head);
                }
                head.write(b);
                final byte[] h = head.toByteArray();
                if (h.length >= 4 && Arrays.equals(h, h.length - 4, h.length, new byte[] {'\r', '\n', '\r', '\n'},
                    0, 4))
                {
                    final String text = new String(h, StandardCharsets.ISO_8859_1);
                    return new Response(Integer.parseInt(text.substring(9, 12)), text, "");
                }
            }
        }

        static Response read(final InputStream in) throws IOException
        {
            final Response head = readHead(in);
            final int at = head.head.indexOf("Content-Length: ");
            final int length = Integer.parseInt(head.head.substring(at + 16, head.head.indexOf('\r', at)));
            return new Response(head.status, head.head, new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }
    }
}
