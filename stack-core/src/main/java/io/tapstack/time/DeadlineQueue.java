package io.tapstack.time;

import java.util.Arrays;

/**
 * Deadlines of numbered timers, earliest first: an indexed binary min-heap over primitive arrays. Scheduling,
 * moving and cancelling a timer cost O(log n); the earliest deadline is read in O(1), so a duty cycle with nothing
 * due costs the same with 10 timers or 10,000, and a simulation can jump straight to the next deadline (a hashed
 * wheel would need a scan for that). Ids are small integers handed out by the owner (e.g. a connection's slot);
 * the arrays grow when an id beyond them is first used, never per operation. Owned by the stack thread.
 */
public final class DeadlineQueue
{
    /** The deadline of an empty queue. */
    public static final long NONE = Long.MAX_VALUE;
    private static final int ABSENT = -1;

    /** heap[i] is an id; the heap is ordered by deadlineOf[id]. */
    private int[] heap;
    /** positionOf[id] is the id's index in heap, or ABSENT. */
    private int[] positionOf;
    private long[] deadlineOf;
    private int size;

    public DeadlineQueue(final int initialCapacity)
    {
        final int capacity = Math.max(1, initialCapacity);
        heap = new int[capacity];
        positionOf = new int[capacity];
        deadlineOf = new long[capacity];
        Arrays.fill(positionOf, ABSENT);
    }

    public int size()
    {
        return size;
    }

    public boolean isEmpty()
    {
        return size == 0;
    }

    /** The earliest deadline, or {@link #NONE} when no timer is scheduled. */
    public long nextDeadlineNs()
    {
        return size == 0 ? NONE : deadlineOf[heap[0]];
    }

    /** The id with the earliest deadline; only valid when not empty. */
    public int peekId()
    {
        return heap[0];
    }

    public boolean isScheduled(final int id)
    {
        return id >= 0 && id < positionOf.length && positionOf[id] != ABSENT;
    }

    /** The deadline of {@code id}, or {@link #NONE} when it is not scheduled. */
    public long deadlineNs(final int id)
    {
        return isScheduled(id) ? deadlineOf[id] : NONE;
    }

    /** Schedules {@code id} at {@code deadlineNs}, or moves it there if already scheduled. */
    public void schedule(final int id, final long deadlineNs)
    {
        if (id < 0)
        {
            throw new IllegalArgumentException("timer id must not be negative: " + id);
        }
        if (deadlineNs == NONE)
        {
            cancel(id);
            return;
        }
        ensureCapacity(id + 1);
        final int position = positionOf[id];
        if (position == ABSENT)
        {
            deadlineOf[id] = deadlineNs;
            heap[size] = id;
            positionOf[id] = size;
            siftUp(size++);
            return;
        }
        final long before = deadlineOf[id];
        deadlineOf[id] = deadlineNs;
        if (deadlineNs < before)
        {
            siftUp(position);
        }
        else if (deadlineNs > before)
        {
            siftDown(position);
        }
    }

    /** Removes {@code id}'s timer; nothing happens when it is not scheduled. */
    public void cancel(final int id)
    {
        if (!isScheduled(id))
        {
            return;
        }
        final int position = positionOf[id];
        positionOf[id] = ABSENT;
        final int last = heap[--size];
        if (position == size)
        {
            return;
        }
        heap[position] = last;
        positionOf[last] = position;
        siftDown(position);
        siftUp(positionOf[last]);
    }

    private void siftUp(final int from)
    {
        int position = from;
        final int id = heap[position];
        final long deadline = deadlineOf[id];
        while (position > 0)
        {
            final int parent = (position - 1) >>> 1;
            final int parentId = heap[parent];
            if (deadlineOf[parentId] <= deadline)
            {
                break;
            }
            heap[position] = parentId;
            positionOf[parentId] = position;
            position = parent;
        }
        heap[position] = id;
        positionOf[id] = position;
    }

    private void siftDown(final int from)
    {
        int position = from;
        final int id = heap[position];
        final long deadline = deadlineOf[id];
        while (true)
        {
            final int left = 2 * position + 1;
            if (left >= size)
            {
                break;
            }
            final int right = left + 1;
            final int child = right < size && deadlineOf[heap[right]] < deadlineOf[heap[left]] ? right : left;
            final int childId = heap[child];
            if (deadlineOf[childId] >= deadline)
            {
                break;
            }
            heap[position] = childId;
            positionOf[childId] = position;
            position = child;
        }
        heap[position] = id;
        positionOf[id] = position;
    }

    private void ensureCapacity(final int ids)
    {
        if (ids <= positionOf.length)
        {
            return;
        }
        final int capacity = Math.max(ids, positionOf.length * 2);
        final int oldLength = positionOf.length;
        heap = Arrays.copyOf(heap, capacity);
        positionOf = Arrays.copyOf(positionOf, capacity);
        Arrays.fill(positionOf, oldLength, capacity, ABSENT);
        deadlineOf = Arrays.copyOf(deadlineOf, capacity);
    }
}
