package io.tapstack.udp;

import io.tapstack.StackConfig;
import io.tapstack.wire.UdpHeader;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.udp.UdpFrames.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receive queue against a plain {@link ArrayDeque} model, through any mix of arrivals (0..65,507 bytes) and
 * truncating receives, so that records wrap around the ring's end: FIFO order, contents, senders, lengths, drops
 * and the bound.
 */
@StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
class UdpEndpointQueueProperties
{
    private static final int[] LIMITS = {StackConfig.MIN_UDP_RECEIVE_QUEUE_BYTES, 100_000, 256 * 1024};
    private static final int OFFSET = 13;

    private record Datagram(int address, int port, byte[] data)
    {
    }

    /** Bytes a datagram takes in the queue: ring header 8 + UDP header 8 + data, 8-aligned. */
    private static int recordLength(final int dataLength)
    {
        return (16 + dataLength + 7) & ~7;
    }

    @Provide
    Arbitrary<List<Integer>> operations()
    {
        // >= 0: a datagram of that many bytes arrives; < 0: a receive with maxLength (-op - 1)
        final Arbitrary<Integer> small = Arbitraries.integers().between(0, 64);
        final Arbitrary<Integer> medium = Arbitraries.integers().between(65, 9000);
        final Arbitrary<Integer> large = Arbitraries.integers().between(9001, UdpHeader.MAX_DATA_LENGTH);
        final Arbitrary<Integer> receive = Arbitraries.integers().between(0, UdpHeader.MAX_DATA_LENGTH + 10)
            .map(max -> -max - 1);
        return Arbitraries.frequencyOf(Tuple.of(4, small), Tuple.of(3, medium), Tuple.of(2, large),
            Tuple.of(4, receive)).list().ofMinSize(10).ofMaxSize(120);
    }

    @Property(tries = 300)
    void behavesLikeABoundedFifoOfDatagrams(
        @ForAll("operations") final List<Integer> operations,
        @ForAll @IntRange(max = 2) final int limitChoice)
    {
        final int limit = LIMITS[limitChoice];
        final UdpEndpoint endpoint = new UdpEndpoint(null, 7, e -> { }, limit);
        final ArrayDeque<Datagram> model = new ArrayDeque<>();
        final UnsafeBuffer in = new UnsafeBuffer(new byte[OFFSET + UdpHeader.MAX_LENGTH]);
        final UnsafeBuffer out = new UnsafeBuffer(new byte[UdpHeader.MAX_DATA_LENGTH + 16]);
        int modelBytes = 0;
        int modelDataBytes = 0;
        long modelDrops = 0;
        int serial = 0;

        for (final int operation : operations)
        {
            if (operation >= 0)
            {
                serial++;
                final Datagram datagram = new Datagram(0x0A00_0000 + serial, 1000 + serial, pattern(operation, serial));
                new UdpHeader().wrap(in, OFFSET, UdpHeader.HEADER_LENGTH + operation).sourcePort(datagram.port())
                    .destinationPort(7).length(UdpHeader.HEADER_LENGTH + operation).checksum(0xBEEF);
                in.putBytes(OFFSET + UdpHeader.HEADER_LENGTH, datagram.data());
                final boolean wasEmpty = model.isEmpty();
                final boolean withinBound = modelBytes + recordLength(operation) <= limit;

                final boolean queued = endpoint.enqueue(in, OFFSET, UdpHeader.HEADER_LENGTH + operation,
                    datagram.address());

                if (wasEmpty)
                {
                    assertTrue(queued, "an empty queue takes any datagram");
                }
                if (!withinBound)
                {
                    assertFalse(queued, "the queue never holds more than its bound");
                }
                if (queued)
                {
                    model.add(datagram);
                    modelBytes += recordLength(operation);
                    modelDataBytes += operation;
                }
                else
                {
                    modelDrops++;
                }
            }
            else
            {
                final int maxLength = -operation - 1;
                final int copied = model.isEmpty() ? 0 : Math.min(maxLength, model.peek().data().length);
                if (copied < out.capacity())
                {
                    out.putByte(copied, (byte)0x5A);
                }

                final int length = endpoint.receive(out, 0, Math.min(maxLength, out.capacity()));

                final Datagram expected = model.poll();
                if (expected == null)
                {
                    assertEquals(-1, length);
                    continue;
                }
                modelBytes -= recordLength(expected.data().length);
                modelDataBytes -= expected.data().length;
                assertEquals(expected.data().length, length);
                final byte[] got = new byte[copied];
                out.getBytes(0, got);
                assertArrayEquals(Arrays.copyOf(expected.data(), copied), got);
                if (copied < out.capacity())
                {
                    assertEquals((byte)0x5A, out.getByte(copied), "nothing written past maxLength");
                }
                assertEquals(expected.address(), endpoint.lastRemoteAddress());
                assertEquals(expected.port(), endpoint.lastRemotePort());
            }
            assertEquals(model.size(), endpoint.queuedDatagrams());
            assertEquals(modelDataBytes, endpoint.queuedBytes());
            assertEquals(modelDrops, endpoint.drops());
        }
        Statistics.label("dropped some").collect(modelDrops > 0);
        Statistics.label("dropped some").coverage(coverage -> coverage.check(true).percentage(p -> p > 10));
    }
}
