package io.tapstack.dev;

import io.tapstack.time.ManualClock;
import io.tapstack.time.RandomSource;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ImpairedDevice} on one end of a zero-latency {@link MemoryLink}, in manual time. Frames carry a
 * sequence number at offset 14, so the tests see exactly which frames went, in which order, and when.
 * Receive direction: the far end sends, the impaired end receives. Transmit direction: the impaired end sends,
 * the far end receives.
 */
class ImpairedDeviceSimulationTest
{
    private static final long MS = 1_000_000L;
    private static final int FRAME = 64;

    private final ManualClock clock = new ManualClock(1_000 * 1_000 * MS);
    private final MemoryLink link = new MemoryLink(clock, 0, 16384, 1514);
    private final FrameDevice far = link.endB();

    /** What came out: sequence numbers and times. */
    private static final class Collector implements FrameHandler
    {
        final List<Integer> seqs = new ArrayList<>();
        final List<Long> times = new ArrayList<>();

        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
        {
            assertEquals(FRAME, length);
            seqs.add(buffer.getInt(offset + 14));
            times.add(nowNs);
        }
    }

    private static void put(final FrameDevice device, final int seq)
    {
        final int offset = device.claim(FRAME);
        assertTrue(offset >= 0, "device full");
        final MutableDirectBuffer b = device.transmitBuffer();
        b.setMemory(offset, FRAME, (byte)0xA5);
        b.putInt(offset + 14, seq);
        device.commit(offset);
    }

    /** Far end sends frames 0..n-1, one per receive cycle of the impaired end, 10 µs apart. */
    private Collector receiveDirection(final ImpairedDevice dev, final int n)
    {
        final Collector out = new Collector();
        for (int i = 0; i < n; i++)
        {
            put(far, i);
            dev.receive(clock.nanoTime(), out, 64);
            clock.advanceNs(10_000);
        }
        drain(dev, out);
        return out;
    }

    /** Impaired end sends frames 0..n-1 (one per duty cycle, 10 µs apart); the far end collects. */
    private Collector transmitDirection(final ImpairedDevice dev, final int n)
    {
        final Collector out = new Collector();
        final Collector none = new Collector();
        for (int i = 0; i < n; i++)
        {
            dev.receive(clock.nanoTime(), none, 64);
            put(dev, i);
            far.receive(clock.nanoTime(), out, 64);
            clock.advanceNs(10_000);
        }
        while (dev.nextDeadlineNs() != Long.MAX_VALUE)
        {
            clock.setNs(Math.max(clock.nanoTime(), dev.nextDeadlineNs()));
            dev.receive(clock.nanoTime(), none, 64);
            far.receive(clock.nanoTime(), out, 64);
        }
        assertTrue(none.seqs.isEmpty());
        return out;
    }

    /** Runs the device's deadlines until nothing is left in it. */
    private void drain(final ImpairedDevice dev, final Collector out)
    {
        while (dev.nextDeadlineNs() != Long.MAX_VALUE)
        {
            clock.setNs(Math.max(clock.nanoTime(), dev.nextDeadlineNs()));
            dev.receive(clock.nanoTime(), out, 64);
        }
    }

    /** The lane streams of an ImpairedDevice: split in construction order, receive then transmit. */
    private static RandomSource laneRandom(final long seed, final boolean transmit)
    {
        final RandomSource root = new RandomSource(seed);
        final RandomSource rx = root.split();
        final RandomSource tx = root.split();
        return transmit ? tx : rx;
    }

    // ------------------------------------------------------------------------------------------------ loss

