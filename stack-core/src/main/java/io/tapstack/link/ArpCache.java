package io.tapstack.link;

import io.tapstack.time.DeadlineQueue;
import org.agrona.collections.Int2IntHashMap;

/**
 * IPv4 → MAC mappings with expiry, and the next hops being resolved (RFC 826, RFC 1122 §2.3.2.1). A fixed
 * number of entries in parallel arrays indexed through a primitive map: no allocation after construction.
 * Owned by the stack thread.
 */
public final class ArpCache
{
    /** Returned by {@link #lookup} when there is no usable mapping. */
    public static final long NONE = -1L;

    static final byte FREE = 0;
    static final byte INCOMPLETE = 1;
    static final byte RESOLVED = 2;

    private final int capacity;
    private final Int2IntHashMap slotByAddress;
    final int[] address;
    final long[] mac;
    final byte[] state;
    /** RESOLVED: when the mapping expires. INCOMPLETE: when the next request is due. */
    final long[] deadlineNs;
    /** INCOMPLETE: requests still to send after the one in flight. */
    final int[] retriesLeft;
    /** When the entry was created or last confirmed, for evicting the oldest. */
    final long[] touchedNs;
    private int used;
    /** The next request or give-up time of each INCOMPLETE entry, by slot: timers look only at what is due. */
    final DeadlineQueue resolving;

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
        this.resolving = new DeadlineQueue(capacity);
    }

    public int capacity()
    {
        return capacity;
    }

    public int size()
    {
        return used;
    }

    /** The MAC for {@code ip} if resolved and not expired, else {@link #NONE}. */
    public long lookup(final int ip, final long nowNs)
    {
        final int slot = slotByAddress.get(ip);
        if (slot < 0 || state[slot] != RESOLVED || deadlineNs[slot] <= nowNs)
        {
            return NONE;
        }
        return mac[slot];
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
        state[slot] = RESOLVED;
        resolving.cancel(slot);
        deadlineNs[slot] = expiresNs;
        touchedNs[slot] = nowNs;
        return slot;
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
        resolving.schedule(slot, nextRequestNs);
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
            resolving.cancel(slot);
            used--;
        }
    }
}
