package io.tapstack.trace;

import io.tapstack.dev.ForwardingDevice;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.FrameObserver;
import org.agrona.MutableDirectBuffer;

/**
 * Wraps a device and shows every frame received and sent to an observer (a {@link PcapWriter}, a
 * {@link SequenceTrace}): {@code fromA} is true for frames the stack sends. Works on any device, a TAP included.
 *
 * <p>It reads no clock. Every frame is stamped with the time given to the latest {@link #receive} call: the
 * duty cycle's time, since the stack calls {@code receive} first in each duty cycle. Received frames thus carry
 * the time the stack sees them at, sent frames the time of the duty cycle that sent them, and the stamps never
 * go backwards, so a capture stays in order.
 */
public final class CaptureDevice extends ForwardingDevice
{
    private final FrameObserver observer;

    public CaptureDevice(final FrameDevice inner, final FrameObserver observer)
    {
        super(inner);
        this.observer = observer;
    }

    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        observer.onFrame(false, buffer, offset, length, cycleNs());
        deliver(buffer, offset, length, nowNs);
    }

    @Override
    public void onTime(final long nowNs)
    {
        super.onTime(nowNs);
        observer.onTime(nowNs);
    }

    @Override
    public long nextDeadlineNs()
    {
        return Math.min(super.nextDeadlineNs(), observer.nextDeadlineNs());
    }

    @Override
    public void commit(final int offset)
    {
        observer.onFrame(true, inner.transmitBuffer(), offset, claimedLength(), cycleNs());
        inner.commit(offset);
    }
}
