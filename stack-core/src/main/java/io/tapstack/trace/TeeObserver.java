package io.tapstack.trace;

import io.tapstack.dev.FrameObserver;
import org.agrona.DirectBuffer;

/** Shows each frame to two observers in turn (a pcap file and a trace at the same capture point). */
public final class TeeObserver implements FrameObserver
{
    private final FrameObserver first;
    private final FrameObserver second;

    public TeeObserver(final FrameObserver first, final FrameObserver second)
    {
        this.first = first;
        this.second = second;
    }

    @Override
    public void onFrame(final boolean fromA, final DirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        first.onFrame(fromA, buffer, offset, length, nowNs);
        second.onFrame(fromA, buffer, offset, length, nowNs);
    }

    @Override
    public void onTime(final long nowNs)
    {
        first.onTime(nowNs);
        second.onTime(nowNs);
    }

    @Override
    public long nextDeadlineNs()
    {
        return Math.min(first.nextDeadlineNs(), second.nextDeadlineNs());
    }
}
