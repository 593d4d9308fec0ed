package io.tapstack.dev;

import io.tapstack.time.RandomSource;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Wraps a device and impairs each direction with seeded randomness, like Linux netem behind a tbf: a rate limit
 * with a bounded queue, loss (random and Gilbert-Elliott bursts), duplication, corruption, delay with jitter, and
 * reordering (see {@link Impairment} for what each does and in which order). The same
 * seed gives the same impairments for the same frames at the same times; the two directions draw from
 * independent streams, so the impairments of one direction do not depend on the traffic of the other. Counts
 * what it did, per direction ({@link #receiveStats()}, {@link #transmitStats()}) and in total.
 *
 * <p>Each direction is an {@link ImpairmentLane}. Delayed and held-back frames are copied into a bounded store
 * preallocated at construction (no allocation per frame); a frame that finds the store full is dropped and
 * counted as {@link ImpairmentLane#overflowed()}. Frames waiting for the rate limit's tokens are copied into its
 * queue, allocated when a rate is set. Received frames are released by {@link #receive}. Transmitted
 * frames are released into the wrapped device by the next {@link #receive} call at or after their due time, and
 * {@link #nextDeadlineNs()} reports that time so a simulator jumps to it. It reads no clock: the time a
 * transmitted frame was sent is the time of the last {@link #receive} call (the start of the stack's duty
 * cycle).
 *
 * <p>Owned by the stack thread.
 */
public final class ImpairedDevice extends ForwardingDevice
{
    /** Delayed or held-back frames each direction can hold by default. */
    public static final int DEFAULT_STORE_FRAMES = 256;

    private final ImpairmentLane rx;
    private final ImpairmentLane tx;
    private final UnsafeBuffer txScratch;

    /**
     * Loss and duplication only, the same in both directions.
     *
     * @param lossProbability      chance in [0, 1] that a frame, received or sent, is dropped
     * @param duplicateProbability chance in [0, 1] that a frame that was not dropped is delivered twice
     */
    public ImpairedDevice(final FrameDevice inner, final long seed, final double lossProbability,
        final double duplicateProbability)
    {
        this(inner, seed, Impairment.NONE.withLoss(lossProbability).withDuplicate(duplicateProbability));
    }

    /** The same impairment in both directions. */
    public ImpairedDevice(final FrameDevice inner, final long seed, final Impairment both)
    {
        this(inner, seed, both, both, DEFAULT_STORE_FRAMES);
    }

    /**
     * @param receive     what happens to frames coming in from {@code inner}
     * @param transmit    what happens to frames sent through this device
     * @param storeFrames delayed or held-back frames each direction can hold
     */
    public ImpairedDevice(final FrameDevice inner, final long seed, final Impairment receive,
        final Impairment transmit, final int storeFrames)
    {
        super(inner);
        if (storeFrames <= 0)
        {
            throw new IllegalArgumentException("storeFrames must be > 0");
        }
        final RandomSource root = new RandomSource(seed);
        final int maxFrame = inner.maxFrameLength();
        this.rx = new ImpairmentLane(root.split(), receive, storeFrames, maxFrame, this::deliver);
        this.tx = new ImpairmentLane(root.split(), transmit, storeFrames, maxFrame, this::send);
        this.txScratch = new UnsafeBuffer(new byte[maxFrame]);
    }

    public static Builder builder(final FrameDevice inner)
    {
        return new Builder(inner);
    }

    // ------------------------------------------------------------------------------------------------ receive

    /** Due transmitted frames into the wrapped device, then due received frames, then the wrapped device's. */
    @Override
    protected int onReceive(final long nowNs, final int limit)
    {
        final int sent = tx.release(nowNs, limit);
        int delivered = rx.release(nowNs, limit);
        if (delivered < limit)
        {
            delivered += inner.receive(nowNs, this, limit - delivered);
        }
        return sent + delivered;
    }

    /** A frame from the wrapped device: through the receive impairments. */
    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        rx.offer(buffer, offset, length, nowNs);
    }

    /**
     * A frame from a wrapped device that offloads checksums. Only when nothing impairs received frames does the
     * device's word on its checksum pass on: a corrupted, delayed or reordered frame is verified by the stack (so a
     * partial checksum is then dropped: run impairments on a device without offloads).
     */
    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final int checksumState,
        final long nowNs)
    {
        if (rx.isPassThrough())
        {
            super.onFrame(buffer, offset, length, checksumState, nowNs);
        }
        else
        {
            rx.offer(buffer, offset, length, nowNs);
        }
    }

    // ------------------------------------------------------------------------------------------------ transmit

    @Override
    public void commit(final int offset)
    {
        if (tx.isPassThrough())
        {
            inner.commit(offset);
            return;
        }
        // the frame goes through the impairments from a copy: the wrapped slot is given back, and every frame
        // that goes out (now or later, once or twice) claims a slot of its own
        final int length = claimedLength();
        txScratch.putBytes(0, inner.transmitBuffer(), offset, length);
        inner.abort(offset);
        tx.offer(txScratch, 0, length, cycleNs());
    }

    private void send(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        final int slot = inner.claim(length);
        if (slot < 0)
        {
            tx.deviceFull++;
            return;
        }
        inner.transmitBuffer().putBytes(slot, buffer, offset, length);
        inner.commit(slot);
    }

    @Override
    public long nextDeadlineNs()
    {
        return Math.min(inner.nextDeadlineNs(), Math.min(rx.nextDueNs(), tx.nextDueNs()));
    }

    /** Never: a corrupted frame needs a complete checksum for the receiver to catch it (the inner is not asked). */
    @Override
    public boolean offloadTcpChecksums()
    {
        return false;
    }

    // ------------------------------------------------------------------------------------------------ settings

    /** Changes the receive impairments from now on (frames already delayed or held keep their times). */
    public ImpairedDevice receiveImpairment(final Impairment impairment)
    {
        rx.impairment(impairment);
        return this;
    }

    /** Changes the transmit impairments from now on (frames already delayed or held keep their times). */
    public ImpairedDevice transmitImpairment(final Impairment impairment)
    {
        tx.impairment(impairment);
        return this;
    }

    public Impairment receiveImpairment()
    {
        return rx.impairment();
    }

    public Impairment transmitImpairment()
    {
        return tx.impairment();
    }

    // ------------------------------------------------------------------------------------------------ counts

    /** What was done to received frames. */
    public ImpairmentLane receiveStats()
    {
        return rx;
    }

    /** What was done to transmitted frames. */
    public ImpairmentLane transmitStats()
    {
        return tx;
    }

    /** Frames the loss models (random and Gilbert-Elliott) dropped in both directions. */
    public long framesDropped()
    {
        return rx.dropped() + tx.dropped();
    }

    /** Frame copies with a bit flipped, both directions. */
    public long framesCorrupted()
    {
        return rx.corrupted() + tx.corrupted();
    }

    /** Frames the rate limits dropped (queue full, or longer than the bucket), both directions. */
    public long framesRateDropped()
    {
        return rx.rateDropped() + tx.rateDropped();
    }

    public long framesDuplicated()
    {
        return rx.duplicated() + tx.duplicated();
    }

    /** Frames that were overtaken by a later frame because they were held back. */
    public long framesReordered()
    {
        return rx.reordered() + tx.reordered();
    }

    /** Frame copies that were delayed (a duplicated frame counts twice). */
    public long framesDelayed()
    {
        return rx.delayed() + tx.delayed();
    }

    /** Frames dropped because the delay store was full. */
    public long framesOverflowed()
    {
        return rx.overflowed() + tx.overflowed();
    }

    /** Frames, queued for tokens, delayed or held, waiting in either direction. */
    public int framesStored()
    {
        return rx.stored() + tx.stored();
    }

    // ------------------------------------------------------------------------------------------------ builder

    /** Fluent construction: {@code ImpairedDevice.builder(dev).seed(7).both(Impairment.NONE.withLoss(.1)).build()}. */
    public static final class Builder
    {
        private final FrameDevice inner;
        private long seed;
        private Impairment receive = Impairment.NONE;
        private Impairment transmit = Impairment.NONE;
        private int storeFrames = DEFAULT_STORE_FRAMES;

        Builder(final FrameDevice inner)
        {
            this.inner = inner;
        }

        public Builder seed(final long seed)
        {
            this.seed = seed;
            return this;
        }

        public Builder receive(final Impairment impairment)
        {
            this.receive = impairment;
            return this;
        }

        public Builder transmit(final Impairment impairment)
        {
            this.transmit = impairment;
            return this;
        }

        public Builder both(final Impairment impairment)
        {
            this.receive = impairment;
            this.transmit = impairment;
            return this;
        }

        /** Delayed or held-back frames each direction can hold. */
        public Builder storeFrames(final int frames)
        {
            this.storeFrames = frames;
            return this;
        }

        public ImpairedDevice build()
        {
            return new ImpairedDevice(inner, seed, receive, transmit, storeFrames);
        }
    }
}
