package io.tapstack.testkit;

import io.tapstack.dev.FrameObserver;
import org.agrona.DirectBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Records copies of the frames crossing a {@link io.tapstack.dev.MemoryLink} (test only: allocates). */
public final class FrameCapture implements FrameObserver
{
    /** One captured frame. */
    public record Captured(boolean fromA, long timeNs, byte[] bytes)
    {
        public Frames view()
        {
            return Frames.parse(bytes);
        }
    }

    private final List<Captured> frames = new ArrayList<>();

    @Override
    public void onFrame(final boolean fromA, final DirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        frames.add(new Captured(fromA, nowNs, copy));
    }

    public List<Captured> all()
    {
        return frames;
    }

    public List<Captured> matching(final Predicate<Captured> filter)
    {
        return frames.stream().filter(filter).toList();
    }

    public void clear()
    {
        frames.clear();
    }
}
