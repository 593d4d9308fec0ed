package io.tapstack.dev;

import io.tapstack.time.ManualClock;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link ImpairedDevice}'s seeded randomness does in the long run, against theory, with pinned seeds: each
 * count must fall in the interval that holds 99.9% of the runs of a correct implementation, so a pinned seed that
 * passes says little by luck and a wrong model (a rate off by a tenth, a chain that steps twice) fails.
 */
class ImpairmentStatisticsTest
{
    private static final int FRAME = 100;
    /** The two-sided 99.9% point of the normal distribution. */
    private static final double Z_999 = 3.2905;

    private final ManualClock clock = new ManualClock(1_000_000_000_000L);
    private final MemoryLink link = new MemoryLink(clock, 0, 16384, 1514);
    private final FrameDevice far = link.endB();

    /** Which of frames 0..n-1 arrived (a frame corrupted at offset 14..17 would show as an unknown number). */
    private boolean[] receive(final ImpairedDevice dev, final int n, final List<byte[]> copies)
    {
        final boolean[] arrived = new boolean[n];
        final FrameHandler out = (buffer, offset, length, nowNs) ->
        {
            final int seq = buffer.getInt(offset + 14);
            if (seq >= 0 && seq < n)
            {
                arrived[seq] = true;
            }
            if (copies != null)
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                copies.add(copy);
            }
        };
        for (int i = 0; i < n; i++)
        {
            final int offset = far.claim(FRAME);
            final MutableDirectBuffer b = far.transmitBuffer();
            b.setMemory(offset, FRAME, (byte)0xA5);
            b.putInt(offset + 14, i);
            far.commit(offset);
            dev.receive(clock.nanoTime(), out, 64);
            clock.advanceNs(10_000);
        }
        return arrived;
    }

    private ImpairedDevice device(final long seed, final Impairment receive)
    {
        return ImpairedDevice.builder(link.endA()).seed(seed).receive(receive).build();
    }

    /**
     * The smallest interval [lo, hi] with P(X &lt; lo) ≤ 0.05% and P(X &gt; hi) ≤ 0.05% for X ~ Binomial(n, p),
     * from the exact distribution.
     */
    static long[] binomial999(final int n, final double p)
    {
        final double[] pmf = new double[n + 1];
        for (int k = 0; k <= n; k++)
        {
            pmf[k] = Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
        }
        long lo = 0;
        double below = 0;
        while (below + pmf[(int)lo] <= 0.0005)
        {
            below += pmf[(int)lo++];
        }
        long hi = n;
        double above = 0;
        while (above + pmf[(int)hi] <= 0.0005)
        {
            above += pmf[(int)hi--];
        }
        return new long[] {lo, hi};
    }

    private static double logChoose(final int n, final int k)
    {
        double sum = 0;
        for (int i = 1; i <= k; i++)
        {
            sum += Math.log(n - k + i) - Math.log(i);
        }
        return sum;
    }

    // ------------------------------------------------------------------------------------------------ random loss

    @Test
    void twoPercentLossOfTenThousandFramesFallsInTheBinomialInterval()
    {
        final long[] interval = binomial999(10_000, 0.02);
        assertEquals(156, interval[0], "the interval itself, from the exact distribution (200 ± 46)");
        assertEquals(248, interval[1]);
        for (final long seed : new long[] {1, 2, 3})
        {
            final ImpairedDevice dev = device(seed, Impairment.NONE.withLoss(0.02));
            final boolean[] arrived = receive(dev, 10_000, null);
            long lost = 0;
            for (final boolean a : arrived)
            {
                lost += a ? 0 : 1;
            }
            assertEquals(lost, dev.receiveStats().dropped(), "seed " + seed);
            assertTrue(lost >= interval[0] && lost <= interval[1], "seed " + seed + ": lost " + lost);
        }
    }

    // ------------------------------------------------------------------------------------------------ Gilbert-Elliott

    /** Runs of consecutive losses among frames 0..n-1. */
    private static List<Integer> bursts(final boolean[] arrived)
    {
        final List<Integer> bursts = new ArrayList<>();
        int run = 0;
        for (final boolean a : arrived)
        {
            if (!a)
            {
                run++;
            }
            else if (run > 0)
            {
                bursts.add(run);
                run = 0;
            }
        }
        if (run > 0)
        {
            bursts.add(run);
        }
        return bursts;
    }

    @Test
    void simpleGilbertLosesPiBAndInBurstsOfOneOverR()
    {
        // p = 1%, r = 25%, 1-h = 100%, 1-k = 0%: bad for p/(p+r) = 3.85% of frames, all of them lost, in bursts
        // of 1/r = 4 frames on average
        final double p = 0.01;
        final double r = 0.25;
        final int n = 100_000;
        final GilbertElliott ge = GilbertElliott.of(p, r);
        final double piB = p / (p + r);
        assertEquals(piB, ge.badShare(), 1e-12);
        assertEquals(piB, ge.meanLoss(), 1e-12);

        final ImpairedDevice dev = device(5, Impairment.NONE.withGilbertElliott(ge));
        final boolean[] arrived = receive(dev, n, null);
        final long lost = dev.receiveStats().dropped();
        assertEquals(lost, dev.receiveStats().burstDropped());
        assertEquals(lost, dev.receiveStats().badStateFrames(), "every bad frame is lost, no good one");

        // the mean of a two-state chain's indicator: its variance grows by (1 + λ) / (1 - λ), λ = 1 - p - r
        final double lambda = 1 - p - r;
        final double sd = Math.sqrt(piB * (1 - piB) / n * (1 + lambda) / (1 - lambda));
        final double lossRate = (double)lost / n;
        assertTrue(Math.abs(lossRate - piB) <= Z_999 * sd, "loss " + lossRate + ", theory " + piB + " ± "
            + Z_999 * sd);

        // bursts: geometric lengths with mean 1/r and standard deviation sqrt(1-r)/r
        final List<Integer> bursts = bursts(arrived);
        final double meanBurst = bursts.stream().mapToInt(Integer::intValue).average().orElseThrow();
        final double burstSd = Math.sqrt(1 - r) / r / Math.sqrt(bursts.size());
        assertTrue(Math.abs(meanBurst - 1 / r) <= Z_999 * burstSd, "mean burst " + meanBurst + " of "
            + bursts.size() + ", theory " + 1 / r + " ± " + Z_999 * burstSd);
        // and about n·π_B·r of them
        final double expectedBursts = n * piB * r;
        assertTrue(Math.abs(bursts.size() - expectedBursts) <= Z_999 * Math.sqrt(expectedBursts) * 1.5,
            bursts.size() + " bursts, about " + expectedBursts);
        // not independent loss: at 3.85% independent loss, runs of 4 or more are rare (0.002% of runs)
        assertTrue(bursts.stream().filter(b -> b >= 4).count() > bursts.size() / 5);
    }

    @Test
    void gilbertElliottWithLossInBothStatesMatchesItsMeanLoss()
    {
        // netem's gemodel 2% 20% 60% 0.5%: bad for 1/11 of frames, losing 60% there and 0.5% in the good state
        final double p = 0.02;
        final double r = 0.20;
        final GilbertElliott ge = new GilbertElliott(p, r, 0.60, 0.005);
        final int n = 100_000;
        final double piB = p / (p + r);
        final double mean = piB * 0.60 + (1 - piB) * 0.005;
        assertEquals(mean, ge.meanLoss(), 1e-12);

        final ImpairedDevice dev = device(8, Impairment.NONE.withGilbertElliott(ge));
        receive(dev, n, null);
        final double lambda = 1 - p - r;
        // the per-frame draw adds independent noise to the chain's correlated share
        final double variance = (mean * (1 - mean)
            + Math.pow(0.60 - 0.005, 2) * piB * (1 - piB) * (1 + lambda) / (1 - lambda)) / n;
        final double lossRate = (double)dev.receiveStats().dropped() / n;
        assertTrue(Math.abs(lossRate - mean) <= Z_999 * Math.sqrt(variance), "loss " + lossRate + ", theory "
            + mean + " ± " + Z_999 * Math.sqrt(variance));
        final double badRate = (double)dev.receiveStats().badStateFrames() / n;
        final double badSd = Math.sqrt(piB * (1 - piB) / n * (1 + lambda) / (1 - lambda));
        assertTrue(Math.abs(badRate - piB) <= Z_999 * badSd, "bad share " + badRate + ", theory " + piB);
    }

    @Test
    void theChainStepsOncePerFrameAsNetemDoes()
    {
        // with p = 1 and r = 1 the chain alternates: bad, good, bad, good... (it starts good and moves first)
        final ImpairedDevice dev = device(1, Impairment.NONE.withGilbertElliott(GilbertElliott.of(1, 1)));
        final boolean[] arrived = receive(dev, 10, null);
        assertEquals("[false, true, false, true, false, true, false, true, false, true]",
            java.util.Arrays.toString(arrived));
        assertEquals(5, dev.receiveStats().burstDropped());
    }

    @Test
    void netemDefaultsForWhatIsLeftOut()
    {
        final GilbertElliott ge = GilbertElliott.of(0.05, 1);
        assertEquals(new GilbertElliott(0.05, 1, 1, 0), ge);
        assertEquals(0.05 / 1.05, ge.meanLoss(), 1e-12);
        assertTrue(GilbertElliott.NONE.isNone());
        assertTrue(new GilbertElliott(0.5, 0.5, 0, 0).isNone(), "lossless in both states");
        assertTrue(!new GilbertElliott(0, 1, 1, 0.01).isNone(), "loss in the good state");
    }

    // ------------------------------------------------------------------------------------------------ corruption

    @Test
    void corruptionFlipsExactlyOneBitInItsShareOfFrames()
    {
        final int n = 10_000;
        final ImpairedDevice dev = device(21, Impairment.NONE.withCorrupt(0.02));
        final List<byte[]> copies = new ArrayList<>();
        receive(dev, n, copies);
        assertEquals(n, copies.size(), "corruption drops nothing itself");
        long changed = 0;
        final long[] bitsAt = new long[FRAME * 8];
        for (int i = 0; i < n; i++)
        {
            final byte[] frame = copies.get(i);
            final byte[] clean = new byte[FRAME];
            java.util.Arrays.fill(clean, (byte)0xA5);
            new org.agrona.concurrent.UnsafeBuffer(clean).putInt(14, i);
            int flipped = 0;
            for (int j = 0; j < FRAME; j++)
            {
                final int diff = (frame[j] ^ clean[j]) & 0xFF;
                flipped += Integer.bitCount(diff);
                if (diff != 0)
                {
                    bitsAt[j * 8 + Integer.numberOfTrailingZeros(diff)]++;
                }
            }
            assertTrue(flipped <= 1, "frame " + i + " has " + flipped + " bits flipped");
            changed += flipped;
        }
        assertEquals(changed, dev.receiveStats().corrupted());
        final long[] interval = binomial999(n, 0.02);
        assertTrue(changed >= interval[0] && changed <= interval[1], "corrupted " + changed);
        // the bit may land anywhere, the Ethernet header's 112 bits included
        long inEthernetHeader = 0;
        for (int bit = 0; bit < 14 * 8; bit++)
        {
            inEthernetHeader += bitsAt[bit];
        }
        assertTrue(inEthernetHeader > 0, "some flips hit the Ethernet header");
    }

    @Test
    void aDuplicateIsCorruptedOnItsOwn()
    {
        // every frame doubled, every copy corrupted: the two copies differ from the original by one bit each
        final ImpairedDevice dev = device(4, Impairment.NONE.withDuplicate(1).withCorrupt(1));
        final List<byte[]> copies = new ArrayList<>();
        receive(dev, 200, copies);
        assertEquals(400, copies.size());
        assertEquals(400, dev.receiveStats().corrupted());
        int differentFlips = 0;
        for (int i = 0; i < 400; i += 2)
        {
            if (!java.util.Arrays.equals(copies.get(i), copies.get(i + 1)))
            {
                differentFlips++;
            }
        }
        assertTrue(differentFlips > 190, "independent flips: " + differentFlips);
    }
}
