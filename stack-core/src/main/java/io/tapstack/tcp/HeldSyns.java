package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteOrder;

/**
 * Gateway mode's held SYNs ({@link HeldSyn}): a bounded table by (local port, local address, remote port), the
 * remote address checked on lookup. A SYN beyond the bound is refused with a reset (a SYN flood from the guest costs
 * the engine at most the bound in pending host connects). Owned by the stack thread.
 */
final class HeldSyns
{
    private static final Logger LOG = LoggerFactory.getLogger(HeldSyns.class);

    private final StackCounters counters;
    private final TcpSegmentWriter writer;
    private final Long2ObjectHashMap<HeldSyn> byKey = new Long2ObjectHashMap<>();
    /** A flyweight over a held SYN's bytes when its handshake goes on (never the layer's, which may be in use). */
    final TcpHeader segment = new TcpHeader();
    final TcpOptions options = new TcpOptions();
    private SynInterceptor interceptor;
    private int max;

    HeldSyns(final StackCounters counters, final TcpSegmentWriter writer)
    {
        this.counters = counters;
        this.writer = writer;
    }

    void interceptor(final SynInterceptor interceptor, final int max)
    {
        this.interceptor = interceptor;
        this.max = max;
    }

    boolean intercepting()
    {
        return interceptor != null;
    }

    int size()
    {
        return byKey.size();
    }

    /**
     * A bare SYN for {@code local}:port that nothing of ours takes.
     *
     * @return true when it is held (or is a retransmission of a held one, dropped); false: the caller resets it
     */
    boolean offer(final TcpHeader syn, final int local, final int remote, final long nowNs)
    {
        final long key = TcpConnectionTable.key(syn.destinationPort(), local, syn.sourcePort());
        final HeldSyn existing = byKey.get(key);
        if (existing != null)
        {
            if (existing.remoteAddress == remote)
            {
                counters.increment(Counter.TCP_HELD_SYN_RETRANSMITS); // RFC 9293 §3.10.7.2: the answer is pending
                return true;
            }
            return false; // another peer with the same ports to the same destination is already held: refused
        }
        if (byKey.size() >= max)
        {
            counters.increment(Counter.TCP_HELD_SYN_LIMIT);
            LOG.debug("{} held SYNs: a SYN to port {} refused", max, syn.destinationPort());
            return false;
        }
        final HeldSyn held = new HeldSyn(syn.buffer(), syn.offset(), Math.min(60, syn.headerLength()), local,
            syn.destinationPort(), remote, syn.sourcePort(), key, nowNs);
        byKey.put(key, held);
        counters.increment(Counter.TCP_SYNS_HELD);
        if (!interceptor.onSyn(held, nowNs))
        {
            release(held);
            return false;
        }
        return true;
    }

    /** Takes {@code held} out of the table; throws when it was already decided (an engine bug). */
    void release(final HeldSyn held)
    {
        if (!held.held)
        {
            throw new IllegalStateException("already decided: " + held);
        }
        held.held = false;
        if (byKey.get(held.key) == held)
        {
            byKey.remove(held.key);
        }
    }

    /** Wraps the held SYN's bytes in {@link #segment} and {@link #options}. */
    void rewrap(final HeldSyn held)
    {
        segment.wrap(held.header, 0, held.headerLength);
        options.parse(held.header, segment.optionsOffset(), segment.optionsLength());
    }

    /** RFC 9293 §3.10.7.1 for a SYN without ACK: {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}. */
    void refuse(final HeldSyn held, final long nowNs)
    {
        release(held);
        counters.increment(Counter.TCP_HELD_SYNS_REFUSED);
        final int iss = held.header.getInt(TcpHeader.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
        writer.sendControl(held.localAddress, held.remoteAddress, held.localPort, held.remotePort, 0, iss + 1,
            TcpFlags.RST | TcpFlags.ACK, 0, null, nowNs);
    }

    void drop(final HeldSyn held)
    {
        release(held);
        counters.increment(Counter.TCP_HELD_SYNS_DROPPED);
    }
}
