package io.tapstack.dev;

import io.tapstack.time.RandomSource;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Wraps a device and impairs each direction with seeded randomness, like Linux netem: loss, duplication,
 * delay with jitter, and reordering (see {@link Impairment} for what each does and in which order). The same
 * seed gives the same impairments for the same frames at the same times; the two directions draw from
 * independent streams, so the impairments of one direction do not depend on the traffic of the other. Counts
 * what it did, per direction ({@link #receiveStats()}, {@link #transmitStats()}) and in total.
 *
 * <p>Delayed and held-back frames are copied into a bounded store preallocated at construction (no allocation
 * per frame); a frame that finds the store full is dropped and counted as {@link Lane#overflowed()}. Received
 * frames are released by {@link #receive}. Transmitted frames are released into the wrapped device by the next
 * {@link #receive} call at or after their due time, and {@link #nextDeadlineNs()} reports that time so a
 * simulator jumps to it. The time a transmitted frame was sent is the clock's when one is given, else the time
 * of the last {@link #receive} call (the start of the stack's duty cycle).
 *
 * <p>Owned by the stack thread.
 */
public final class ImpairedDevice implements FrameDevice, FrameHandler
{
    /** Delayed or held-back frames each direction can hold by default. */
    public static final int DEFAULT_STORE_FRAMES = 256;

    /** Emits one frame onward: to the receive handler, or into the wrapped device. */
    @FunctionalInterface
    interface Emitter
    {
        void emit(MutableDirectBuffer buffer, int offset, int length, long nowNs);
    }

    private final FrameDevice inner;
    private final NanoClock clock;
    private final Lane rx;
    private final Lane tx;
    private final UnsafeBuffer txScratch;
    private FrameHandler downstream;
    private long lastNowNs;
    private int claimedLength;

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
        this(inner, seed, both, both, DEFAULT_STORE_FRAMES, null);
    }

    /**
     * @param receive     what happens to frames coming in from {@code inner}
     * @param transmit    what happens to frames sent through this device
     * @param storeFrames delayed or held-back frames each direction can hold
     * @param clock       stamps transmitted frames; null to use the time of the last {@link #receive}
     */
    public ImpairedDevice(final FrameDevice inner, final long seed, final Impairment receive,
        final Impairment transmit, final int storeFrames, final NanoClock clock)
    {
        if (storeFrames <= 0)
        {
            throw new IllegalArgumentException("storeFrames must be > 0");
        }
        this.inner = inner;
        this.clock = clock;
        final RandomSource root = new RandomSource(seed);
        final int maxFrame = inner.maxFrameLength();
        this.rx = new Lane(root.split(), receive, storeFrames, maxFrame, this::deliver);
        this.tx = new Lane(root.split(), transmit, storeFrames, maxFrame, this::send);
        this.txScratch = new UnsafeBuffer(new byte[maxFrame]);
    }

    public static Builder builder(final FrameDevice inner)
    {
        return new Builder(inner);
    }

    // ------------------------------------------------------------------------------------------------ receive

    @Override
    public int receive(final long nowNs, final FrameHandler handler, final int limit)
    {
        lastNowNs = nowNs;
        downstream = handler;
        try
        {
            final int sent = tx.release(nowNs, limit);
            int delivered = rx.release(nowNs, limit);
            if (delivered < limit)
            {
                delivered += inner.receive(nowNs, this, limit - delivered);
            }
            return sent + delivered;
        }
        finally
        {
            downstream = null;
        }
    }

    /** A frame from the wrapped device: through the receive impairments. */
    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        rx.offer(buffer, offset, length, nowNs);
    }

    private void deliver(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        downstream.onFrame(buffer, offset, length, nowNs);
    }

    // ------------------------------------------------------------------------------------------------ transmit

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
        if (tx.isPassThrough())
        {
            inner.commit(offset);
            return;
        }
        // the frame goes through the impairments from a copy: the wrapped slot is given back, and every frame
        // that goes out (now or later, once or twice) claims a slot of its own
        final int length = claimedLength;
        txScratch.putBytes(0, inner.transmitBuffer(), offset, length);
        inner.abort(offset);
        tx.offer(txScratch, 0, length, clock != null ? clock.nanoTime() : lastNowNs);
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
        return Math.min(inner.nextDeadlineNs(), Math.min(rx.nextDueNs(), tx.nextDueNs()));
    }

    @Override
    public void close()
    {
        inner.close();
    }

    // ------------------------------------------------------------------------------------------------ settings

    /** Changes the receive impairments from now on (frames already delayed or held keep their times). */
    public ImpairedDevice receiveImpairment(final Impairment impairment)
    {
        rx.impairment = impairment;
        return this;
    }

    /** Changes the transmit impairments from now on (frames already delayed or held keep their times). */
    public ImpairedDevice transmitImpairment(final Impairment impairment)
    {
        tx.impairment = impairment;
        return this;
    }

    public Impairment receiveImpairment()
    {
        return rx.impairment;
    }

    public Impairment transmitImpairment()
    {
        return tx.impairment;
    }

    // ------------------------------------------------------------------------------------------------ counts

    /** What was done to received frames. */
    public Lane receiveStats()
    {
        return rx;
    }

    /** What was done to transmitted frames. */
    public Lane transmitStats()
    {
        return tx;
    }

    /** Frames dropped in both directions. */
    public long framesDropped()
    {
        return rx.dropped + tx.dropped;
    }

    public long framesDuplicated()
    {
        return rx.duplicated + tx.duplicated;
    }

    /** Frames that were overtaken by a later frame because they were held back. */
    public long framesReordered()
    {
        return rx.reordered + tx.reordered;
    }

    /** Frame copies that were delayed (a duplicated frame counts twice). */
    public long framesDelayed()
    {
        return rx.delayed + tx.delayed;
    }

    /** Frames dropped because the delay store was full. */
    public long framesOverflowed()
    {
        return rx.overflowed + tx.overflowed;
    }

    /** Frames, delayed or held, waiting in either direction. */
    public int framesStored()
    {
        return rx.stored() + tx.stored();
    }

    // ------------------------------------------------------------------------------------------------ lane

    /**
     * One direction's impairments, its store of delayed frames (a min-heap on due time, ties in arrival order)
     * and its one held-back frame, and its counts. Owned by the stack thread.
     */
    public static final class Lane
    {
        private final RandomSource random;
        private final Emitter emitter;
        Impairment impairment;

        private final int slotSize;
        private final UnsafeBuffer store;
        private final int[] lengths;
        private final long[] dueNs;
        private final long[] arrival;
        private final int[] heap;
        private int heapSize;
        private final int[] free;
        private int freeCount;
        private long arrivals;

        private final UnsafeBuffer held;
        /** Length of the held-back frame, -1 when none is held. */
        private int heldLength = -1;
        private long heldDueNs;
        private final UnsafeBuffer duplicate;

        private long passed;
        private long dropped;
        private long duplicated;
        private long delayed;
        private long reordered;
        private long overflowed;
        long deviceFull;

        Lane(final RandomSource random, final Impairment impairment, final int storeFrames, final int maxFrame,
            final Emitter emitter)
        {
            this.random = random;
            this.impairment = impairment;
            this.emitter = emitter;
            this.slotSize = BitUtil.align(maxFrame, 64);
            this.store = new UnsafeBuffer(new byte[storeFrames * slotSize]);
            this.lengths = new int[storeFrames];
            this.dueNs = new long[storeFrames];
            this.arrival = new long[storeFrames];
            this.heap = new int[storeFrames];
            this.free = new int[storeFrames];
            for (int i = 0; i < storeFrames; i++)
            {
                free[i] = storeFrames - 1 - i;
            }
            this.freeCount = storeFrames;
            this.held = new UnsafeBuffer(new byte[maxFrame]);
            this.duplicate = new UnsafeBuffer(new byte[maxFrame]);
        }

        boolean isPassThrough()
        {
            return heapSize == 0 && heldLength < 0 && impairment.isNone();
        }

        /** One frame into this direction at {@code nowNs}. */
        void offer(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
        {
            final Impairment imp = impairment;
            if (roll(imp.loss()))
            {
                dropped++;
                return;
            }
            final boolean twice = roll(imp.duplicate());
            if (twice)
            {
                // the receiver may write into the frame it is handed: the second copy comes from our own bytes
                duplicated++;
                duplicate.putBytes(0, buffer, offset, length);
            }
            admit(buffer, offset, length, nowNs, imp);
            if (twice)
            {
                admit(duplicate, 0, length, nowNs, imp);
            }
        }

        private void admit(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs,
            final Impairment imp)
        {
            long delay = imp.delayNs();
            if (imp.jitterNs() > 0)
            {
                delay += (long)(random.nextDouble() * (imp.jitterNs() + 1));
            }
            if (delay > 0)
            {
                if (freeCount == 0)
                {
                    overflowed++;
                    return;
                }
                final int slot = free[--freeCount];
                store.putBytes(slot * slotSize, buffer, offset, length);
                lengths[slot] = length;
                dueNs[slot] = nowNs + delay;
                arrival[slot] = arrivals++;
                heapPush(slot);
                delayed++;
                return;
            }
            reorderStage(buffer, offset, length, nowNs, imp);
        }

        private void reorderStage(final MutableDirectBuffer buffer, final int offset, final int length,
            final long nowNs, final Impairment imp)
        {
            if (heldLength < 0 && roll(imp.reorder()))
            {
                held.putBytes(0, buffer, offset, length);
                heldLength = length;
                heldDueNs = nowNs + imp.reorderHoldNs();
                return;
            }
            passed++;
            emitter.emit(buffer, offset, length, nowNs);
            if (heldLength >= 0)
            {
                // the held frame goes right behind the one that overtook it
                final int heldLen = heldLength;
                heldLength = -1;
                reordered++;
                passed++;
                emitter.emit(held, 0, heldLen, nowNs);
            }
        }

        /** Sends on up to {@code limit} delayed frames that are due, and a held frame whose hold has run out. */
        int release(final long nowNs, final int limit)
        {
            int count = 0;
            while (heapSize > 0 && count < limit)
            {
                final int slot = heap[0];
                if (dueNs[slot] > nowNs)
                {
                    break;
                }
                heapPop();
                count++;
                reorderStage(store, slot * slotSize, lengths[slot], nowNs, impairment);
                free[freeCount++] = slot;
            }
            if (heldLength >= 0 && heldDueNs <= nowNs)
            {
                final int heldLen = heldLength;
                heldLength = -1;
                count++;
                passed++;
                emitter.emit(held, 0, heldLen, nowNs);
            }
            return count;
        }

        /** When the next delayed or held frame is due, or {@code Long.MAX_VALUE}. */
        long nextDueNs()
        {
            long next = heapSize > 0 ? dueNs[heap[0]] : Long.MAX_VALUE;
            if (heldLength >= 0)
            {
                next = Math.min(next, heldDueNs);
            }
            return next;
        }

        private boolean roll(final double probability)
        {
            return probability > 0 && random.nextDouble() < probability;
        }

        private boolean before(final int a, final int b)
        {
            return dueNs[a] < dueNs[b] || dueNs[a] == dueNs[b] && arrival[a] < arrival[b];
        }

        private void heapPush(final int slot)
        {
            int i = heapSize++;
            while (i > 0)
            {
                final int parent = (i - 1) >>> 1;
                if (!before(slot, heap[parent]))
                {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = slot;
        }

        private void heapPop()
        {
            final int last = heap[--heapSize];
            int i = 0;
            while (true)
            {
                final int left = 2 * i + 1;
                if (left >= heapSize)
                {
                    break;
                }
                final int right = left + 1;
                final int child = right < heapSize && before(heap[right], heap[left]) ? right : left;
                if (!before(heap[child], last))
                {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            if (heapSize > 0)
            {
                heap[i] = last;
            }
        }

        /** Frames sent on (to the handler or the wrapped device), duplicates included. */
        public long passed()
        {
            return passed;
        }

        public long dropped()
        {
            return dropped;
        }

        public long duplicated()
        {
            return duplicated;
        }

        /** Frame copies put in the delay store. */
        public long delayed()
        {
            return delayed;
        }

        /** Held-back frames that a later frame overtook. */
        public long reordered()
        {
            return reordered;
        }

        /** Frames dropped because the delay store was full. */
        public long overflowed()
        {
            return overflowed;
        }

        /** Transmitted frames dropped because the wrapped device had no room when they were due. */
        public long deviceFull()
        {
            return deviceFull;
        }

        /** Frames waiting now (delayed, and the held one). */
        public int stored()
        {
            return heapSize + (heldLength >= 0 ? 1 : 0);
        }
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
        private NanoClock clock;

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

        /** The clock that stamps transmitted frames (else the time of the last receive call). */
        public Builder clock(final NanoClock clock)
        {
            this.clock = clock;
            return this;
        }

        public ImpairedDevice build()
        {
            return new ImpairedDevice(inner, seed, receive, transmit, storeFrames, clock);
        }
    }
}
