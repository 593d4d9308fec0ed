package io.tapstack.dev;

import io.tapstack.time.ManualClock;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The token bucket of {@link ImpairedDevice} ({@link RateLimit}, as Linux's tbf), in manual time: frames carry a
 * sequence number at offset 14 and have the lengths the test chooses; the tests see when each one left.
 */
class RateLimitTest
{
    private static final long US = 1_000L;
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final long TEN_MBIT = 10_000_000L;

    private final ManualClock clock = new ManualClock(1_000 * SECOND);
    private final MemoryLink link = new MemoryLink(clock, 0, 65536, 1514);
    private final FrameDevice far = link.endB();

    /** What came out: sequence numbers, lengths and times. */
    private static final class Out implements FrameHandler
    {
        final List<Integer> seqs = new ArrayList<>();
        final List<Integer> lengths = new ArrayList<>();
        final List<Long> times = new ArrayList<>();

        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
        {
            seqs.add(buffer.getInt(offset + 14));
            lengths.add(length);
            times.add(nowNs);
        }

        long bytesBetween(final long fromNs, final long toNs)
        {
            long bytes = 0;
            for (int i = 0; i < times.size(); i++)
            {
                if (times.get(i) >= fromNs && times.get(i) <= toNs)
                {
                    bytes += lengths.get(i);
                }
            }
            return bytes;
        }
    }

    private static void put(final FrameDevice device, final int seq, final int length)
    {
        final int offset = device.claim(length);
        assertTrue(offset >= 0, "device full");
        final MutableDirectBuffer b = device.transmitBuffer();
        b.setMemory(offset, length, (byte)0xA5);
        b.putInt(offset + 14, seq);
        device.commit(offset);
    }

    private ImpairedDevice receiveLimited(final RateLimit rate)
    {
        return ImpairedDevice.builder(link.endA()).seed(1).receive(Impairment.NONE.withRate(rate)).build();
    }

    /**
     * The far end offers frame i (of {@code lengths[i]} bytes) at {@code atNs[i]} (non-decreasing); the impaired end
     * runs a receive cycle at each offer and at each of its own deadlines, until nothing is left. {@code watch} is
     * called after every cycle.
     */
    private Out offer(final ImpairedDevice dev, final long[] atNs, final int[] lengths, final Runnable watch)
    {
        final Out out = new Out();
        int next = 0;
        while (next < atNs.length || dev.nextDeadlineNs() != Long.MAX_VALUE)
        {
            final long offerAt = next < atNs.length ? atNs[next] : Long.MAX_VALUE;
            final long t = Math.min(offerAt, dev.nextDeadlineNs());
            clock.setNs(Math.max(clock.nanoTime(), t));
            while (next < atNs.length && atNs[next] <= clock.nanoTime())
            {
                put(far, next, lengths[next]);
                next++;
            }
            dev.receive(clock.nanoTime(), out, 1_000);
            watch.run();
        }
        return out;
    }

    private static long[] every(final long startNs, final long gapNs, final int n)
    {
        final long[] at = new long[n];
        for (int i = 0; i < n; i++)
        {
            at[i] = startNs + i * gapNs;
        }
        return at;
    }

    private static int[] all(final int length, final int n)
    {
        final int[] lengths = new int[n];
        java.util.Arrays.fill(lengths, length);
        return lengths;
    }

    // ------------------------------------------------------------------------------------------------ rate

    @Test
    void framesLeaveAtTheRateOverASimulatedSecond()
    {
        // 20 Mbit/s offered into 10 Mbit/s for one second, with a queue that never fills
        final RateLimit rate = RateLimit.of(TEN_MBIT).withBurst(3028).withLimit(4 << 20);
        final ImpairedDevice dev = receiveLimited(rate);
        final long t0 = clock.nanoTime();
        final int n = 1651; // 1514 bytes every 605.6 µs: 20 Mbit/s for a second
        final Out out = offer(dev, every(t0, 605_600, n), all(1514, n), () -> { });

        assertEquals(n, out.seqs.size(), "nothing dropped with a large queue");
        final long inFirstSecond = out.bytesBetween(t0, t0 + SECOND);
        final long atRate = TEN_MBIT / 8; // 1,250,000 bytes
        assertTrue(inFirstSecond <= atRate + rate.burstBytes(), "at most rate plus bucket: " + inFirstSecond);
        assertTrue(inFirstSecond >= atRate * 99 / 100, "within 1% of the rate: " + inFirstSecond);
        // backlogged frames leave exactly one transmission time apart: 1514 bytes at 10 Mbit/s is 1,211,200 ns
        for (int i = 10; i < 500; i++)
        {
            assertEquals(1_211_200, out.times.get(i) - out.times.get(i - 1), "gap before frame " + i);
        }
        // the full bucket lets frames 0..2 through as they come (1,514 + 757 + 757 bytes of tokens), then the
        // queue never empties
        assertEquals(n - 3, dev.receiveStats().rateQueued());
        assertEquals(0, dev.framesRateDropped());
    }

    @Test
    void theTransmitDirectionIsPacedInItsDutyCycles()
    {
        final ImpairedDevice dev = ImpairedDevice.builder(link.endA()).seed(1)
            .transmit(Impairment.NONE.withRate(RateLimit.of(TEN_MBIT).withBurst(1514))).build();
        final Out out = new Out();
        final Out none = new Out();
        final long t0 = clock.nanoTime();
        dev.receive(t0, none, 64); // the duty cycle at t0
        for (int i = 0; i < 5; i++)
        {
            put(dev, i, 1514);
        }
        while (dev.nextDeadlineNs() != Long.MAX_VALUE)
        {
            clock.setNs(dev.nextDeadlineNs());
            dev.receive(clock.nanoTime(), none, 64);
        }
        far.receive(Long.MAX_VALUE, out, 64);
        assertEquals(List.of(0, 1, 2, 3, 4), out.seqs);
        assertEquals(t0 + 4 * 1_211_200, clock.nanoTime(), "the last left four transmission times after the first");
        assertEquals(4, dev.transmitStats().rateQueued());
        assertTrue(none.seqs.isEmpty());
    }

    // ------------------------------------------------------------------------------------------------ burst

    @Test
    void aFullBucketLetsABurstThroughThenPaces()
    {
        // 5,000-byte bucket, 1,000-byte frames: 800 µs each at 10 Mbit/s
        final ImpairedDevice dev = receiveLimited(RateLimit.of(TEN_MBIT).withBurst(5_000).withLimit(100_000));
        final long t0 = clock.nanoTime();
        final long[] at = new long[20];
        for (int i = 0; i < 10; i++)
        {
            at[i] = t0; // ten at once after a long idle spell
        }
        final long lastOfFirst = t0 + 5 * 800 * US;
        for (int i = 10; i < 15; i++)
        {
            at[i] = lastOfFirst + 4 * MS; // five more once the bucket has refilled (5,000 bytes take 4 ms)
        }
        for (int i = 15; i < 20; i++)
        {
            at[i] = lastOfFirst + 4 * MS + 2 * MS; // and three after a 2 ms pause: 2,500 bytes of tokens
        }
        final Out out = offer(dev, at, all(1000, 20), () -> { });

        final List<Long> expected = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            expected.add(t0); // the bucket's 5,000 bytes at once
        }
        for (int i = 1; i <= 5; i++)
        {
            expected.add(t0 + i * 800 * US); // then paced
        }
        final long second = lastOfFirst + 4 * MS;
        for (int i = 0; i < 5; i++)
        {
            expected.add(second); // refilled: a burst again
        }
        final long third = second + 2 * MS;
        expected.add(third);
        expected.add(third); // 2,500 bytes of tokens: two frames, 500 bytes left over
        expected.add(third + 400 * US); // 500 bytes missing take 400 µs
        expected.add(third + 1200 * US);
        expected.add(third + 2000 * US);
        assertEquals(expected, out.times);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19), out.seqs);
    }

    // ------------------------------------------------------------------------------------------------ queue

    @Test
    void aBurstBeyondBucketAndQueueIsDroppedAndCounted()
    {
        // bucket 3,028 (two frames), queue 15,140 (ten frames): of 30 at once, 2 leave, 10 wait, 18 are dropped
        final ImpairedDevice dev = receiveLimited(RateLimit.of(TEN_MBIT).withBurst(3028).withLimit(15_140));
        final int[] maxQueued = new int[1];
        final Out out = offer(dev, every(clock.nanoTime(), 0, 30), all(1514, 30),
            () -> maxQueued[0] = Math.max(maxQueued[0], dev.receiveStats().rateQueuedBytes()));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), out.seqs);
        assertEquals(18, dev.receiveStats().rateDropped());
        assertEquals(18, dev.framesRateDropped());
        assertEquals(10, dev.receiveStats().rateQueued());
        assertEquals(15_140, maxQueued[0]);
        assertEquals(0, dev.receiveStats().rateQueuedBytes());
        assertEquals(0, dev.framesStored());
    }

    @Test
    void offeredBeyondRateAndQueueTheExcessIsDropped()
    {
        // twice the rate for a second into a 30,000-byte queue
        final RateLimit rate = RateLimit.of(TEN_MBIT).withBurst(3028).withLimit(30_000);
        final ImpairedDevice dev = receiveLimited(rate);
        final long t0 = clock.nanoTime();
        final int n = 1651;
        final int[] maxQueued = new int[1];
        final Out out = offer(dev, every(t0, 605_600, n), all(1514, n),
            () -> maxQueued[0] = Math.max(maxQueued[0], dev.receiveStats().rateQueuedBytes()));

        final long offered = (long)n * 1514;
        final long delivered = (long)out.seqs.size() * 1514;
        final long dropped = dev.receiveStats().rateDropped() * 1514;
        assertEquals(offered, delivered + dropped, "every frame either left or was dropped");
        // in the offered second at most rate + bucket left, and at most the queue was still waiting at its end
        final long floor = offered - (TEN_MBIT / 8 + rate.burstBytes() + rate.limitBytes());
        assertTrue(dropped >= floor, "dropped " + dropped + " of " + offered + ", at least " + floor);
        assertTrue(dropped <= floor + 3 * 1514, "dropped " + dropped + ", about " + floor);
        assertTrue(maxQueued[0] <= 30_000 && maxQueued[0] > 30_000 - 1514, "queue peaked at " + maxQueued[0]);
        final long inFirstSecond = out.bytesBetween(t0, t0 + SECOND);
        assertTrue(Math.abs(inFirstSecond - TEN_MBIT / 8) <= TEN_MBIT / 8 / 100, "rate held: " + inFirstSecond);
        // order is kept: the survivors in increasing order
        for (int i = 1; i < out.seqs.size(); i++)
        {
            assertTrue(out.seqs.get(i) > out.seqs.get(i - 1));
        }
    }

    @Test
    void theLatencyFormOfTheLimitBoundsTheWait()
    {
        // as tc computes tbf's limit: rate × latency + burst = 25,000 + 3,028 bytes
        final RateLimit rate = RateLimit.of(TEN_MBIT).withBurst(3028).withLatencyNs(20 * MS);
        assertEquals(28_028, rate.limitBytes());
        final ImpairedDevice dev = receiveLimited(rate);
        final long t0 = clock.nanoTime();
        final int n = 2000;
        final long[] at = every(t0, 300_000, n); // 40 Mbit/s offered
        final Out out = offer(dev, at, all(1514, n), () -> { });
        long maxWait = 0;
        for (int i = 0; i < out.seqs.size(); i++)
        {
            maxWait = Math.max(maxWait, out.times.get(i) - at[out.seqs.get(i)]);
        }
        assertTrue(dev.receiveStats().rateDropped() > 0);
        // the queue holds at most 28,028 bytes: the last in waits for all of them, 22.4 ms at most
        assertTrue(maxWait <= rate.transmitNs(rate.limitBytes()) + 1, "waited " + maxWait);
        assertTrue(maxWait > 20 * MS, "and does wait about that long: " + maxWait);
    }

    @Test
    void aFrameLongerThanTheBucketIsDroppedAndCounted()
    {
        final ImpairedDevice dev = receiveLimited(RateLimit.of(TEN_MBIT).withBurst(1000).withLimit(100_000));
        final Out out = offer(dev, new long[] {clock.nanoTime(), clock.nanoTime()}, new int[] {1001, 1000}, () -> { });
        assertEquals(List.of(1), out.seqs);
        assertEquals(1, dev.receiveStats().rateOversizeDropped());
        assertEquals(1, dev.receiveStats().rateDropped());
    }

    @Test
    void liftingTheRateReleasesTheQueueInOrder()
    {
        final ImpairedDevice dev = receiveLimited(RateLimit.of(1_000_000).withBurst(1514).withLimit(100_000));
        final Out out = new Out();
        for (int i = 0; i < 10; i++)
        {
            put(far, i, 1514);
        }
        dev.receive(clock.nanoTime(), out, 64);
        assertEquals(List.of(0), out.seqs);
        assertEquals(9, dev.framesStored());
        dev.receiveImpairment(Impairment.NONE);
        put(far, 10, 100);
        dev.receive(clock.nanoTime(), out, 64); // the queue goes first, then the new frame
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), out.seqs);
        assertEquals(Long.MAX_VALUE, dev.nextDeadlineNs());
    }

    @Test
    void aLargerLimitKeepsTheQueuedFrames()
    {
        final ImpairedDevice dev = receiveLimited(RateLimit.of(1_000_000).withBurst(1514).withLimit(6_000));
        final Out out = new Out();
        for (int i = 0; i < 5; i++)
        {
            put(far, i, 1514);
        }
        dev.receive(clock.nanoTime(), out, 64); // 1 leaves, 3 wait (4,542 bytes), 1 is dropped
        assertEquals(3, dev.receiveStats().stored());
        dev.receiveImpairment(Impairment.NONE.withRate(RateLimit.of(1_000_000).withBurst(1514).withLimit(1 << 20)));
        for (int i = 5; i < 200; i++)
        {
            put(far, i, 1514);
            dev.receive(clock.nanoTime(), out, 64);
        }
        while (dev.nextDeadlineNs() != Long.MAX_VALUE)
        {
            clock.setNs(dev.nextDeadlineNs());
            dev.receive(clock.nanoTime(), out, 64);
        }
        final List<Integer> expected = new ArrayList<>(List.of(0, 1, 2, 3));
        for (int i = 5; i < 200; i++)
        {
            expected.add(i);
        }
        assertEquals(expected, out.seqs);
    }

    @Test
    void rejectsLimitsOutOfRange()
    {
        assertThrows(IllegalArgumentException.class, () -> RateLimit.of(999));
        assertThrows(IllegalArgumentException.class, () -> RateLimit.of(RateLimit.MAX_BITS_PER_SECOND + 1));
        assertThrows(IllegalArgumentException.class, () -> RateLimit.of(TEN_MBIT).withBurst(0));
        assertThrows(IllegalArgumentException.class, () -> RateLimit.of(TEN_MBIT).withLimit(-1));
        assertThrows(IllegalArgumentException.class,
            () -> RateLimit.of(RateLimit.MAX_BITS_PER_SECOND).withLatencyNs(SECOND));
        assertEquals(RateLimit.MAX_LIMIT_BYTES, RateLimit.of(RateLimit.MAX_BITS_PER_SECOND).limitBytes());
        final RateLimit tenMbit = RateLimit.of(TEN_MBIT);
        assertEquals(3028, tenMbit.burstBytes(), "1 ms at 10 Mbit/s is less than two frames");
        assertEquals(62_500 + 3028, tenMbit.limitBytes(), "50 ms of the rate and the bucket");
        assertEquals(125_000, RateLimit.of(1_000_000_000L).burstBytes(), "1 ms at 1 Gbit/s");
    }

    // ------------------------------------------------------------------------------------------------ property

    /**
     * Against a model of tbf in exact rational time (doubles over times relative to the start): every frame leaves
     * when the model says (to the nanosecond the device rounds up to), in order, or is dropped when the model's
     * queue is full; the queue never holds more than its limit.
     */
    @Property(tries = 200)
    void departuresFollowTheTokenBucketModel(@ForAll("gaps") final List<Integer> gapsUs,
        @ForAll @IntRange(min = 42, max = 1514) final int smallest, @ForAll @IntRange(min = 1514, max = 20_000)
        final int burst, @ForAll @IntRange(min = 0, max = 60_000) final int limit,
        @ForAll @LongRange(min = 100_000, max = 1_000_000_000) final long bitsPerSecond)
    {
        final ManualClock c = new ManualClock(1_000 * SECOND);
        final MemoryLink l = new MemoryLink(c, 0, 65536, 1514);
        final RateLimit rate = RateLimit.of(bitsPerSecond).withBurst(burst).withLimit(limit);
        final ImpairedDevice dev = ImpairedDevice.builder(l.endA()).seed(1).receive(Impairment.NONE.withRate(rate))
            .build();
        final int n = gapsUs.size();
        final long t0 = c.nanoTime();
        final long[] at = new long[n];
        final int[] lengths = new int[n];
        long t = t0;
        for (int i = 0; i < n; i++)
        {
            t += gapsUs.get(i) * US;
            at[i] = t;
            lengths[i] = smallest + (int)((i * 7919L) % (1515 - smallest));
        }

        // the model: tokens in bytes, as doubles
        final double bytesPerNs = bitsPerSecond / 8e9;
        final List<Integer> modelSeqs = new ArrayList<>();
        final List<Double> modelTimes = new ArrayList<>();
        final List<double[]> queue = new ArrayList<>(); // {departure, length} of frames not yet gone
        double tokens = burst;
        double tokensAt = 0;
        double lastDeparture = 0;
        for (int i = 0; i < n; i++)
        {
            final double arrival = at[i] - t0;
            queue.removeIf(q -> q[0] <= arrival);
            double queued = 0;
            for (final double[] q : queue)
            {
                queued += q[1];
            }
            if (queued + lengths[i] > limit)
            {
                continue;
            }
            double d = Math.max(arrival, lastDeparture);
            double available = Math.min(burst, tokens + (d - tokensAt) * bytesPerNs);
            if (available < lengths[i])
            {
                d += (lengths[i] - available) / bytesPerNs;
                available = lengths[i];
            }
            tokens = available - lengths[i];
            tokensAt = d;
            lastDeparture = d;
            modelSeqs.add(i);
            modelTimes.add(d);
            if (d > arrival)
            {
                queue.add(new double[] {d, lengths[i]});
            }
        }

        final Out out = new Out();
        int next = 0;
        while (next < n || dev.nextDeadlineNs() != Long.MAX_VALUE)
        {
            final long when = Math.min(next < n ? at[next] : Long.MAX_VALUE, dev.nextDeadlineNs());
            c.setNs(Math.max(c.nanoTime(), when));
            while (next < n && at[next] <= c.nanoTime())
            {
                final int offset = l.endB().claim(lengths[next]);
                l.endB().transmitBuffer().putInt(offset + 14, next);
                l.endB().commit(offset);
                next++;
            }
            dev.receive(c.nanoTime(), out, 10_000);
            assertTrue(dev.receiveStats().rateQueuedBytes() <= limit);
        }
        assertEquals(modelSeqs, out.seqs);
        for (int i = 0; i < modelTimes.size(); i++)
        {
            final double actual = out.times.get(i) - t0;
            assertTrue(actual >= modelTimes.get(i) - 1e-3 && actual <= modelTimes.get(i) + 1,
                "frame " + modelSeqs.get(i) + " left at " + actual + ", the model says " + modelTimes.get(i));
        }
        assertEquals(n - modelSeqs.size(), dev.receiveStats().rateDropped());
    }

    @Provide
    Arbitrary<List<Integer>> gaps()
    {
        // mostly back to back or close, sometimes long idle spells
        return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, Arbitraries.just(0)),
            net.jqwik.api.Tuple.of(10, Arbitraries.integers().between(1, 2_000)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(2_000, 200_000)))
            .list().ofMinSize(1).ofMaxSize(300);
    }
}
