package io.tapstack.dev;

import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.TcpHeader;
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
 *
 * <p>{@link #offloading} models a link between two devices that offload TCP segmentation and checksums, as two
 * virtio-net guests on one host: each end glues the TCP segments its stack sends in one duty cycle into
 * super-frames of up to 64 KiB ({@link TcpSegmentCoalescer}), the link carries them whole, and the other end
 * delivers them as they are, with their checksum partial ({@link FrameHandler#CHECKSUM_PARTIAL}), as a TAP
 * delivers the kernel's GRO and TSO super-frames. Each end also offloads the TCP checksum of the segments it sends
 * alone ({@link FrameDevice#offloadTcpChecksums}): the stack writes the pseudo-header sum, and the end completes
 * it, as the kernel completes a {@code NEEDS_CSUM} frame, before the link carries it; so ordinary frames arrive
 * with complete checksums, which the receiving stack verifies (a wrong partial sum is caught there). An impaired
 * device in front of such an end sees super-frames and refuses the checksum offload; run impairments without
 * offloads.
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
        this(clock, latencyNs, slots, maxFrameLength, false);
    }

    private MemoryLink(final NanoClock clock, final long latencyNs, final int slots, final int maxFrameLength,
        final boolean offloads)
    {
        this.clock = clock;
        this.latencyNs = latencyNs;
        this.maxFrameLength = maxFrameLength;
        final int slotSize = offloads ? EthernetFrame.HEADER_LENGTH + TcpSegmentCoalescer.MAX_DATAGRAM_LENGTH
            : maxFrameLength;
        this.aToB = new Direction(slots, slotSize);
        this.bToA = new Direction(slots, slotSize);
        this.endA = new End(bToA, aToB, true, offloads);
        this.endB = new End(aToB, bToA, false, offloads);
    }

    /**
     * A link whose ends offload TCP segmentation and checksums (the class comment says how). Each slot holds a
     * 64 KiB super-frame: {@code slots} of about 64 KiB are allocated per direction.
     *
     * @param maxFrameLength the largest frame a stack may claim (MTU + 14), as on a link without offloads
     */
    public static MemoryLink offloading(final NanoClock clock, final long latencyNs, final int slots,
        final int maxFrameLength)
    {
        return new MemoryLink(clock, latencyNs, slots, maxFrameLength, true);
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
        /** What the receiving end tells its stack of each frame's checksum (FrameHandler.CHECKSUM_*). */
        final int[] checksumStates;
        final long[] deliverAtNs;
        final AtomicLong head = new AtomicLong();
        final AtomicLong tail = new AtomicLong();
        long claimedTail = -1;

        Direction(final int slots, final int maxFrameLength)
        {
            this.slots = slots;
            this.slotSize = BitUtil.align(maxFrameLength, 64);
            this.buffer = new UnsafeBuffer(new byte[Math.multiplyExact(slots, slotSize)]);
            this.lengths = new int[slots];
            this.checksumStates = new int[slots];
            this.deliverAtNs = new long[slots];
        }

        long headDeliveryNs()
        {
            final long h = head.getAcquire();
            return h < tail.getAcquire() ? deliverAtNs[(int)(h % slots)] : Long.MAX_VALUE;
        }
    }

    private final class End implements FrameDevice, TcpSegmentCoalescer.Sink
    {
        private final Direction in;
        private final Direction out;
        private final boolean isA;
        /** Glues TCP segments into super-frames on an offloading link; null on an ordinary one. */
        private final TcpSegmentCoalescer coalescer;

        End(final Direction in, final Direction out, final boolean isA, final boolean offloads)
        {
            this.in = in;
            this.out = out;
            this.isA = isA;
            this.coalescer = offloads ? new TcpSegmentCoalescer(this, EthernetFrame.HEADER_LENGTH, maxFrameLength,
                TcpSegmentCoalescer.MAX_DATAGRAM_LENGTH) : null;
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
                final int state = in.checksumStates[slot];
                if (state == FrameHandler.CHECKSUM_UNVERIFIED)
                {
                    handler.onFrame(in.buffer, slot * in.slotSize, in.lengths[slot], nowNs);
                }
                else
                {
                    handler.onFrame(in.buffer, slot * in.slotSize, in.lengths[slot], state, nowNs);
                }
                h++;
                in.head.setRelease(h);
                count++;
            }
            return count;
        }

        @Override
        public int claim(final int length)
        {
            return coalescer != null ? coalescer.claim(length) : length > maxFrameLength ? -1 : claimSlot(length);
        }

        private int claimSlot(final int length)
        {
            if (length > out.slotSize || length < 0 || out.claimedTail >= 0)
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
            out.checksumStates[slot] = FrameHandler.CHECKSUM_UNVERIFIED;
            out.claimedTail = t;
            return slot * out.slotSize;
        }

        @Override
        public MutableDirectBuffer transmitBuffer()
        {
            return coalescer != null ? coalescer.buffer() : out.buffer;
        }

        @Override
        public void commit(final int offset)
        {
            if (coalescer != null)
            {
                coalescer.commit(offset);
            }
            else
            {
                commitSlot(offset);
            }
        }

        private void commitSlot(final int offset)
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

        /** A frame or super-frame from the coalescer onto the link. */
        @Override
        public boolean send(final UnsafeBuffer buffer, final int offset, final int length, final int gsoSize,
            final int headerLength, final int checksumStart)
        {
            final int slotOffset = claimSlot(length);
            if (slotOffset < 0)
            {
                return false; // the link is full: dropped, as a device queue drops
            }
            out.buffer.putBytes(slotOffset, buffer, offset, length);
            if (gsoSize > 0)
            {
                out.checksumStates[(int)(out.claimedTail % out.slots)] = FrameHandler.CHECKSUM_PARTIAL;
            }
            else if (checksumStart > 0)
            {
                // NEEDS_CSUM on a segment alone: completed here, as the kernel would, so the peer verifies it
                Checksum.completePartial(out.buffer, slotOffset + checksumStart, length - checksumStart,
                    TcpHeader.CHECKSUM_OFFSET);
            }
            commitSlot(slotOffset);
            return true;
        }

        @Override
        public void abort(final int offset)
        {
            if (coalescer != null)
            {
                coalescer.abort(offset);
            }
            else
            {
                out.claimedTail = -1;
            }
        }

        @Override
        public void flush()
        {
            if (coalescer != null)
            {
                coalescer.flush();
            }
        }

        @Override
        public int maxFrameLength()
        {
            return maxFrameLength;
        }

        /** Yes on an offloading link: the coalescer then hands over every TCP segment marked partial. */
        @Override
        public boolean offloadTcpChecksums()
        {
            if (coalescer == null)
            {
                return false;
            }
            coalescer.partialTcpChecksums(true);
            return true;
        }

        @Override
        public long nextDeadlineNs()
        {
            // a super-frame still gathering goes at the end of the next duty cycle: have one run now
            return coalescer != null && coalescer.hasPending() ? 0 : in.headDeliveryNs();
        }
    }

    /** The coalescer of end A or B on an offloading link (for its counters), or null on an ordinary link. */
    public TcpSegmentCoalescer coalescer(final boolean endA)
    {
        return (endA ? this.endA : this.endB).coalescer;
    }
}
