package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.TcpFlags;

import static io.tapstack.tcp.TcpConnection.NONE;

/**
 * Keep-alive probes (RFC 1122 §4.2.3.6): after a connection has heard nothing from its peer for the idle time, and
 * has nothing of its own in flight or waiting (retransmission and persist timers find a dead peer then), it sends a
 * segment with SEG.SEQ = SND.NXT - 1 and no data, which the peer must answer with an ACK; a peer that leaves
 * {@link TcpConfig#keepAliveProbes()} probes unanswered, one per interval, is dead and the connection is reset.
 * Off unless the application turns it on. The deadline is lazy: a segment from the peer only records when it came,
 * and the timer, when it fires, works out from that whether the connection was really idle. Owned by the stack
 * thread.
 */
final class TcpKeepAlive
{
    private final TcpConnection connection;
    private final TcpSender snd;
    private final TcpConfig config;
    private final StackCounters counters;

    private boolean enabled;
    /** When the last segment from the peer arrived (or the connection was established). */
    private long lastHeardNs;
    private int probesUnanswered;
    /** When to look again (absolute ns, NONE when off). */
    long deadlineNs = NONE;

    TcpKeepAlive(final TcpConnection connection, final TcpSender snd, final TcpConfig config,
        final StackCounters counters)
    {
        this.connection = connection;
        this.snd = snd;
        this.config = config;
        this.counters = counters;
        this.enabled = config.keepAlive();
    }

    boolean enabled()
    {
        return enabled;
    }

    /** Turns probing on or off; on, the idle time counts from {@code nowNs} at the latest. */
    void enabled(final boolean on, final long nowNs)
    {
        enabled = on;
        if (!on)
        {
            deadlineNs = NONE;
        }
        else if (connection.state().isSynchronized())
        {
            lastHeardNs = Math.max(lastHeardNs, nowNs);
            deadlineNs = lastHeardNs + config.keepAliveIdleNs();
        }
    }

    /** The connection is established: the idle time starts. */
    void onEstablished(final long nowNs)
    {
        lastHeardNs = nowNs;
        if (enabled)
        {
            deadlineNs = nowNs + config.keepAliveIdleNs();
        }
    }

    /** A segment arrived from the peer: it is alive (the deadline stays; the timer will see the new time). */
    void onHeard(final long nowNs)
    {
        lastHeardNs = nowNs;
        probesUnanswered = 0;
    }

    /**
     * The deadline passed: probe, wait, or give up.
     *
     * @return false when the peer left every probe unanswered and the connection must be reset
     */
    boolean onTimeout(final long nowNs)
    {
        deadlineNs = NONE;
        final TcpState state = connection.state();
        if (!enabled || !(state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT
            || state == TcpState.FIN_WAIT_2))
        {
            return true;
        }
        if (snd.sndUna != snd.sndMax || snd.sendBuffer.size() > 0 || snd.finQueued && state != TcpState.FIN_WAIT_2)
        {
            // something of ours is in flight or waiting: the retransmission or persist timer watches the peer
            probesUnanswered = 0;
            deadlineNs = nowNs + config.keepAliveIdleNs();
            return true;
        }
        final long heardAgo = nowNs - lastHeardNs;
        if (probesUnanswered == 0 && heardAgo < config.keepAliveIdleNs())
        {
            deadlineNs = lastHeardNs + config.keepAliveIdleNs(); // heard from since: not idle long enough yet
            return true;
        }
        if (probesUnanswered >= config.keepAliveProbes())
        {
            counters.increment(Counter.TCP_KEEPALIVE_TIMEOUTS);
            return false;
        }
        // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1, no data: an old sequence number the peer answers with an ACK
        counters.increment(Counter.TCP_KEEPALIVE_PROBES);
        connection.emit(snd.sndNxt - 1, 0, TcpFlags.ACK, nowNs);
        probesUnanswered++;
        deadlineNs = nowNs + config.keepAliveIntervalNs();
        return true;
    }
}
