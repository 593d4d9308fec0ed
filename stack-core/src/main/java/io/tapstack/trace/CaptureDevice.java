package io.tapstack.trace;

import io.tapstack.dev.ForwardingDevice;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.FrameObserver;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.NanoClock;

/**
 * Wraps a device and shows every frame received and sent to an observer (a {@link PcapWriter}, a
 * {@link SequenceTrace}): {@code fromA} is true for frames the stack sends. Works on any device, a TAP included.
 */
public final class CaptureDevice extends ForwardingDevice
{
    private final FrameObserver observer;
    private final NanoClock clock;

    public CaptureDevice(final FrameDevice inner, final FrameObserver observer, final NanoClock clock)
    {
        super(inner);
        this.observer = observer;
        this.clock = clock;
    }

    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        // stamped by the same clock as sent frames, so that the capture stays in order
        observer.onFrame(false, buffer, offset, length, clock.nanoTime());
        deliver(buffer, offset, length, nowNs);
    }

    @Override
    public void commit(final int offset)
    {
        observer.onFrame(true, inner.transmitBuffer(), offset, claimedLength(), clock.nanoTime());
        inner.commit(offset);
    }
}
