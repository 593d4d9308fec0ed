package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpFlags;

import static io.tapstack.tcp.TcpConnection.NONE;

/**
 * The sender's persist timer: zero-window probes, the sender SWS override timeout, and when a peer that leaves the
 * probes unanswered is given up. Read RFC 9293 §3.8.6.1 (probing a zero window), §3.8.6.2.1 (the override timeout)
 * and RFC 1122 §4.2.2.17 / §4.2.3.5 (a receiver that keeps answering keeps the connection; R1 and R2) first. Owned
 * by the stack thread.
 */
final class TcpPersist
{
    private final TcpConnection connection;
    private final TcpSender snd;
    private final TcpConfig config;
    private final StackCounters counters;
    /** When the persist timer fires (absolute ns), NONE when off. */
    long deadline = NONE;
    private int backoffs;
    /** Probes of a zero window (persist probes or RTO retransmissions) sent since the peer's last ACK. */
    private int unansweredProbes;
    /** When the first of the {@code unansweredProbes} went out. */
    private long firstUnansweredProbeNs;

    TcpPersist(final TcpConnection connection, final TcpSender snd, final TcpConfig config,
        final StackCounters counters)
    {
        this.connection = connection;
        this.snd = snd;
        this.config = config;
        this.counters = counters;
    }

    /** The peer answered: its probes count from zero again. */
    void onAckHeard()
    {
        unansweredProbes = 0;
    }

    /** The peer's window opened: no probing. */
    void onWindowOpen()
    {
        deadline = NONE;
        backoffs = 0;
    }

    void armIfStalled(final long nowNs)
    {
        // RFC 9293 §3.8.6.1: a zero window with data waiting and nothing in flight starts the persist timer;
        // RFC 9293 §3.8.6.2.1: so does a window too small for SWS avoidance (the override timeout)
        if (snd.sndUna == snd.sndMax && deadline == NONE)
        {
            deadline = nowNs + interval();
        }
    }

    private long interval()
    {
        long interval = Math.max(snd.rtt.rtoNs(), config.minRtoNs());
        for (int i = 0; i < backoffs && interval < config.maxRtoNs(); i++)
        {
            interval <<= 1;
        }
        return Math.min(interval, config.maxRtoNs());
    }

    /**
     * RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: the persist timer fired: send one byte past the closed window to learn
     * when it opens (or, for a small open window, what SWS avoidance held back).
     *
     * @param synchronizedState whether the connection is past the handshake
     * @return false when the peer stopped answering the probes and the connection must give up
     */
    boolean onTimeout(final boolean synchronizedState, final long nowNs)
    {
        final int dataEnd = snd.dataStart + snd.sendBuffer.size();
        final int sndNxt = snd.sndNxt;
        final int unsent = SeqNum.diff(dataEnd, sndNxt);
        if (snd.sndWnd != 0 && unsent > 0 && snd.sndUna == snd.sndMax && synchronizedState)
        {
            // RFC 9293 §3.8.6.2.1: the SWS override timeout sends what the small window allows
            final int length = Math.min(Math.min(unsent, snd.sendMss), snd.sndWnd);
            if (snd.emitData(sndNxt, length, TcpFlags.ACK | (length == unsent ? TcpFlags.PSH : 0), nowNs))
            {
                snd.advanceSndNxt(length, nowNs);
            }
            backoffs = 0;
            return true;
        }
        if (snd.sndWnd != 0 || unsent <= 0 || !synchronizedState)
        {
            backoffs = 0;
            return true;
        }
        if (probesUnanswered(nowNs))
        {
            // the peer stopped answering our probes: RFC 9293 §3.8.6.1 lets a dead receiver time out
            return false;
        }
        counters.increment(Counter.TCP_ZERO_WINDOW_PROBES);
        snd.retransmits.count(TcpEventListener.PROBE_ZERO_WINDOW);
        connection.events().onRetransmit(connection, sndNxt, 1, TcpEventListener.PROBE_ZERO_WINDOW, nowNs);
        snd.emitData(sndNxt, 1, TcpFlags.ACK, nowNs);
        onProbeSent(nowNs);
        // the probe byte counts as sent, so the peer's ACK of it is acceptable; SND.NXT stays put so the byte
        // is sent again with the rest once the window opens
        if (SeqNum.gt(sndNxt + 1, snd.sndMax))
        {
            snd.sndMax = sndNxt + 1;
        }
        backoffs++;
        deadline = nowNs + interval();
        snd.rtoDeadline = NONE;
        return true;
    }

    /** A probe of a zero window went out (a persist probe or an RTO retransmission). */
    void onProbeSent(final long nowNs)
    {
        if (unansweredProbes++ == 0)
        {
            firstUnansweredProbeNs = nowNs;
        }
    }

    /**
     * RFC 1122 §4.2.2.17 and §4.2.3.5: a peer that answers the probes keeps the connection open; one that stops
     * answering is given up after R2: the user timeout counted from the first probe it left unanswered (as
     * Linux's icsk_probes_tstamp), and at least {@link TcpConfig#minUnansweredProbes()} probes (R1 is at least 3
     * retransmissions and R2 beyond it: by default a probe and 3 more). Counting from the peer's last ACK instead
     * made a single lost probe fatal once the interval reached half the user timeout.
     */
    boolean probesUnanswered(final long nowNs)
    {
        return unansweredProbes >= config.minUnansweredProbes()
            && nowNs - firstUnansweredProbeNs >= config.userTimeoutNs();
    }
}
