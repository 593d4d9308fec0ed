package io.tapstack.tcp;

import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an idle connection costs in heap, with the default buffers (64 KiB to start, 4 MiB at most, which used to be
 * reserved at open as two fixed 64 KiB arrays): two stacks open {@value #CONNECTIONS} connections; the heap in use
 * after a full collection is measured before and after, per connection end (each connection has an end on each
 * stack). Measured three ways: established and never used, just after one small exchange (the buffers hold
 * their first 4 KiB arrays), after that and the idle delay (the arrays went back), and in TIME-WAIT (per connection: only A's end is left). The figures are printed for docs/benchmarks.md; the bound asserted
 * is loose (the collector's accounting is not exact) but far under the 128 KiB the fixed buffers took.
 */
class TcpIdleMemoryTest
{
    private static final int CONNECTIONS = 4000;
    private static final int PORT = 80;
    private static final long FIXED_BUFFERS = 2 * 64 * 1024;
    private static final long IDLE_DELAY = SECOND;

    private static StackConfig many(final StackConfig config)
    {
        config.tcp().maxConnections(CONNECTIONS + 100).defaultBacklog(CONNECTIONS).maxTimeWait(CONNECTIONS + 100);
        return config;
    }

    /** Heap in use after a full collection (the least of three, so a collection that left garbage does not count). */
    private static long usedHeapAfterGc()
    {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++)
        {
            System.gc();
            final Runtime runtime = Runtime.getRuntime();
            least = Math.min(least, runtime.totalMemory() - runtime.freeMemory());
        }
        return least;
    }

    @Test
    void idleConnectionsCostFarLessThanTheOldFixedBuffers()
    {
        final TwoStacks net = new TwoStacks(MS, TcpIdleMemoryTest::many, TcpIdleMemoryTest::many, d -> d, d -> d);
        net.link.observer((fromA, buffer, offset, length, nowNs) ->
        {
        }); // no capture: it would hold every frame
        final long empty = usedHeapAfterGc();
        final TwoStacks.Established established = net.establish(CONNECTIONS, PORT, null);
        net.runFor(SECOND);
        final long idle = usedHeapAfterGc();
        assertEquals(0, net.a.counters().get(Counter.TCP_MEMORY_BYTES), "no buffer array before data");
        assertEquals(0, net.b.counters().get(Counter.TCP_MEMORY_BYTES));
        final long perIdle = (idle - empty) / (2L * CONNECTIONS);

        // one small request and its answer on each connection: each buffer takes its first array
        final List<TcpConnection> clients = established.clients();
        final byte[] request = new byte[100];
        for (final TcpConnection c : clients)
        {
            assertEquals(request.length, c.write(request, 0, request.length));
        }
        net.a.tcp().flush(net.nowNs());
        assertTrue(net.runUntil(() -> established.servers().stream().allMatch(s -> s.readable() == 100), SECOND));
        for (final TcpConnection s : established.servers())
        {
            s.read(new byte[100], 0, 100);
            s.write(request, 0, request.length);
        }
        net.b.tcp().flush(net.nowNs());
        assertTrue(net.runUntil(() -> clients.stream().allMatch(c -> c.readable() == 100), SECOND));
        for (final TcpConnection c : clients)
        {
            c.read(new byte[100], 0, 100);
        }
        net.runFor(IDLE_DELAY / 2);
        final long used = usedHeapAfterGc();
        final long arrays = net.a.counters().get(Counter.TCP_MEMORY_BYTES);
        assertEquals(2L * ByteRing.MIN_ALLOCATION * CONNECTIONS, arrays, "a first array per buffer, no more");
        final long perUsed = (used - empty) / (2L * CONNECTIONS);

        // quiet for the idle delay: every array goes back (TcpConfig.idleBuffers)
        net.runFor(IDLE_DELAY);
        assertEquals(0, net.a.counters().get(Counter.TCP_MEMORY_BYTES), "no array held after the idle delay");
        assertEquals(0, net.b.counters().get(Counter.TCP_MEMORY_BYTES));
        assertEquals(2L * CONNECTIONS, net.a.counters().get(Counter.TCP_IDLE_BUFFER_RELEASES));
        final long perReleased = (usedHeapAfterGc() - empty) / (2L * CONNECTIONS);

        // the clients close first and wait in TIME-WAIT; their buffers go back to the account
        for (final TcpConnection c : clients)
        {
            c.close();
        }
        net.a.tcp().flush(net.nowNs());
        net.runFor(SECOND);
        for (final TcpConnection s : established.servers())
        {
            s.close();
        }
        net.b.tcp().flush(net.nowNs());
        net.runFor(SECOND);
        assertEquals(CONNECTIONS, net.a.tcp().timeWaitCount());
        assertEquals(0, net.a.counters().get(Counter.TCP_MEMORY_BYTES), "TIME-WAIT holds no buffer");
        assertEquals(0, net.b.tcp().connectionCount(), "B's ends closed");
        established.servers().clear(); // B's closed ends are garbage now; A's table holds its TIME-WAIT ones
        clients.clear();
        final long timeWait = usedHeapAfterGc();
        final long perTimeWait = (timeWait - empty) / CONNECTIONS;
        System.out.printf("heap per connection end: idle %,d B, just after one exchange %,d B, idle after one "
            + "exchange %,d B, TIME-WAIT %,d B (%,d connections; the fixed buffers took %,d B)%n", perIdle, perUsed,
            perReleased, perTimeWait, CONNECTIONS, FIXED_BUFFERS);
        assertTrue(perIdle < FIXED_BUFFERS / 8, "idle connection end: " + perIdle + " B");
        assertTrue(perUsed < FIXED_BUFFERS / 4, "after one exchange: " + perUsed + " B");
        assertTrue(perReleased < perIdle + ByteRing.MIN_ALLOCATION, "idle after one exchange: " + perReleased
            + " B, within one 4 KiB array of never used (" + perIdle + " B)");
        assertTrue(perTimeWait < FIXED_BUFFERS / 8, "in TIME-WAIT: " + perTimeWait + " B");
    }
}
