package io.tapstack.tcp;

import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link IdleBufferConfig}: a buffer that stays empty for the delay gives its array back to the account, one that is
 * busy keeps it, one that holds bytes (unread, unacknowledged, or out of order) keeps it, and data that comes later
 * takes a new array; the windows offered do not change. Two stacks in simulated time.
 */
class TcpIdleBufferReleaseTest
{
    private static final int PORT = 80;
    private static final long DELAY = SECOND;

    private final TwoStacks net = new TwoStacks(MS, TcpIdleBufferReleaseTest::config,
        TcpIdleBufferReleaseTest::config, d -> d, d -> d);

    private static StackConfig config(final StackConfig config)
    {
        config.tcp().idleBuffers.delayNs(DELAY);
        return config;
    }

    private TcpConnection client;
    private TcpConnection server;

    private void open()
    {
        final TwoStacks.Established e = net.establish(1, PORT, null);
        client = e.clients().get(0);
        server = e.servers().get(0);
    }

    /** Client writes {@code n} bytes, server reads them and answers {@code n}, client reads the answer. */
    private void exchange(final int n)
    {
        final byte[] data = new byte[n];
        assertEquals(n, client.write(data, 0, n));
        net.a.tcp().flush(net.nowNs());
        assertTrue(net.runUntil(() -> server.readable() == n, SECOND));
        assertEquals(n, server.read(new byte[n], 0, n));
        assertEquals(n, server.write(data, 0, n));
        net.b.tcp().flush(net.nowNs());
        assertTrue(net.runUntil(() -> client.readable() == n, SECOND));
        assertEquals(n, client.read(new byte[n], 0, n));
        net.a.tcp().flush(net.nowNs());
    }

    private long arrays(final TcpConnection c)
    {
        return c.snd.sendBuffer.allocated() + c.rcv.receiveBuffer.allocated();
    }

