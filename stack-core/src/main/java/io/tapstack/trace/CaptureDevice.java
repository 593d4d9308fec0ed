package io.tapstack.trace;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.FrameHandler;
import io.tapstack.dev.FrameObserver;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.NanoClock;

/**
 * Wraps a device and shows every frame received and sent to an observer (a {@link PcapWriter}, a
 * {@link SequenceTrace}): {@code fromA} is true for frames the stack sends. Works on any device, a TAP included.
 */
public final class CaptureDevice implements FrameDevice, FrameHandler
{
    private final FrameDevice inner;
    private final FrameObserver observer;
    private final NanoClock clock;
    private FrameHandler downstream;
    private int claimedLength;

    public CaptureDevice(final FrameDevice inner, final FrameObserver observer, final NanoClock clock)
    {
        this.inner = inner;
        this.observer = observer;
        this.clock = clock;
    }

    @Override
    public int receive(final long nowNs, final FrameHandler handler, final int limit)
    {
        downstream = handler;
        try
        {
            return inner.receive(nowNs, this, limit);
        }
        finally
        {
            downstream = null;
        }
    }

    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        // stamped by the same clock as sent frames, so that the capture stays in order
        observer.onFrame(false, buffer, offset, length, clock.nanoTime());
        downstream.onFrame(buffer, offset, length, nowNs);
    }

    @Override
    public int claim(final int length)
    {
        claimedLength = length;
        return inner.claim(length);
    }

    @Override
    public MutableDirectBuffer transmitBuffer()
    {
        return inner.transmitBuffer();
    }

    @Override
    public void commit(final int offset)
    {
        observer.onFrame(true, inner.transmitBuffer(), offset, claimedLength, clock.nanoTime());
        inner.commit(offset);
    }

    @Override
    public void abort(final int offset)
    {
        inner.abort(offset);
    }

    @Override
    public int maxFrameLength()
    {
        return inner.maxFrameLength();
    }

    @Override
    public long nextDeadlineNs()
    {
        return inner.nextDeadlineNs();
    }

    @Override
    public void close()
    {
        inner.close();
    }
}
