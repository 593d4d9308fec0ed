package io.tapstack.forward.dns;

import io.tapstack.forward.dns.DnsCounters.Counter;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpState;
import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static io.tapstack.forward.dns.DnsPeer.answer;
import static io.tapstack.forward.dns.DnsPeer.query;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DNS over TCP from the guest (RFC 1035 §4.2.2, RFC 7766): a guest stack (A) and the forwarder's stack (B) over
 * the in-memory link in simulated time, a resolver faked by a thread of the test on 127.0.0.1 serving TCP. The
 * simulation advances a millisecond at a time while the forwarder waits on a host socket.
 */
class DnsOverTcpTest
{
    private static final byte[] ADDRESS = {(byte)192, 0, 2, 9};

    private final TwoStacks t = new TwoStacks();
    private ServerSocketChannel resolver;
    private Thread resolverThread;
    private final AtomicInteger resolverConnections = new AtomicInteger();
    private DnsForwarder forwarder;

    /** A resolver on 127.0.0.1 that answers each TCP connection's queries with one A record. */
    private InetSocketAddress startResolver() throws IOException
    {
        resolver = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        resolverThread = new Thread(() ->
        {
            try
            {
                while (true)
                {
                    try (SocketChannel c = resolver.accept())
                    {
                        resolverConnections.incrementAndGet();
                        final ByteBuffer length = ByteBuffer.allocate(2);
                        while (length.hasRemaining() && c.read(length) >= 0)
                        {
                            continue;
                        }
                        final ByteBuffer q = ByteBuffer.allocate(length.getShort(0) & 0xFFFF);
                        while (q.hasRemaining() && c.read(q) >= 0)
                        {
                            continue;
                        }
                        final byte[] a = answer(q.array(), q.capacity(), ADDRESS, false);
                        c.write(ByteBuffer.allocate(2 + a.length).putShort((short)a.length).put(a).flip());
                    }
                }
            }
            catch (final IOException closed)
            {
                // the test is over
            }
        }, "fake-tcp-resolver");
        resolverThread.setDaemon(true);
        resolverThread.start();
        return (InetSocketAddress)resolver.getLocalAddress();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (forwarder != null)
        {
            forwarder.close();
        }
        if (resolver != null)
        {
            resolver.close();
            resolverThread.join(2_000);
        }
    }

    private void install(final DnsForwarderConfig config) throws IOException
    {
        forwarder = DnsForwarder.install(t.b, config.resolvers(List.of(startResolver())));
    }

    /** Runs the simulation, the forwarder every step, until {@code done} (3 s of wall time at most). */
    private void run(final BooleanSupplier done)
    {
        final long giveUp = System.nanoTime() + 3_000_000_000L;
        while (!t.runUntil(() ->
        {
            forwarder.doWork(t.nowNs());
            return done.getAsBoolean();
        }, TwoStacks.MS))
        {
            assertTrue(System.nanoTime() - giveUp < 0, "timed out");
        }
    }

    private static byte[] framed(final byte[]... messages)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] m : messages)
        {
            out.write(m.length >> 8);
            out.write(m.length);
            out.writeBytes(m);
        }
        return out.toByteArray();
    }

    @Test
    void rfc7766_6_2_1_1_pipelinedQueriesOverOneConnectionAreAnsweredInTurnWithTheirLengths() throws IOException
    {
        install(new DnsForwarderConfig());
        final TcpConnection c = t.a.tcp().connect(t.b.ipAddress(), DnsForwarder.PORT, null, t.nowNs());
        run(() -> c.state() == TcpState.ESTABLISHED);
        final byte[] q1 = query(0x0101, "one.example.test");
        final byte[] q2 = query(0x0202, "two.example.test");
        final byte[] both = framed(q1, q2);
        assertEquals(both.length, c.write(both, 0, both.length));
        final byte[] expected = framed(answer(q1, q1.length, ADDRESS, false), answer(q2, q2.length, ADDRESS, false));
        final byte[] got = new byte[expected.length];
        final int[] read = {0};
        run(() ->
        {
            final int n = c.read(got, read[0], got.length - read[0]);
            read[0] += Math.max(0, n);
            return read[0] == got.length;
        });
        assertArrayEquals(expected, got);
        assertEquals(2, forwarder.counters().get(Counter.DNS_TCP_QUERIES_RX));
        assertEquals(2, forwarder.counters().get(Counter.DNS_UPSTREAM_TCP_TX));
        assertEquals(2, resolverConnections.get());
        assertEquals(1, forwarder.tcpConnections());
    }

    @Test
    void rfc7766_6_2_3_anIdleConnectionIsClosedByTheServer() throws IOException
    {
        install(new DnsForwarderConfig().tcpIdleTimeoutNs(10 * TwoStacks.SECOND));
        final TcpConnection c = t.a.tcp().connect(t.b.ipAddress(), DnsForwarder.PORT, null, t.nowNs());
        run(() -> c.state() == TcpState.ESTABLISHED);
        final long start = t.nowNs();
        run(() -> c.isEndOfStream() || c.read(new byte[1], 0, 1) < 0);
        assertTrue(t.nowNs() - start >= 10 * TwoStacks.SECOND);
        assertEquals(1, forwarder.counters().get(Counter.DNS_TCP_IDLE_CLOSED));
        assertEquals(0, forwarder.tcpConnections());
    }

    @Test
    void connectionsBeyondTheBoundAreReset() throws IOException
    {
        install(new DnsForwarderConfig().maxTcpConnections(1));
        final TcpConnection first = t.a.tcp().connect(t.b.ipAddress(), DnsForwarder.PORT, null, t.nowNs());
        run(() -> first.state() == TcpState.ESTABLISHED && forwarder.tcpConnections() == 1);
        final TcpConnection second = t.a.tcp().connect(t.b.ipAddress(), DnsForwarder.PORT, null, t.nowNs());
        run(() -> second.state() == TcpState.CLOSED);
        assertEquals(1, forwarder.counters().get(Counter.DNS_TCP_CONNECTION_LIMIT));
        final byte[] q = query(0x0303, "still.example.test");
        final byte[] f = framed(q);
        first.write(f, 0, f.length);
        final byte[] got = new byte[2 + answer(q, q.length, ADDRESS, false).length];
        final int[] read = {0};
        run(() ->
        {
            read[0] += Math.max(0, first.read(got, read[0], got.length - read[0]));
            return read[0] == got.length;
        });
        assertArrayEquals(ADDRESS, Arrays.copyOfRange(got, got.length - 4, got.length));
    }
}
