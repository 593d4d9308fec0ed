package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.HexFormat;
import java.util.function.BooleanSupplier;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two stacks over {@code MemoryLink.offloading}: the same TCP code, with each device gluing its stack's segments
 * into super-frames (TSO) and delivering the other's whole with a partial checksum (GRO, NEEDS_CSUM). Pinned seeds,
 * simulated time.
 */
class TcpOffloadSimulationTest
{
    private static final int B = io.tapstack.wire.Ipv4Address.parse("10.0.0.2");
    private static final int MB = 1 << 20;

    private final long[] superFramesFrom = new long[2];

    private TwoStacks offloadingNet()
    {
        final TwoStacks net = new TwoStacks(MS, c -> c.seed(11), c -> c.seed(12), d -> d, d -> d, true);
        net.link.observer((fromA, buffer, offset, length, nowNs) ->
        {
            if (length > 1514)
            {
                superFramesFrom[fromA ? 0 : 1]++;
            }
        }); // the test kit's capture would keep every frame
        return net;
    }

    @Test
    void sixteenMegabytesEachWayArriveIntactAsSuperFrames()
    {
        final TwoStacks net = offloadingNet();
        final byte[] aToB = TcpSimulationTest.randomBytes(16 * MB, 21);
        final byte[] bToA = TcpSimulationTest.randomBytes(16 * MB, 22);
        final TcpSimulationTest.Peer a = new TcpSimulationTest.Peer(aToB, bToA);
        final TcpSimulationTest.Peer b = new TcpSimulationTest.Peer(bToA, aToB);
        net.b.tcp().listen(5000, l -> b.start(l.accept().handler(b)));
        assertTrue(net.a.tcp().connect(B, 5000, a, net.nowNs()) != null, "connect");
        assertTrue(net.runUntil(() -> a.done() && b.done() || a.reset || b.reset, 600 * SECOND),
            "A: " + a.status() + "; B: " + b.status());
        assertEquals(-1, b.firstMismatch, "A->B intact");
        assertEquals(-1, a.firstMismatch, "B->A intact");
        assertEquals(TcpSimulationTest.sha256(aToB), HexFormat.of().formatHex(b.sha.digest()));
        assertEquals(TcpSimulationTest.sha256(bToA), HexFormat.of().formatHex(a.sha.digest()));

        assertTrue(superFramesFrom[0] > 100 && superFramesFrom[1] > 100,
            "super-frames crossed both ways: " + superFramesFrom[0] + ", " + superFramesFrom[1]);
        assertTrue(net.link.coalescer(true).segmentsGlued() > 4 * superFramesFrom[0],
            "about 45 segments a super-frame at full speed: " + net.link.coalescer(true).segmentsGlued());
        for (final var s : new io.tapstack.NetStack[] {net.a, net.b})
        {
            assertTrue(s.counters().get(Counter.TCP_RX_CHECKSUM_PARTIAL) >= 100, "partial checksums skipped");
            assertTrue(s.counters().get(Counter.TCP_TX_CHECKSUM_PARTIAL) >= 1000,
                "every segment sent with the pseudo-header sum only, for the link to complete");
            assertEquals(0, s.counters().get(Counter.TCP_DROP_BAD_CHECKSUM),
                "frames alone, completed by the link, verified: all good");
            assertEquals(0, s.counters().get(Counter.STACK_INTERNAL_ERRORS));
        }
        System.out.printf("offloads: 16 MB each way in %.2f s simulated; super-frames %d/%d, segments glued %d/%d%n",
            (net.nowNs() - 1_000 * SECOND) / 1e9, superFramesFrom[0], superFramesFrom[1],
            net.link.coalescer(true).segmentsGlued(), net.link.coalescer(false).segmentsGlued());
    }

    /** Style rule 3 on the offload path: gluing, super-frames and their receipt allocate nothing per segment. */
    @Test
    void theOffloadPathAllocatesNothingPerSegment()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final TwoStacks net = offloadingNet();
        final byte[] data = TcpSimulationTest.randomBytes(32 * MB, 23);
        final TcpSimulationTest.Peer a = new TcpSimulationTest.Peer(data, new byte[0]);
        final TcpSimulationTest.Peer b = new TcpSimulationTest.Peer(new byte[0], data);
        net.b.tcp().listen(5000, l -> b.start(l.accept().handler(b)));
        assertTrue(net.a.tcp().connect(B, 5000, a, net.nowNs()) != null, "connect");
        final BooleanSupplier warm = () -> b.received >= 12 * MB;
        final BooleanSupplier measured = () -> b.received >= 28 * MB;
        assertTrue(net.runUntil(warm, 600 * SECOND), "warmed up: " + b.status());
        final long superFramesBefore = superFramesFrom[0];
        final long before = threads.getCurrentThreadAllocatedBytes() - buffersGrown(net);
        final boolean reached = net.runUntil(measured, 600 * SECOND);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - buffersGrown(net) - before;
        assertTrue(reached, "measured: " + b.status());
        assertTrue(net.runUntil(() -> b.received == data.length && b.endOfStream, 600 * SECOND), b.status());
        assertEquals(-1, b.firstMismatch, "intact");
        final long superFrames = superFramesFrom[0] - superFramesBefore;
        assertTrue(superFrames > 100, "the measured part went in super-frames: " + superFrames);
        // 16 MB are about 11,600 segments: a byte per segment would be 11.6 KB
        assertTrue(allocated < 4096, "allocated " + allocated + " bytes over 16 MB in " + superFrames
            + " super-frames");
    }

    private static long buffersGrown(final TwoStacks net)
    {
        return net.a.counters().get(Counter.TCP_MEMORY_ALLOCATED_BYTES)
            + net.b.counters().get(Counter.TCP_MEMORY_ALLOCATED_BYTES);
    }
}