    @Test
    void dropsExactlyTheFramesItsSeedChooses()
    {
        final long seed = 42;
        final int n = 10_000;
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(seed)
            .receive(Impairment.NONE.withLoss(0.1)).build();
        final Collector out = receiveDirection(dev, n);

        // an independent model of the draws: one per frame
        final RandomSource model = laneRandom(seed, false);
        final List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            if (!(model.nextDouble() < 0.1))
            {
                expected.add(i);
            }
        }
        assertEquals(expected, out.seqs);
        assertEquals(n - expected.size(), dev.framesDropped());
        assertEquals(n - expected.size(), dev.receiveStats().dropped());
        assertEquals(0, dev.transmitStats().dropped());
        assertTrue(dev.framesDropped() > 900 && dev.framesDropped() < 1100, "dropped " + dev.framesDropped());
        assertEquals(0, dev.framesDuplicated() + dev.framesReordered() + dev.framesDelayed());
    }

    @Test
    void dropsTransmittedFramesExactlyAsItsSeedChooses()
    {
        final long seed = 7;
        final int n = 10_000;
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(seed)
            .transmit(Impairment.NONE.withLoss(0.25)).build();
        final Collector out = transmitDirection(dev, n);

        final RandomSource model = laneRandom(seed, true);
        final List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            if (!(model.nextDouble() < 0.25))
            {
                expected.add(i);
            }
        }
        assertEquals(expected, out.seqs);
        assertEquals(n - expected.size(), dev.transmitStats().dropped());
        assertEquals(0, dev.receiveStats().dropped());
    }

    @Test
    void theOriginalConstructorImpairsBothDirections()
    {
        final ImpairedDevice dev = new ImpairedDevice(link.endA(), 3, 0.2, 0.1);
        final Collector in = receiveDirection(dev, 5_000);
        final Collector out = transmitDirection(dev, 5_000);
        assertEquals(5_000 - dev.receiveStats().dropped() + dev.receiveStats().duplicated(), in.seqs.size());
        assertEquals(5_000 - dev.transmitStats().dropped() + dev.transmitStats().duplicated(), out.seqs.size());
        assertTrue(dev.receiveStats().dropped() > 800 && dev.transmitStats().dropped() > 800);
        assertTrue(dev.receiveStats().duplicated() > 300 && dev.transmitStats().duplicated() > 300);
        assertEquals(dev.receiveStats().dropped() + dev.transmitStats().dropped(), dev.framesDropped());
    }

    // ------------------------------------------------------------------------------------------------ duplication

    @Test
    void duplicatesExactlyTheFramesItsSeedChoosesAndKeepsCopiesTogether()
    {
        final long seed = 11;
        final int n = 10_000;
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(seed)
            .both(Impairment.NONE.withDuplicate(0.05)).build();
        final Collector in = receiveDirection(dev, n);
        final Collector out = transmitDirection(dev, n);

        for (final boolean transmit : new boolean[] {false, true})
        {
            final RandomSource model = laneRandom(seed, transmit);
            final List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < n; i++)
            {
                expected.add(i);
                if (model.nextDouble() < 0.05)
                {
                    expected.add(i);
                }
            }
            assertEquals(expected, transmit ? out.seqs : in.seqs, transmit ? "transmit" : "receive");
            final ImpairmentLane lane = transmit ? dev.transmitStats() : dev.receiveStats();
            assertEquals(expected.size() - n, lane.duplicated());
            assertEquals(expected.size(), lane.passed());
        }
        assertTrue(dev.framesDuplicated() > 800 && dev.framesDuplicated() < 1200, "" + dev.framesDuplicated());
    }

    // ------------------------------------------------------------------------------------------------ reorder

    @Test
    void aHeldFrameGoesRightBehindTheNextOne()
    {
        final int n = 10_000;
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(5)
            .both(Impairment.NONE.withReorder(0.1, 50 * MS)).build();
        for (final Collector c : List.of(receiveDirection(dev, n), transmitDirection(dev, n)))
        {
            assertEquals(n, c.seqs.size(), "nothing lost, nothing doubled");
            int swaps = 0;
            for (int i = 0; i < n; i++)
            {
                final int s = c.seqs.get(i);
                if (s != i)
                {
                    // a swap of neighbours: i+1 overtook i
                    assertEquals(i + 1, s, "at " + i);
                    assertEquals(i, c.seqs.get(i + 1), "at " + (i + 1));
                    swaps++;
                    i++;
                }
            }
            assertTrue(swaps > 700 && swaps < 1100, "swaps " + swaps);
        }
        assertEquals(dev.framesReordered(), dev.receiveStats().reordered() + dev.transmitStats().reordered());
        // 10,000 frames, one swap each reorder: the counts match the swaps seen (the last frame may be held)
        assertTrue(dev.receiveStats().reordered() > 700, "" + dev.receiveStats().reordered());
    }

    @Test
    void aHeldFrameWithoutSuccessorGoesWhenItsHoldRunsOut()
    {
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(1)
            .receive(Impairment.NONE.withReorder(1.0, 5 * MS)).build();
        final Collector out = new Collector();
        final long t0 = clock.nanoTime();
        put(far, 1);
        assertEquals(1, dev.receive(t0, out, 64));
        assertTrue(out.seqs.isEmpty(), "held back");
        assertEquals(t0 + 5 * MS, dev.nextDeadlineNs());
        assertEquals(0, dev.receive(t0 + 5 * MS - 1, out, 64));
        assertTrue(out.seqs.isEmpty());
        assertEquals(1, dev.receive(t0 + 5 * MS, out, 64));
        assertEquals(List.of(1), out.seqs);
        assertEquals(List.of(t0 + 5 * MS), out.times);
        assertEquals(0, dev.framesReordered(), "nothing overtook it");
        assertEquals(Long.MAX_VALUE, dev.nextDeadlineNs());

        // with probability 1 every frame that finds nothing held is held: 2 is held, 3 overtakes it and
        // releases it, 4 is held again
        put(far, 2);
        put(far, 3);
        put(far, 4);
        dev.receive(t0 + 6 * MS, out, 64);
        assertEquals(List.of(1, 3, 2), out.seqs);
        assertEquals(1, dev.framesReordered());
        assertEquals(1, dev.receiveStats().stored());
    }

    // ------------------------------------------------------------------------------------------------ delay

    @Test
    void delaysReceivedFramesByTheFixedDelayAndReportsTheDeadline()
    {
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(1)
            .receive(Impairment.NONE.withDelayNs(3 * MS, 0)).build();
        final Collector out = new Collector();
        final long t0 = clock.nanoTime();
        put(far, 1);
        dev.receive(t0, out, 64);
        put(far, 2);
        dev.receive(t0 + MS, out, 64);
        assertTrue(out.seqs.isEmpty());
        assertEquals(t0 + 3 * MS, dev.nextDeadlineNs());
        dev.receive(t0 + 3 * MS - 1, out, 64);
        assertTrue(out.seqs.isEmpty());
        dev.receive(t0 + 3 * MS, out, 64);
        assertEquals(List.of(1), out.seqs);
        assertEquals(t0 + 4 * MS, dev.nextDeadlineNs());
        dev.receive(t0 + 10 * MS, out, 64);
        assertEquals(List.of(1, 2), out.seqs);
        assertEquals(List.of(t0 + 3 * MS, t0 + 10 * MS), out.times);
        assertEquals(2, dev.framesDelayed());
        assertEquals(Long.MAX_VALUE, dev.nextDeadlineNs());
    }

    @Test
    void delaysTransmittedFramesUntilTheCycleAtTheirDueTime()
    {
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(1)
            .transmit(Impairment.NONE.withDelayNs(2 * MS, 0)).build();
        final Collector out = new Collector();
        final Collector none = new Collector();
        final long t0 = clock.nanoTime();
        dev.receive(t0, none, 64); // the duty cycle starts at t0
        put(dev, 1);
        far.receive(Long.MAX_VALUE, out, 64);
        assertTrue(out.seqs.isEmpty(), "not on the wire yet");
        assertEquals(t0 + 2 * MS, dev.nextDeadlineNs());
        clock.setNs(t0 + 2 * MS);
        assertEquals(1, dev.receive(t0 + 2 * MS, none, 64), "the release is work");
        far.receive(clock.nanoTime(), out, 64);
        assertEquals(List.of(1), out.seqs);
        assertEquals(1, dev.transmitStats().delayed());
        assertEquals(0, dev.receiveStats().delayed());
    }

    @Test
    void jitterSpreadsDelaysOverItsRangeAndMayReorder()
    {
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(9).storeFrames(2048)
            .receive(Impairment.NONE.withDelayNs(MS, 2 * MS)).build();
        final Collector out = new Collector();
        final long[] sentAt = new long[1000];
        for (int i = 0; i < 1000; i++)
        {
            sentAt[i] = clock.nanoTime();
            put(far, i);
            dev.receive(clock.nanoTime(), out, 64);
            clock.advanceNs(10_000);
        }
        drain(dev, out);
        assertEquals(1000, out.seqs.size());
        long minDelay = Long.MAX_VALUE;
        long maxDelay = 0;
        int inversions = 0;
        for (int i = 0; i < out.seqs.size(); i++)
        {
            final long delay = out.times.get(i) - sentAt[out.seqs.get(i)];
            minDelay = Math.min(minDelay, delay);
            maxDelay = Math.max(maxDelay, delay);
            if (i > 0 && out.seqs.get(i) < out.seqs.get(i - 1))
            {
                inversions++;
            }
        }
        assertTrue(minDelay >= MS && minDelay < MS + 100_000, "min " + minDelay);
        assertTrue(maxDelay <= 3 * MS && maxDelay > 3 * MS - 100_000, "max " + maxDelay);
        assertTrue(inversions > 100, "jitter of 2 ms over 10 µs spacing reorders: " + inversions);
        assertEquals(1000, dev.framesDelayed());
    }

    @Test
    void aFullDelayStoreDropsAndCounts()
    {
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(1).storeFrames(4)
            .receive(Impairment.NONE.withDelayNs(MS, 0)).build();
        final Collector out = new Collector();
        for (int i = 0; i < 10; i++)
        {
            put(far, i);
        }
        dev.receive(clock.nanoTime(), out, 64);
        assertEquals(4, dev.framesDelayed());
        assertEquals(6, dev.framesOverflowed());
        drain(dev, out);
        assertEquals(List.of(0, 1, 2, 3), out.seqs);
    }

    // ------------------------------------------------------------------------------------------------ together

    @Test
    void theSameSeedGivesTheSameImpairmentsAndAnotherSeedOthers()
    {
        final Impairment all = Impairment.NONE.withLoss(0.1).withDuplicate(0.05).withReorder(0.1, MS)
            .withDelayNs(MS, MS);
        final List<List<Integer>> runs = new ArrayList<>();
        for (final long seed : new long[] {77, 77, 78})
        {
            final ManualClock c = new ManualClock(0);
            final MemoryLink l = new MemoryLink(c, 0, 16384, 1514);
            final ImpairedDevice dev = ImpairedDevice.builder(l.endA()).seed(seed).storeFrames(1024).both(all).build();
            final Collector out = new Collector();
            for (int i = 0; i < 3000; i++)
            {
                put(l.endB(), i);
                dev.receive(c.nanoTime(), out, 64);
                c.advanceNs(10_000);
            }
            while (dev.nextDeadlineNs() != Long.MAX_VALUE)
            {
                c.setNs(Math.max(c.nanoTime(), dev.nextDeadlineNs()));
                dev.receive(c.nanoTime(), out, 64);
            }
            final List<Integer> run = new ArrayList<>(out.seqs);
            run.add(-1);
            run.add((int)dev.framesDropped());
            run.add((int)dev.framesDuplicated());
            run.add((int)dev.framesReordered());
            run.add((int)dev.framesDelayed());
            runs.add(run);
            assertEquals(3000 - dev.framesDropped() + dev.framesDuplicated(), out.seqs.size());
            assertTrue(dev.framesReordered() > 0 && dev.framesDropped() > 0 && dev.framesDuplicated() > 0);
        }
        assertEquals(runs.get(0), runs.get(1));
        assertNotEquals(runs.get(0), runs.get(2));
    }

    @Test
    void impairmentsCanChangeWhileRunning()
    {
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(1).build();
        final Collector out = new Collector();
        put(far, 1);
        dev.receive(clock.nanoTime(), out, 64);
        dev.receiveImpairment(Impairment.NONE.withLoss(1.0));
        put(far, 2);
        dev.receive(clock.nanoTime(), out, 64);
        dev.receiveImpairment(Impairment.NONE);
        put(far, 3);
        dev.receive(clock.nanoTime(), out, 64);
        assertEquals(List.of(1, 3), out.seqs);
        assertEquals(1, dev.framesDropped());
    }

    // ------------------------------------------------------------------------------------------------ allocation

    @Test
    void impairingAllocatesNothingPer10kFrames()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        // every stage: a rate the 64-byte frames every 10 µs (51.2 Mbit/s) overrun, so the queue fills and drops
        final Impairment all = Impairment.NONE.withLoss(0.1).withDuplicate(0.05).withReorder(0.1, MS)
            .withDelayNs(MS, MS).withCorrupt(0.05).withGilbertElliott(GilbertElliott.of(0.01, 0.3))
            .withRate(RateLimit.of(40_000_000).withLimit(16_384));
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(3).storeFrames(1024).both(all).build();
        final long[] count = new long[1];
        final FrameHandler handler = (buffer, offset, length, nowNs) -> count[0]++;

        pump(dev, handler, 20_000); // warm up
        final long before = threads.getCurrentThreadAllocatedBytes();
        pump(dev, handler, 10_000);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(count[0] > 20_000);
        assertTrue(dev.framesDelayed() > 0 && dev.framesReordered() > 0 && dev.framesDuplicated() > 0);
        assertTrue(dev.framesCorrupted() > 0 && dev.framesRateDropped() > 0 && dev.receiveStats().rateQueued() > 0
            && dev.receiveStats().burstDropped() > 0);
        assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 10,000 frames each way");
    }

    private void pump(final ImpairedDevice dev, final FrameHandler handler, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            // one frame each way per cycle
            int offset = far.claim(FRAME);
            far.transmitBuffer().putInt(offset + 14, i);
            far.commit(offset);
            offset = dev.claim(FRAME);
            dev.transmitBuffer().putInt(offset + 14, i);
            dev.commit(offset);
            dev.receive(clock.nanoTime(), handler, 64);
            far.receive(clock.nanoTime(), handler, 64);
            clock.advanceNs(10_000);
        }
    }
}
