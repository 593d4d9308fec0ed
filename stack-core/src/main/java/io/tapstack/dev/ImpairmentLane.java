package io.tapstack.dev;

import io.tapstack.time.RandomSource;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One direction of an {@link ImpairedDevice}: its impairments, its token bucket and queue
 * ({@link TokenBucketQueue}), its Gilbert-Elliott state, its store of delayed frames (a min-heap on due time, ties
 * in arrival order), its one held-back frame, and its counts. Frames leave through the {@link Emitter} it was
 * given: to the stack's receive handler, or into the wrapped device. {@link Impairment} says in which order the
 * stages apply.
 *
 * <p>All storage is allocated in the constructor, or for the token bucket's queue when a rate is set; nothing here
 * allocates per frame. Owned by the stack thread.
 */
public final class ImpairmentLane
{
    /** Emits one frame onward: to the receive handler, or into the wrapped device. */
    @FunctionalInterface
    interface Emitter
    {
        void emit(MutableDirectBuffer buffer, int offset, int length, long nowNs);
    }

    private final RandomSource random;
    private final Emitter emitter;
    private Impairment impairment;
    private final TokenBucketQueue bucket;
    /** Where frames go as they leave the bucket: the stages after it (stored once, no lambda per frame). */
    private final Emitter afterBucket = this::leaveBucket;
    /** The Gilbert-Elliott chain's state. */
    private boolean bad;

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
    private long burstDropped;
    private long badStateFrames;
    private long corrupted;
    private long duplicated;
    private long delayed;
    private long reordered;
    private long overflowed;
    long deviceFull;

    ImpairmentLane(final RandomSource random, final Impairment impairment, final int storeFrames,
        final int maxFrame, final Emitter emitter)
    {
        this.random = random;
        this.emitter = emitter;
        this.bucket = new TokenBucketQueue(maxFrame);
        impairment(impairment);
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

    /** Takes {@code impairment} from now on (frames already queued, delayed or held keep their places). */
    void impairment(final Impairment impairment)
    {
        this.impairment = impairment;
        bucket.configure(impairment.rate());
    }

    /** The impairments of this direction now. */
    public Impairment impairment()
    {
        return impairment;
    }

    boolean isPassThrough()
    {
        return heapSize == 0 && heldLength < 0 && bucket.isEmpty() && impairment.isNone();
    }

    /** One frame into this direction at {@code nowNs}: first the token bucket, if there is one. */
    void offer(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        if (!impairment.rate().isNone() || !bucket.isEmpty())
        {
            if (bucket.offer(buffer, offset, length, nowNs) != TokenBucketQueue.SENT)
            {
                return;
            }
        }
        leaveBucket(buffer, offset, length, nowNs);
    }

    /** The stages after the bucket: loss, burst loss, duplication, then each copy on to {@link #admit}. */
    private void leaveBucket(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        final Impairment imp = impairment;
        if (roll(imp.loss()))
        {
            dropped++;
            return;
        }
        if (burstLoss(imp.gilbertElliott()))
        {
            dropped++;
            burstDropped++;
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

    /** One step of the Gilbert-Elliott chain, then the loss draw of the state it is in (netem's order). */
    private boolean burstLoss(final GilbertElliott ge)
    {
        if (ge.isNone())
        {
            return false;
        }
        if (bad ? roll(ge.r()) : roll(ge.p()))
        {
            bad = !bad;
        }
        if (bad)
        {
            badStateFrames++;
        }
        return roll(bad ? ge.lossInBad() : ge.lossInGood());
    }

    /** Flips one bit, chosen uniformly among the frame's bits (Ethernet header included: there is no FCS). */
    private void corrupt(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        final int bit = random.nextInt(length * 8);
        final int at = offset + (bit >>> 3);
        buffer.putByte(at, (byte)(buffer.getByte(at) ^ (1 << (bit & 7))));
        corrupted++;
    }

    private void admit(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs,
        final Impairment imp)
    {
        if (length > 0 && roll(imp.corrupt()))
        {
            corrupt(buffer, offset, length);
        }
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

    /**
     * Sends on up to {@code limit} frames whose time has come: from the bucket (on through the later stages),
     * delayed ones, and a held frame whose hold has run out.
     */
    int release(final long nowNs, final int limit)
    {
        int count = bucket.isEmpty() ? 0 : bucket.release(nowNs, limit, afterBucket);
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

    /** When the next queued, delayed or held frame is due, or {@code Long.MAX_VALUE}. */
    long nextDueNs()
    {
        long next = Math.min(bucket.nextDueNs(), heapSize > 0 ? dueNs[heap[0]] : Long.MAX_VALUE);
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

    /** Frames lost by the loss models: random loss and Gilbert-Elliott burst loss. */
    public long dropped()
    {
        return dropped;
    }

    /** The part of {@link #dropped()} that Gilbert-Elliott burst loss chose. */
    public long burstDropped()
    {
        return burstDropped;
    }

    /** Frames that met the Gilbert-Elliott chain in its bad state (lost or not). */
    public long badStateFrames()
    {
        return badStateFrames;
    }

    /** Frame copies with one bit flipped. */
    public long corrupted()
    {
        return corrupted;
    }

    /** Frames that waited in the token bucket's queue for tokens. */
    public long rateQueued()
    {
        return bucket.queued();
    }

    /** Frames the token bucket dropped: its queue was full, or the frame was longer than the bucket. */
    public long rateDropped()
    {
        return bucket.queueDropped() + bucket.oversizeDropped();
    }

    /** The part of {@link #rateDropped()} that was longer than the bucket and could never have left. */
    public long rateOversizeDropped()
    {
        return bucket.oversizeDropped();
    }

    /** Bytes of the frames in the token bucket's queue now (what its limit counts). */
    public int rateQueuedBytes()
    {
        return bucket.queuedBytes();
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

    /** Frames waiting now (queued for tokens, delayed, and the held one). */
    public int stored()
    {
        return bucket.frames() + heapSize + (heldLength >= 0 ? 1 : 0);
    }
}