    @Test
    void emptyBuffersGiveTheirArraysBackAfterTheDelayAndTakeNewOnesWhenDataComes()
    {
        open();
        exchange(100);
        assertEquals(2L * ByteRing.MIN_ALLOCATION, arrays(client), "a first array per buffer");
        final int windowBefore = server.sndWnd();
        net.runFor(DELAY / 2);
        assertEquals(2L * ByteRing.MIN_ALLOCATION, arrays(client), "not before the delay");
        net.runFor(DELAY);
        assertEquals(0, arrays(client), "quiet for the delay: both arrays given back");
        assertEquals(0, arrays(server));
        assertEquals(0, net.a.counters().get(Counter.TCP_MEMORY_BYTES));
        assertEquals(0, net.b.counters().get(Counter.TCP_MEMORY_BYTES));
        assertEquals(2, net.a.counters().get(Counter.TCP_IDLE_BUFFER_RELEASES));
        assertEquals(2, net.b.counters().get(Counter.TCP_IDLE_BUFFER_RELEASES));
        assertEquals(windowBefore, server.sndWnd(), "the window offered counts the limit, not the array");

        final byte[] payload = new byte[3000];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)i;
        }
        assertEquals(payload.length, client.write(payload, 0, payload.length));
        net.a.tcp().flush(net.nowNs());
        assertTrue(net.runUntil(() -> server.readable() == payload.length, SECOND));
        final byte[] got = new byte[payload.length];
        assertEquals(payload.length, server.read(got, 0, got.length));
        assertArrayEquals(payload, got, "data after a release arrives whole");
        assertEquals(ByteRing.MIN_ALLOCATION, net.b.counters().get(Counter.TCP_MEMORY_BYTES), "a new first array");
    }

    @Test
    void aConnectionBusierThanTheDelayKeepsItsArrays()
    {
        open();
        final long allocatedBefore = net.a.counters().get(Counter.TCP_MEMORY_ALLOCATED_BYTES);
        for (int i = 0; i < 20; i++)
        {
            exchange(100);
            net.runFor(DELAY / 2); // each pause shorter than the delay
        }
        assertEquals(0, net.a.counters().get(Counter.TCP_IDLE_BUFFER_RELEASES));
        assertEquals(allocatedBefore + 2L * ByteRing.MIN_ALLOCATION,
            net.a.counters().get(Counter.TCP_MEMORY_ALLOCATED_BYTES), "the first arrays, never re-taken");
    }

    @Test
    void unreadBytesKeepTheReceiveBufferButNotTheEmptySendBuffer()
    {
        open();
        final byte[] data = new byte[500];
        assertEquals(data.length, client.write(data, 0, data.length));
        net.a.tcp().flush(net.nowNs());
        assertTrue(net.runUntil(() -> server.readable() == data.length, SECOND));
        assertEquals(data.length, server.write(data, 0, data.length)); // answered, request left unread
        net.b.tcp().flush(net.nowNs());
        assertTrue(net.runUntil(() -> client.readable() == data.length, SECOND));
        net.runFor(3 * DELAY);
        assertEquals(ByteRing.MIN_ALLOCATION, server.rcv.receiveBuffer.allocated(), "unread bytes stay");
        assertEquals(0, server.snd.sendBuffer.allocated(), "its acknowledged answer's array went back");
        assertEquals(0, client.snd.sendBuffer.allocated());
        assertEquals(data.length, server.read(new byte[data.length], 0, data.length));
        net.b.tcp().flush(net.nowNs());
        net.runFor(DELAY / 2);
        assertEquals(ByteRing.MIN_ALLOCATION, server.rcv.receiveBuffer.allocated(), "read just now: kept");
        net.runFor(DELAY);
        assertEquals(0, server.rcv.receiveBuffer.allocated(), "read, then quiet for the delay: given back");
    }

    /**
     * Out-of-order bytes live past the in-order tail of the receive buffer's array (RFC 9293 §3.10.7.4, "segments
     * with higher beginning sequence numbers may be held"): an empty buffer holding them keeps its array however
     * long the hole stays, and the bytes are delivered whole once it is filled.
     */
    @Test
    void outOfOrderBytesKeepTheReceiveArrayWhileTheHoleStays()
    {
        final TcpScript t = new TcpScript(c -> c.idleBuffers.delayNs(DELAY));
        final TcpConnection c = t.passiveOpen();
        final byte[] data = TcpScript.bytes(300);
        t.send(TcpScript.ACK, t.peer(1), t.stack(1), java.util.Arrays.copyOfRange(data, 0, 100));
        assertEquals(100, c.read(new byte[100], 0, 100)); // read to empty: the idle deadline is armed
        t.send(TcpScript.ACK, t.peer(201), t.stack(1), java.util.Arrays.copyOfRange(data, 200, 300)); // a hole
        t.s.advance(5 * DELAY);
        assertEquals(ByteRing.MIN_ALLOCATION, c.rcv.receiveBuffer.allocated(), "the out-of-order bytes stay");
        assertEquals(0, t.count(Counter.TCP_IDLE_BUFFER_RELEASES));
        t.send(TcpScript.ACK, t.peer(101), t.stack(1), java.util.Arrays.copyOfRange(data, 100, 200));
        final byte[] got = new byte[200];
        assertEquals(200, c.read(got, 0, got.length));
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 100, 300), got, "delivered whole after the wait");
        t.s.advance(2 * DELAY);
        assertEquals(0, c.rcv.receiveBuffer.allocated(), "read and quiet: given back");
        assertEquals(1, t.count(Counter.TCP_IDLE_BUFFER_RELEASES));
    }

    /**
     * Transfers of random sizes (some grow the arrays past 4 KiB) both ways, separated by pauses around the delay
     * (half to twice it), with pinned seeds: every byte arrives in order whatever was released in between, and after
     * the last pause no array is held on either stack.
     */
    @Test
    void randomTransfersAndPausesAroundTheDelayLoseNoByteAndEndWithNoArray()
    {
        open();
        for (final long seed : new long[] {1, 2, 3})
        {
            final java.util.Random random = new java.util.Random(seed);
            for (int round = 0; round < 12; round++)
            {
                final byte[] data = new byte[1 + random.nextInt(random.nextBoolean() ? 300 : 150_000)];
                random.nextBytes(data);
                final boolean fromClient = random.nextBoolean();
                transfer(fromClient ? client : server, fromClient ? server : client, data);
                net.runFor(DELAY / 2 + (long)(random.nextDouble() * 1.5 * DELAY));
            }
        }
        net.runFor(2 * DELAY);
        assertEquals(0, arrays(client) + arrays(server), "quiet after the last transfer: no array held");
        assertEquals(0, net.a.counters().get(Counter.TCP_MEMORY_BYTES));
        assertEquals(0, net.b.counters().get(Counter.TCP_MEMORY_BYTES));
        assertTrue(net.a.counters().get(Counter.TCP_IDLE_BUFFER_RELEASES) > 10, "released and re-taken often");
    }

    /** Writes all of {@code data} at {@code from} and reads it at {@code to}, checking every byte. */
    private void transfer(final TcpConnection from, final TcpConnection to, final byte[] data)
    {
        final byte[] got = new byte[data.length];
        int written = 0;
        int read = 0;
        for (int cycle = 0; read < data.length; cycle++)
        {
            assertTrue(cycle < 100_000, "transfer stalled at " + read + " of " + data.length);
            if (written < data.length)
            {
                written += Math.max(0, from.write(data, written, data.length - written));
            }
            net.a.tcp().flush(net.nowNs());
            net.b.tcp().flush(net.nowNs());
            net.runFor(MS);
            read += Math.max(0, to.read(got, read, data.length - read));
        }
        assertArrayEquals(data, got);
    }

    @Test
    void offWhenDisabled()
    {
        final TwoStacks off = new TwoStacks(MS, c ->
        {
            c.tcp().idleBuffers.enabled(false);
            return c;
        }, c -> c, d -> d, d -> d);
        final TwoStacks.Established e = off.establish(1, PORT, null);
        final TcpConnection c = e.clients().get(0);
        assertEquals(100, c.write(new byte[100], 0, 100));
        off.a.tcp().flush(off.nowNs());
        off.runFor(5 * DELAY);
        assertEquals(ByteRing.MIN_ALLOCATION, c.snd.sendBuffer.allocated());
        assertEquals(0, off.a.counters().get(Counter.TCP_IDLE_BUFFER_RELEASES));
    }

    @Test
    void configValidation()
    {
        final IdleBufferConfig config = new TcpConfig().idleBuffers;
        assertTrue(config.enabled());
        assertEquals(SECOND, config.delayNs());
        assertThrows(IllegalArgumentException.class, () -> config.delayNs(TimeUnit.MICROSECONDS.toNanos(999)));
        assertEquals(MS, config.delayNs(MS).delayNs());
    }
}
