package io.tapstack.link;

import io.tapstack.time.DeadlineQueue;
import org.agrona.collections.Int2IntHashMap;

/**
 * IPv4 → MAC mappings with expiry, and the next hops being resolved (RFC 826, RFC 1122 §2.3.2.1). A fixed
 * number of entries in parallel arrays indexed through a primitive map: no allocation after construction.
 * Owned by the stack thread.
 *
 * <p>An entry's life follows Linux's neighbour states: INCOMPLETE (being resolved, nothing usable), REACHABLE
 * (confirmed less than a lifetime ago; past its deadline it is "stale" but keeps its MAC and needs no timer),
 * DELAY (a stale entry was used: wait a little for confirmation from an upper layer) and PROBE (re-validating with
 * ARP requests, unicast to the known MAC first). REACHABLE, DELAY and PROBE entries are usable; a PROBE that
 * nobody answers removes the entry.
 */
public final class ArpCache
{
    /** Returned by {@link #lookup} when there is no usable mapping. */
    public static final long NONE = -1L;

    static final byte FREE = 0;
    static final byte INCOMPLETE = 1;
    static final byte REACHABLE = 2;
    static final byte DELAY = 3;
    static final byte PROBE = 4;

    private final int capacity;
    private final Int2IntHashMap slotByAddress;
    final int[] address;
    final long[] mac;
    final byte[] state;
    /**
     * REACHABLE: when the mapping goes stale. INCOMPLETE and PROBE: when the next request (or giving up) is due.
     * DELAY: when the first probe is due.
     */
    final long[] deadlineNs;
    /** INCOMPLETE: requests still to send after the one in flight. PROBE: probes still to send. */
    final int[] retriesLeft;
    /** When the entry was created or last confirmed, for evicting the oldest. */
    final long[] touchedNs;
    private int used;
    /**
     * The deadline of each INCOMPLETE, DELAY and PROBE entry, by slot (REACHABLE entries have no timer, stale or
     * not): timers look only at what is due.
     */
    final DeadlineQueue timers;

    public ArpCache(final int capacity)
    {
        this.capacity = capacity;
        this.slotByAddress = new Int2IntHashMap(capacity * 2, 0.65f, -1);
        this.address = new int[capacity];
        this.mac = new long[capacity];
        this.state = new byte[capacity];
        this.deadlineNs = new long[capacity];
        this.retriesLeft = new int[capacity];
        this.touchedNs = new long[capacity];
        this.timers = new DeadlineQueue(capacity);
    }

    public int capacity()
    {
        return capacity;
    }

    public int size()
    {
        return used;
    }

    /**
     * The MAC for {@code ip} if the entry is usable (reachable, stale, or being re-validated), else {@link #NONE}.
     * Changes nothing: {@link ArpLayer#lookup} is the one that starts a re-validation.
     */
    public long lookup(final int ip)
    {
        final int slot = slotByAddress.get(ip);
        return slot < 0 || !isUsable(state[slot]) ? NONE : mac[slot];
    }

    /** True when {@code ip} has an entry that is still reachable at {@code nowNs} (confirmed within a lifetime). */
    public boolean isReachable(final int ip, final long nowNs)
    {
        final int slot = slotByAddress.get(ip);
        return slot >= 0 && state[slot] == REACHABLE && deadlineNs[slot] > nowNs;
    }

    static boolean isUsable(final byte state)
    {
        return state == REACHABLE || state == DELAY || state == PROBE;
    }

    /** The slot of {@code ip}, or -1. */
    int slotOf(final int ip)
    {
        return slotByAddress.get(ip);
    }

    /** Records a resolved mapping valid until {@code expiresNs}; returns its slot, or -1 if it was never added. */
    int putResolved(final int ip, final long macAddress, final long nowNs, final long expiresNs, final boolean create)
    {
        int slot = slotByAddress.get(ip);
        if (slot < 0)
        {
            if (!create)
            {
                return -1;
            }
            slot = allocate(ip, nowNs);
        }
        mac[slot] = macAddress;
        markReachable(slot, nowNs, expiresNs);
        return slot;
    }

    /** The entry in {@code slot} was confirmed at {@code nowNs}: reachable until {@code expiresNs}, no timer. */
    void markReachable(final int slot, final long nowNs, final long expiresNs)
    {
        state[slot] = REACHABLE;
        timers.cancel(slot);
        deadlineNs[slot] = expiresNs;
        touchedNs[slot] = nowNs;
    }

    /** Moves a usable entry to DELAY or PROBE with its next timer at {@code deadline}; keeps its MAC. */
    void markRevalidating(final int slot, final byte revalidationState, final long deadline)
    {
        state[slot] = revalidationState;
        deadlineNs[slot] = deadline;
        timers.schedule(slot, deadline);
    }

    /** Adds an INCOMPLETE entry for {@code ip}; returns its slot. */
    int putIncomplete(final int ip, final long nowNs, final long nextRequestNs, final int retries)
    {
        int slot = slotByAddress.get(ip);
        if (slot < 0)
        {
            slot = allocate(ip, nowNs);
        }
        state[slot] = INCOMPLETE;
        deadlineNs[slot] = nextRequestNs;
        timers.schedule(slot, nextRequestNs);
        retriesLeft[slot] = retries;
        touchedNs[slot] = nowNs;
        return slot;
    }

    /** True when the cache had to evict to make room (the caller counts it). */
    boolean lastAllocateEvicted;

    private int allocate(final int ip, final long nowNs)
    {
        lastAllocateEvicted = false;
        int slot = -1;
        if (used < capacity)
        {
            for (int i = 0; i < capacity; i++)
            {
                if (state[i] == FREE)
                {
                    slot = i;
                    break;
                }
            }
            used++;
        }
        else
        {
            // full: evict the least recently confirmed entry (a rare, bounded scan)
            long oldest = Long.MAX_VALUE;
            for (int i = 0; i < capacity; i++)
            {
                if (touchedNs[i] < oldest)
                {
                    oldest = touchedNs[i];
                    slot = i;
                }
            }
            slotByAddress.remove(address[slot]);
            lastAllocateEvicted = true;
        }
        address[slot] = ip;
        slotByAddress.put(ip, slot);
        return slot;
    }

    void remove(final int slot)
    {
        if (state[slot] != FREE)
        {
            slotByAddress.remove(address[slot]);
            state[slot] = FREE;
            timers.cancel(slot);
            used--;
        }
    }
}
