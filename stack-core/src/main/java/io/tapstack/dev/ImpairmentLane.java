package io.tapstack.dev;

import io.tapstack.time.RandomSource;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One direction of an {@link ImpairedDevice}: its impairments, its store of delayed frames (a min-heap on due
 * time, ties in arrival order), its one held-back frame, and its counts. Frames leave through the
 * {@link Emitter} it was given: to the stack's receive handler, or into the wrapped device.
 *
 * <p>All storage is allocated in the constructor; nothing here allocates per frame. Owned by the stack thread.
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

    ImpairmentLane(final RandomSource random, final Impairment impairment, final int storeFrames,
        final int maxFrame, final Emitter emitter)
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
