package io.tapstack.examples.lab;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.ForwardingDevice;
import io.tapstack.dev.ImpairedDevice;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Wraps one stack's end of the lab's link on the way out: drops the frames a lab's {@link DropRule} picks (a loss on
 * the wire, as the lab scripts it), and notices the frames the bottleneck behind it (an {@link ImpairedDevice} with a
 * rate limit) drops because its queue is full. Either way the lab is told ({@link LabBench#lost}), so the trace shows
 * the lost frame and the charts mark it: a capture past the loss cannot show what never arrived.
 */
final class LossWatch extends ForwardingDevice
{
    /** Picks the frames a lab loses on purpose. */
    @FunctionalInterface
    interface DropRule
    {
        /**
         * @param index  this end's frames counted from 1
         * @param frame  the frame's bytes, from {@code 0} for {@code length}
         * @param timeNs lab time (0 when the lab starts)
         */
        boolean drop(int index, DirectBuffer frame, int length, long timeNs);
    }

    private final LabBench bench;
    private final boolean fromA;
    private final DropRule rule;
    private final ImpairedDevice bottleneck;
    private final UnsafeBuffer copy;
    private int index;

    LossWatch(final FrameDevice inner, final LabBench bench, final boolean fromA, final DropRule rule,
        final ImpairedDevice bottleneck)
    {
        super(inner);
        this.bench = bench;
        this.fromA = fromA;
        this.rule = rule;
        this.bottleneck = bottleneck;
        this.copy = new UnsafeBuffer(new byte[inner.maxFrameLength()]);
    }

    @Override
    public void commit(final int offset)
    {
        final int length = claimedLength();
        copy.putBytes(0, inner.transmitBuffer(), offset, length);
        index++;
        final long timeNs = bench.labTimeNs(cycleNs());
        if (rule != null && rule.drop(index, copy, length, timeNs))
        {
            inner.abort(offset);
            bench.lost(fromA, copy, length, cycleNs(), "lost on the link");
            return;
        }
        if (bottleneck == null)
        {
            inner.commit(offset);
            return;
        }
        final long queueDropsBefore = bottleneck.framesRateDropped();
        final long lossesBefore = bottleneck.framesDropped();
        inner.commit(offset);
        if (bottleneck.framesRateDropped() > queueDropsBefore)
        {
            bench.lost(fromA, copy, length, cycleNs(), "dropped: the bottleneck's queue is full");
        }
        else if (bottleneck.framesDropped() > lossesBefore)
        {
            bench.lost(fromA, copy, length, cycleNs(), "lost on the link (random loss)");
        }
    }

    /** The TCP payload length of an Ethernet/IPv4/TCP frame, or -1 for any other frame. */
    static int tcpPayload(final DirectBuffer frame, final int length)
    {
        if (length < 54 || frame.getShort(12, java.nio.ByteOrder.BIG_ENDIAN) != 0x0800 || frame.getByte(23) != 6)
        {
            return -1;
        }
        final int ipHeader = (frame.getByte(14) & 0x0F) * 4;
        final int total = ((frame.getByte(16) & 0xFF) << 8) | (frame.getByte(17) & 0xFF);
        final int tcpHeader = ((frame.getByte(14 + ipHeader + 12) & 0xF0) >> 4) * 4;
        return total - ipHeader - tcpHeader;
    }

    /** The TCP flags byte of an Ethernet/IPv4/TCP frame, or -1. */
    static int tcpFlags(final DirectBuffer frame, final int length)
    {
        if (length < 54 || frame.getShort(12, java.nio.ByteOrder.BIG_ENDIAN) != 0x0800 || frame.getByte(23) != 6)
        {
            return -1;
        }
        final int ipHeader = (frame.getByte(14) & 0x0F) * 4;
        return frame.getByte(14 + ipHeader + 13) & 0xFF;
    }
}
