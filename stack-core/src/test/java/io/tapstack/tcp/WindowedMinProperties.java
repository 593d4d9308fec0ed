package io.tapstack.tcp;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The windowed minimum RACK keeps its min_RTT with (RFC 8985 §6.2 step 1) against every sample kept in a list: the
 * estimate is always one of the samples of the last window (so a lower sample older than the window is forgotten: a
 * longer path is learnt), never above the newest sample, and the true minimum while no sample is a window old.
 */
class WindowedMinProperties
{
    private static final long WINDOW = 1_000;

    @Property(tries = 1_000, seed = "20261203")
    void isASampleOfTheLastWindow(
        @ForAll @Size(min = 1, max = 100) final List<@IntRange(min = 0, max = 10_000) Integer> samples,
        @ForAll @Size(min = 100, max = 100) final List<@IntRange(min = 0, max = 600) Integer> gaps)
    {
        final WindowedMin filter = new WindowedMin(WINDOW);
        final List<long[]> seen = new ArrayList<>();
        long now = 5_000;
        for (int i = 0; i < samples.size(); i++)
        {
            final long gap = gaps.get(i);
            now += gap;
            final long value = samples.get(i);
            filter.update(value, now);
            seen.add(new long[] {now, value});
            assertFalse(filter.isEmpty());
            long min = Long.MAX_VALUE;
            boolean found = false;
            for (final long[] s : seen)
            {
                if (now - s[0] <= WINDOW)
                {
                    min = Math.min(min, s[1]);
                    found |= s[1] == filter.get();
                }
            }
            assertTrue(found, "a sample of the last window");
            assertTrue(filter.get() <= value, "not above the newest sample");
            assertTrue(filter.get() >= min, "not below the window's minimum");
            if (now - seen.get(0)[0] <= WINDOW)
            {
                assertTrue(filter.get() == min, "the minimum, while no sample is a window old");
            }
        }
    }
}
