package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;

/**
 * What a connection does when its retransmission timer expires, and how it gives up. Read RFC 6298 §5, RFC 5681
 * §3.1 and RFC 1122 §4.2.2.17 first. Owned by the stack thread, one per connection.
 */
final class TcpTimeouts
{
    private final TcpConnection connection;
    private final TcpSender snd;
    private final TcpHandshake handshake;
    private final StackCounters counters;

    TcpTimeouts(final TcpConnection connection, final TcpSender snd, final TcpHandshake handshake,
        final StackCounters counters)
    {
        this.connection = connection;
        this.snd = snd;
        this.handshake = handshake;
        this.counters = counters;
    }

    /** RFC 6298 §5.4-5.7 and RFC 5681 §3.1: retransmit the earliest unacknowledged segment, back off. */
    void onRetransmissionTimeout(final long nowNs)
    {
        final TcpState state = connection.currentState();
        final boolean handshaking = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
        if (snd.sndUna == snd.sndMax && !handshaking)
        {
            return;
        }
        if (snd.retransmissionLimitReached(handshaking, state == TcpState.SYN_RECEIVED, nowNs))
        {
            userTimeout(handshaking, handshaking ? "connection timed out"
                : "user timeout: data unacknowledged too long", nowNs);
            return;
        }
        snd.backOff(nowNs);
        if (handshaking)
        {
            handshake.onSynTimeout(nowNs);
            return;
        }
        snd.onRetransmissionTimeout(nowNs);
    }

    /** RFC 9293 §3.8.6.1: the persist timer sends a zero-window probe; unanswered probes end in a user timeout. */
    void onPersistTimeout(final long nowNs)
    {
        snd.persist.deadline = TcpConnection.NONE;
        if (!snd.persist.onTimeout(connection.currentState().isSynchronized(), nowNs))
        {
            userTimeout(false, "user timeout: zero-window probes unanswered", nowNs);
        }
    }

    /** RFC 1122 §4.2.2.17 / RFC 9293 §3.8.3: give up: reset the peer if synchronized, tell the owner. */
    void userTimeout(final boolean handshaking, final String reason, final long nowNs)
    {
        counters.increment(Counter.TCP_USER_TIMEOUTS);
        if (connection.currentState().isSynchronized())
        {
            connection.sendReset(snd.resetSeq(), nowNs);
        }
        if (handshaking && connection.listener != null)
        {
            connection.terminate(TcpState.CLOSED, nowNs);
            return;
        }
        connection.resetBy(reason, nowNs);
    }
}
