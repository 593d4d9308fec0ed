package io.tapstack.dev;

import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A point-to-point Ethernet link in memory between two stacks, with a fixed one-way latency measured on the
 * given clock. Each direction is a bounded single-producer single-consumer queue of frame slots: a full queue
 * drops (claim returns -1), like a device queue. Frames keep their order. Impairments come from wrapping an
 * end in {@link ImpairedDevice}.
 */
public final class MemoryLink
{
    private final NanoClock clock;
    private final long latencyNs;
    private final int maxFrameLength;
    private final Direction aToB;
    private final Direction bToA;
    private final End endA;
    private final End endB;
    private FrameObserver observer;

    /**
     * @param clock          the clock frames are stamped with when sent (a manual clock in simulations)
     * @param latencyNs      one-way delay of every frame
     * @param slots          frames each direction can hold in flight
     * @param maxFrameLength largest frame, Ethernet header included (MTU + 14)
     */
    public MemoryLink(final NanoClock clock, final long latencyNs, final int slots, final int maxFrameLength)
    {
        this.clock = clock;
        this.latencyNs = latencyNs;
        this.maxFrameLength = maxFrameLength;
        this.aToB = new Direction(slots, maxFrameLength);
        this.bToA = new Direction(slots, maxFrameLength);
        this.endA = new End(bToA, aToB, true);
        this.endB = new End(aToB, bToA, false);
    }

    public MemoryLink(final NanoClock clock)
    {
        this(clock, 0, 4096, 1514);
    }

    public FrameDevice endA()
    {
        return endA;
    }

    public FrameDevice endB()
    {
        return endB;
    }

    /** Installs the one observer that sees every frame sent either way (null to remove). */
    public MemoryLink observer(final FrameObserver observer)
    {
        this.observer = observer;
        return this;
    }

    /** The earliest delivery time of any frame in flight, or {@code Long.MAX_VALUE}. */
    public long nextDeliveryNs()
    {
        return Math.min(aToB.headDeliveryNs(), bToA.headDeliveryNs());
    }

    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    private static final class Direction
    {
        final int slots;
        final int slotSize;
        final UnsafeBuffer buffer;
        final int[] lengths;
        final long[] deliverAtNs;
        final AtomicLong head = new AtomicLong();
        final AtomicLong tail = new AtomicLong();
        long claimedTail = -1;

        Direction(final int slots, final int maxFrameLength)
        {
            this.slots = slots;
            this.slotSize = BitUtil.align(maxFrameLength, 64);
            this.buffer = new UnsafeBuffer(new byte[slots * slotSize]);
            this.lengths = new int[slots];
            this.deliverAtNs = new long[slots];
        }

        long headDeliveryNs()
        {
            final long h = head.getAcquire();
            return h < tail.getAcquire() ? deliverAtNs[(int)(h % slots)] : Long.MAX_VALUE;
        }
    }

    private final class End implements FrameDevice
    {
        private final Direction in;
        private final Direction out;
        private final boolean isA;

        End(final Direction in, final Direction out, final boolean isA)
        {
            this.in = in;
            this.out = out;
            this.isA = isA;
        }

        @Override
        public int receive(final long nowNs, final FrameHandler handler, final int limit)
        {
            int count = 0;
            long h = in.head.getPlain();
            final long t = in.tail.getAcquire();
            while (count < limit && h < t)
            {
                final int slot = (int)(h % in.slots);
                if (in.deliverAtNs[slot] > nowNs)
                {
                    break;
                }
                handler.onFrame(in.buffer, slot * in.slotSize, in.lengths[slot], nowNs);
                h++;
                in.head.setRelease(h);
                count++;
            }
            return count;
        }

        @Override
        public int claim(final int length)
        {
            if (length > maxFrameLength || length < 0 || out.claimedTail >= 0)
            {
                return -1;
            }
            final long t = out.tail.getPlain();
            if (t - out.head.getAcquire() >= out.slots)
            {
                return -1;
            }
            final int slot = (int)(t % out.slots);
            out.lengths[slot] = length;
            out.claimedTail = t;
            return slot * out.slotSize;
        }

        @Override
        public MutableDirectBuffer transmitBuffer()
        {
            return out.buffer;
        }

        @Override
        public void commit(final int offset)
        {
            final long t = out.claimedTail;
            if (t < 0)
            {
                throw new IllegalStateException("commit without claim");
            }
            final int slot = (int)(t % out.slots);
            final long nowNs = clock.nanoTime();
            out.deliverAtNs[slot] = nowNs + latencyNs;
            out.claimedTail = -1;
            final FrameObserver obs = observer;
            if (obs != null)
            {
                obs.onFrame(isA, out.buffer, offset, out.lengths[slot], nowNs);
            }
            out.tail.setRelease(t + 1);
        }

        @Override
        public void abort(final int offset)
        {
            out.claimedTail = -1;
        }

        @Override
        public int maxFrameLength()
        {
            return maxFrameLength;
        }

        @Override
        public long nextDeadlineNs()
        {
            return in.headDeliveryNs();
        }
    }
}
