package io.tapstack.trace;

import io.tapstack.testkit.SampleTraffic;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link FrameDescriber} reads only inside the frame and never throws, whatever its bytes: random bytes, and
 * real frames cut short or with bytes changed (the frame sits in a buffer of exactly its size, so a read past it
 * would throw).
 */
class FrameDescriberProperties
{
    private static final List<SampleTraffic.Frame> SAMPLE = SampleTraffic.frames();

    @Property(seed = "13")
    void describesAnyBytesWithoutThrowing(@ForAll @Size(max = 120) final byte[] frame)
    {
        assertFalse(FrameDescriber.describe(new UnsafeBuffer(frame), 0, frame.length).isEmpty());
    }

    @Property(tries = 3000, seed = "13")
    void describesRealFramesCutShortOrChangedWithoutThrowing(
        @ForAll @IntRange(max = 1000) final int which,
        @ForAll @IntRange(max = 2000) final int cut,
        @ForAll @IntRange(max = 100) final int at,
        @ForAll final byte value)
    {
        final byte[] original = SAMPLE.get(which % SAMPLE.size()).bytes();
        final byte[] frame = java.util.Arrays.copyOf(original, Math.min(original.length, cut));
        if (frame.length > 0)
        {
            // the first 100 bytes hold every header: change one of them
            frame[at % Math.min(frame.length, 100)] = value;
        }
        assertFalse(FrameDescriber.describe(new UnsafeBuffer(frame), 0, frame.length).isEmpty());
    }
}
