package io.tapstack.trace;

import io.tapstack.testkit.SampleTraffic;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FilteredObserver}: only kept frames go on, counted; filtering and writing a pcap allocate nothing. */
class FilteredObserverTest
{
    // tcpdump -ddd 'tcp[tcpflags] & tcp-syn != 0' (libpcap 1.10, Ethernet)
    private static final String SYN_FILTER = """
        11
        40 0 0 12
        21 0 8 2048
        48 0 0 23
        21 0 6 6
        40 0 0 20
        69 4 0 8191
        177 0 0 14
        80 0 0 27
        69 0 1 2
        6 0 0 262144
        6 0 0 0
        """;

    @Test
    void showsOnlyTheFramesTheProgramKeepsAndCountsBoth()
    {
        final List<String> shown = new ArrayList<>();
        final FilteredObserver filter = new FilteredObserver(BpfProgram.parse(SYN_FILTER),
            (fromA, buffer, offset, length, nowNs) -> shown.add(FrameDescriber.describe(buffer, offset, length)));
        final List<SampleTraffic.Frame> frames = SampleTraffic.frames();
        for (final SampleTraffic.Frame f : frames)
        {
            filter.onFrame(f.fromA(), new UnsafeBuffer(f.bytes()), 0, f.bytes().length, f.timeNs());
        }
        // two SYNs to 80 and 81, the SYN-ACK, and the hand-made frame with every flag
        assertEquals(4, shown.size(), String.join("\n", shown));
        assertTrue(shown.stream().allMatch(line -> line.matches(".*Flags \\[[^]]*S[^]]*].*")), shown::toString);
        assertEquals(4, filter.kept());
        assertEquals(frames.size() - 4, filter.filteredOut());
    }

    @Test
    void filteringIntoAPcapAllocatesNothingPerFrame()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final PcapWriter pcap = new PcapWriter(OutputStream.nullOutputStream(), 65535);
        final FilteredObserver filter = new FilteredObserver(BpfProgram.parse(SYN_FILTER), pcap);
        final List<UnsafeBuffer> frames = SampleTraffic.frames().stream().map(f -> new UnsafeBuffer(f.bytes()))
            .toList();
        final UnsafeBuffer[] array = frames.toArray(new UnsafeBuffer[0]);
        run(filter, array, 20_000);
        long allocated = Long.MAX_VALUE;
        for (int round = 0; round < 3 && allocated >= 1024; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            run(filter, array, 10_000);
            allocated = Math.min(allocated, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 10,000 frames");
        assertTrue(pcap.frames() > 0);
    }

    private static void run(final FilteredObserver filter, final UnsafeBuffer[] frames, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final UnsafeBuffer f = frames[i % frames.length];
            filter.onFrame(true, f, 0, f.capacity(), 1_000_000L * i);
        }
    }
}
