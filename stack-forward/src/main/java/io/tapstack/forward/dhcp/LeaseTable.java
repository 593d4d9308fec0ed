package io.tapstack.forward.dhcp;

import org.agrona.collections.Long2LongHashMap;

/**
 * The pool's addresses and who holds them (RFC 2131 §4.3.1 and §4.4). One slot per address of the pool in
 * parallel primitive arrays, allocated whole at construction (the pool is bounded by
 * {@link DhcpConfig#maxPoolSize}); a client's last slot found by its hardware address in a primitive map. Time is
 * given to every call: an offer or a lease past its end is free again without any timer. Owned by the stack thread.
 */
final class LeaseTable
{
    /** Returned when there is no slot. */
    static final int NONE = -1;

    static final byte FREE = 0;
    /** Offered to {@link #mac}, held until {@link #untilNs} (RFC 2131 §4.3.1: not offered to another meanwhile). */
    static final byte OFFERED = 1;
    /** Leased to {@link #mac} until {@link #untilNs}. */
    static final byte BOUND = 2;
    /** A client found it in use (DHCPDECLINE): out of the pool until {@link #untilNs} (RFC 2131 §4.3.3). */
    static final byte DECLINED = 3;

    private final int first;
    private final int size;
    private final byte[] state;
    /** The client that holds the slot, or last held it (kept after a release or expiry, to offer it again). */
    private final long[] mac;
    private final long[] untilNs;
    /** A client's current or last slot, by hardware address. */
    private final Long2LongHashMap slotByMac;
    /** Where the search for a never-used address resumes. */
    private int cursor;

    LeaseTable(final int first, final int size)
    {
        this.first = first;
        this.size = size;
        this.state = new byte[size];
        this.mac = new long[size];
        this.untilNs = new long[size];
        this.slotByMac = new Long2LongHashMap(Math.max(8, size * 2), 0.65f, NONE);
    }

    int size()
    {
        return size;
    }

    int slotOf(final int address)
    {
        final long index = (address & 0xFFFF_FFFFL) - (first & 0xFFFF_FFFFL);
        return index >= 0 && index < size ? (int)index : NONE;
    }

    int address(final int slot)
    {
        return first + slot;
    }

    /** The client's current or last slot, or {@link #NONE}. */
    int slotOfClient(final long clientMac)
    {
        return (int)slotByMac.get(clientMac);
    }

    /** The slot's state at {@code nowNs}: an offer, a lease or a decline whose time has passed is {@link #FREE}. */
    byte stateAt(final int slot, final long nowNs)
    {
        final byte s = state[slot];
        return s != FREE && untilNs[slot] - nowNs <= 0 ? FREE : s;
    }

    long holder(final int slot)
    {
        return mac[slot];
    }

    long untilNs(final int slot)
    {
        return untilNs[slot];
    }

    /** True when {@code clientMac} holds {@code slot} (offered or bound) at {@code nowNs}. */
    boolean isHeldBy(final int slot, final long clientMac, final long nowNs)
    {
        final byte s = stateAt(slot, nowNs);
        return (s == OFFERED || s == BOUND) && mac[slot] == clientMac;
    }

    /** True when {@code clientMac} may take {@code slot} at {@code nowNs}: free, or already its own. */
    boolean isAvailableTo(final int slot, final long clientMac, final long nowNs)
    {
        final byte s = stateAt(slot, nowNs);
        return s == FREE || (s != DECLINED && mac[slot] == clientMac);
    }

    /**
     * RFC 2131 §4.3.1: the address to offer {@code clientMac}: its current binding or offer, else its previous
     * address if free, else {@code requested} if in the pool and free, else a free address never held by anyone,
     * else the free address whose last holder left it longest ago. {@link #NONE} when the pool is exhausted.
     */
    int choose(final long clientMac, final int requested, final long nowNs)
    {
        final int own = slotOfClient(clientMac);
        if (own != NONE && isAvailableTo(own, clientMac, nowNs))
        {
            return own;
        }
        final int wanted = slotOf(requested);
        if (wanted != NONE && isAvailableTo(wanted, clientMac, nowNs))
        {
            return wanted;
        }
        for (int i = 0; i < size; i++)
        {
            final int slot = (cursor + i) % size;
            if (stateAt(slot, nowNs) == FREE && mac[slot] == 0)
            {
                cursor = (slot + 1) % size;
                return slot;
            }
        }
        int oldest = NONE;
        for (int slot = 0; slot < size; slot++)
        {
            if (stateAt(slot, nowNs) == FREE && (oldest == NONE || untilNs[slot] - untilNs[oldest] < 0))
            {
                oldest = slot;
            }
        }
        return oldest;
    }

    /** Offers {@code slot} to {@code clientMac} until {@code untilNs}. */
    void offer(final int slot, final long clientMac, final long untilNs)
    {
        take(slot, clientMac, OFFERED, untilNs);
    }

    /** Leases {@code slot} to {@code clientMac} until {@code untilNs}. */
    void bind(final int slot, final long clientMac, final long untilNs)
    {
        take(slot, clientMac, BOUND, untilNs);
    }

    private void take(final int slot, final long clientMac, final byte newState, final long until)
    {
        final long previousHolder = mac[slot];
        if (previousHolder != clientMac && previousHolder != 0 && slotByMac.get(previousHolder) == slot)
        {
            slotByMac.remove(previousHolder); // the last holder's memory of this address goes with it
        }
        final int previousSlot = slotOfClient(clientMac);
        if (previousSlot != NONE && previousSlot != slot && state[previousSlot] != DECLINED
            && mac[previousSlot] == clientMac)
        {
            state[previousSlot] = FREE; // one address per client: an older offer or lease ends
        }
        state[slot] = newState;
        mac[slot] = clientMac;
        untilNs[slot] = until;
        slotByMac.put(clientMac, slot);
    }

    /** Ends the client's offer or lease at {@code nowNs} (RFC 2131 §4.3.4); the address is remembered for it. */
    void release(final int slot, final long nowNs)
    {
        state[slot] = FREE;
        untilNs[slot] = nowNs;
    }

    /** RFC 2131 §4.3.3: {@code slot} is in use by someone unknown; out of the pool until {@code untilNs}. */
    void decline(final int slot, final long untilNs)
    {
        final long holder = mac[slot];
        if (holder != 0 && slotByMac.get(holder) == slot)
        {
            slotByMac.remove(holder);
        }
        state[slot] = DECLINED;
        mac[slot] = 0;
        this.untilNs[slot] = untilNs;
    }

    /** Slots offered or bound at {@code nowNs} (a scan: for stats and tests). */
    int inUse(final long nowNs)
    {
        int n = 0;
        for (int slot = 0; slot < size; slot++)
        {
            final byte s = stateAt(slot, nowNs);
            if (s == OFFERED || s == BOUND)
            {
                n++;
            }
        }
        return n;
    }
}
