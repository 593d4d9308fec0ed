package io.tapstack.examples;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.MemoryLink;
import io.tapstack.socket.Idler;
import io.tapstack.socket.SocketConfig;
import io.tapstack.socket.SocketStack;
import io.tapstack.socket.StackRunner;
import io.tapstack.socket.TcpSocket;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Design rule 3 for the {@code services} command under load: its echo and HTTP handlers run on the stack thread
 * (direct callbacks) through the socket API's completion-handler calls, so the stack thread (both stacks, the
 * pumps, the handlers, the request head's parsing into the connection's reused request) allocates nothing per
 * echo or HTTP request. The per-thread allocation counter over N requests, the least of three rounds after a
 * warm-up, less a constant per second of the round (the fixed page's Date header is encoded once a second).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServicesZeroAllocationTest
{
    private static final int SERVER = Ipv4Address.parse("10.0.0.2");
    private static final String STACK_THREAD = "zero-alloc-services";
    private static final int ROUNDS = 3;
    private static final int PER_ROUND = 2_000;
    /**
     * What re-encoding the fixed page once a second allocates, with room to spare (1,752 B measured in a round);
     * the least allocation per request is an object, 16 B, which over a round is 32,000 B: far above this.
     */
    private static final long DATE_BYTES_PER_SECOND = 2048;
    private static final byte[] GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private ExecutorService callbacks;
    private StackRunner runner;
    private SocketStack client;
    private ServiceSet services;

    @BeforeEach
    void start() throws IOException
    {
        final MemoryLink link = new MemoryLink(SystemNanoClock.INSTANCE, 50_000L, 8192, 1514);
        final NetStack clientStack = new NetStack(new StackConfig().ipAddress("10.0.0.1/24").seed(1)
            .repeatableSecrets(true), link.endA());
        final NetStack serverStack = new NetStack(new StackConfig().ipAddress("10.0.0.2/24").seed(2)
            .repeatableSecrets(true), link.endB());
        callbacks = Services.callbackExecutor(2);
        final int ring = Services.ringBytes(8192);
        final SocketStack server = new SocketStack(serverStack, new SocketConfig().callbackExecutor(callbacks)
            .tcpSendRingBytes(ring).tcpReceiveRingBytes(ring));
        client = new SocketStack(clientStack);
        runner = new StackRunner(Idler.parking(), SystemNanoClock.INSTANCE, STACK_THREAD).add(client)
            .add(server).start();
        services = ServiceSet.start(server, new ServiceSet.Settings(7, 9, 19, 80, 128, ring, Duration.ofSeconds(30)));
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
    void echoAllocatesNothingPerRequestOnTheStackThread() throws Exception
    {
        try (TcpSocket c = client.connect(SERVER, 7, Duration.ofSeconds(5)))
        {
            c.readTimeout(Duration.ofSeconds(10));
            final byte[] request = new byte[64];
            final byte[] reply = new byte[64];
            final long perRequest = leastPerRequest(() ->
            {
                c.write(request, 0, request.length);
                readFully(c.getInputStream(), reply, reply.length);
            });
            assertEquals(0, perRequest, "bytes the stack thread allocated per echo");
        }
    }

    @Test
    void httpKeepAliveAllocatesNothingPerRequestOnTheStackThread() throws Exception
    {
        try (TcpSocket c = client.connect(SERVER, 80, Duration.ofSeconds(5)))
        {
            c.readTimeout(Duration.ofSeconds(10));
            final byte[] response = new byte[4096];
            final int[] length = {-1};
            final long perRequest = leastPerRequest(() ->
            {
                c.write(GET, 0, GET.length);
                if (length[0] < 0)
                {
                    length[0] = readResponseLength(c.getInputStream(), response);
                }
                else
                {
                    readFully(c.getInputStream(), response, length[0]);
                }
            });
            // 881 B before the completion handlers (two futures, a timeout task per read, the head's map and
            // strings); 336 B with them but the old head parsing
            assertEquals(0, perRequest, "bytes the stack thread allocated per request");
        }
    }

    @FunctionalInterface
    private interface Request
    {
        void run() throws IOException;
    }

    /** Warms up, then the least bytes per request the stack thread allocated over {@link #ROUNDS} rounds. */
    private long leastPerRequest(final Request request) throws IOException
    {
        for (int i = 0; i < PER_ROUND; i++)
        {
            request.run();
        }
        final long stackThread = Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals(STACK_THREAD)).findFirst().orElseThrow().getId();
        long least = Long.MAX_VALUE;
        for (int round = 0; round < ROUNDS; round++)
        {
            final long start = System.nanoTime();
            final long before = threads.getThreadAllocatedBytes(stackThread);
            for (int i = 0; i < PER_ROUND; i++)
            {
                request.run();
            }
            final long allocated = threads.getThreadAllocatedBytes(stackThread) - before;
            // a constant per second is not an allocation per request: the fixed page's Date header (RFC 9110
            // §6.6.1) is encoded once a second, under 2 KB each time, and a loaded machine may stretch a round
            final long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) + 2;
            least = Math.min(least, Math.max(0, allocated - seconds * DATE_BYTES_PER_SECOND));
            System.err.println("round " + round + ": " + allocated + " bytes over " + PER_ROUND + " requests");
        }
        return least / PER_ROUND;
    }

    private static void readFully(final InputStream in, final byte[] buffer, final int length) throws IOException
    {
        int done = 0;
        while (done < length)
        {
            final int n = in.read(buffer, done, length - done);
            assertTrue(n > 0, "the connection ended");
            done += n;
        }
    }

    /** Reads the first response (head and body) byte by byte; its length is every later one's (same page). */
    private static int readResponseLength(final InputStream in, final byte[] buffer) throws IOException
    {
        int n = 0;
        while (true)
        {
            final int b = in.read();
            assertTrue(b >= 0, "the connection ended");
            buffer[n++] = (byte)b;
            if (n >= 4 && buffer[n - 4] == '\r' && buffer[n - 3] == '\n' && buffer[n - 2] == '\r'
                && buffer[n - 1] == '\n')
            {
                break;
            }
        }
        final String head = new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
        final int at = head.indexOf("Content-Length: ") + "Content-Length: ".length();
        final int bodyLength = Integer.parseInt(head.substring(at, head.indexOf('\r', at)));
        readFully(in, new byte[bodyLength], bodyLength);
        return n + bodyLength;
    }
}
