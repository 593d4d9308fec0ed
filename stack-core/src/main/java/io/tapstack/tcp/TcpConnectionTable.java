package io.tapstack.tcp;

import io.tapstack.time.DeadlineQueue;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every connection of a {@link TcpLayer}: by 4-tuple (a {@code long} key, no boxing) for arriving segments, and by
 * slot, a small integer reused when a connection goes (removal is O(1)), under which its earliest deadline sits in
 * a {@link DeadlineQueue}. A duty cycle with nothing due looks at no connection however many there are; moving a
 * deadline costs O(log n). Owned by the stack thread.
 */
final class TcpConnectionTable
{
    private final Long2ObjectHashMap<TcpConnection> byKey = new Long2ObjectHashMap<>();
    /**
     * Gateway mode: connections whose local address is not ours, keyed by (local port, local address, remote port);
     * the remote address is checked on lookup ({@link #getForeign}).
     */
    private final Long2ObjectHashMap<TcpConnection> foreignByKey = new Long2ObjectHashMap<>();
    private TcpConnection[] bySlot = new TcpConnection[64];
    private final IntArrayList freeSlots = new IntArrayList();
    /** Slots below this have been used; free ones among them are in freeSlots. */
    private int slotHighWater;
    /** Numbers connections in the order they were made. */
    private long connectionsMade;
    /** Each connection's earliest deadline, by slot. */
    private final DeadlineQueue deadlines = new DeadlineQueue(64);
    /** Counts the duty cycles that ran timers: a connection's timers run at most once in each. */
    private long timerRound;
    /** Connections whose timers ran in this duty cycle and are due again at once: run in the next one. */
    private final IntArrayList dueAgain = new IntArrayList();

    /** The 4-tuple of a connection as one {@code long} (our address is the stack's): no boxing in the map. */
    static long key(final int localPort, final int remoteAddress, final int remotePort)
    {
        return ((long)localPort << 48) | ((long)remotePort << 32) | (remoteAddress & 0xFFFF_FFFFL);
    }

    int size()
    {
        return byKey.size() + foreignByKey.size();
    }

    /** The connection of a foreign local address for {@code key} (as {@link #key} with the local address), or null. */
    TcpConnection getForeign(final long key)
    {
        return foreignByKey.get(key);
    }

    private Long2ObjectHashMap<TcpConnection> mapOf(final TcpConnection c)
    {
        return c.foreign ? foreignByKey : byKey;
    }

    TcpConnection get(final long key)
    {
        return byKey.get(key);
    }

    boolean containsKey(final long key)
    {
        return byKey.containsKey(key);
    }

    void add(final TcpConnection c)
    {
        mapOf(c).put(c.key, c);
        final int slot;
        if (freeSlots.isEmpty())
        {
            slot = slotHighWater++;
            if (slot == bySlot.length)
            {
                bySlot = Arrays.copyOf(bySlot, slot * 2);
            }
        }
        else
        {
            slot = freeSlots.popInt();
        }
        bySlot[slot] = c;
        c.slot = slot;
        c.sequence = connectionsMade++;
    }

    void remove(final TcpConnection c)
    {
        final Long2ObjectHashMap<TcpConnection> map = mapOf(c);
        if (map.get(c.key) == c)
        {
            map.remove(c.key);
        }
        if (c.slot >= 0 && bySlot[c.slot] == c)
        {
            deadlines.cancel(c.slot);
            bySlot[c.slot] = null;
            freeSlots.pushInt(c.slot);
            c.slot = -1;
        }
    }

    /** Puts the connection's earliest deadline in the queue (or takes it out), if the connection is still here. */
    void noteTimer(final TcpConnection c)
    {
        if (c.slot >= 0 && bySlot[c.slot] == c)
        {
            deadlines.schedule(c.slot, c.nextDeadlineNs());
        }
    }

    long nextDeadlineNs()
    {
        return deadlines.nextDeadlineNs();
    }

    /** Runs the timers of the connections due at {@code nowNs}; returns how many ran. */
    int runDue(final long nowNs)
    {
        timerRound++;
        int work = 0;
        while (!deadlines.isEmpty() && deadlines.nextDeadlineNs() <= nowNs)
        {
            final int slot = deadlines.peekId();
            final TcpConnection c = bySlot[slot];
            deadlines.cancel(slot);
            if (c.timerRound == timerRound)
            {
                // due again in the cycle it ran in (a zero-length timer): once per duty cycle, as before the queue
                dueAgain.addInt(slot);
                continue;
            }
            // the queue holds each connection's earliest deadline; the connection re-checks each of its timers
            c.timerRound = timerRound;
            if (c.nextDeadlineNs() <= nowNs)
            {
                work++;
                c.onTimer(nowNs);
            }
            noteTimer(c);
        }
        for (int i = 0, n = dueAgain.size(); i < n; i++)
        {
            final TcpConnection c = bySlot[dueAgain.getInt(i)];
            if (c != null)
            {
                noteTimer(c);
            }
        }
        dueAgain.clear();
        return work;
    }

    /** The connections a listener still holds (half-open or not yet accepted), newest first. Not on a fast path. */
    List<TcpConnection> ofListener(final TcpListener listener)
    {
        final ArrayList<TcpConnection> found = new ArrayList<>();
        for (int slot = 0; slot < slotHighWater; slot++)
        {
            final TcpConnection c = bySlot[slot];
            if (c != null && c.listener == listener)
            {
                found.add(c);
            }
        }
        found.sort((x, y) -> Long.compare(y.sequence, x.sequence));
        return found;
    }
}
