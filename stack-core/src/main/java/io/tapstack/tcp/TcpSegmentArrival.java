package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

/**
 * RFC 9293 §3.10.7.4, SEGMENT ARRIVES in SYN-RECEIVED and the synchronized states: the checks in the RFC's order
 * ("first" sequence number, "second" RST, "fourth" SYN, "fifth" ACK, "seventh" text, "eighth" FIN), each with its
 * section, so that a reader follows the RFC and the code side by side; RFC 5961 hardens the second, fourth and
 * fifth; RFC 7323 §5.3 puts PAWS (and §3.2 the check that negotiated timestamps are there) before the first. Read
 * §3.10.7.4, RFC 5961 §3-5 and §7 and RFC 7323 §5.3 first. Owned by the stack thread.
 */
final class TcpSegmentArrival
{
    private final TcpConnection connection;
    private final TcpSender snd;
    private final TcpReceiver rcv;
    private final TcpHandshake handshake;
    private final TcpTeardown teardown;
    private final TcpTimestamps ts;
    private final TcpConfig config;
    private final StackCounters counters;

    TcpSegmentArrival(final TcpConnection connection, final TcpSender snd, final TcpReceiver rcv,
        final TcpHandshake handshake, final TcpTeardown teardown, final TcpTimestamps ts, final TcpConfig config,
        final StackCounters counters)
    {
        this.ts = ts;
        this.connection = connection;
        this.snd = snd;
        this.rcv = rcv;
        this.handshake = handshake;
        this.teardown = teardown;
        this.config = config;
        this.counters = counters;
    }

    /** RFC 9293 §3.10.7.4: SYN-RECEIVED and every synchronized state. */
    void onSegment(final TcpHeader seg, final TcpOptions options, final long nowNs)
    {
        final int flags = seg.flags();
        int seq = seg.sequenceNumber();
        final int dataOffset = seg.dataOffset();
        int dataLength = seg.dataLength();
        final boolean fin = (flags & TcpFlags.FIN) != 0;
        boolean syn = (flags & TcpFlags.SYN) != 0;
        int segLen = seg.segmentLength();
        final int rcvWnd = rcv.announcedWindow();

        if (connection.state() == TcpState.SYN_RECEIVED && connection.listener == null && syn
            && (flags & TcpFlags.ACK) != 0
            && seq == rcv.irs)
        {
            // RFC 9293 §3.5 figure 8 (simultaneous open): the peer's SYN-ACK; its SYN is already counted in RCV.NXT
            syn = false;
            seq += 1;
            segLen -= 1;
        }

        if (ts.enabled && (flags & TcpFlags.RST) == 0 && !timestampsAcceptable(seg, options, segLen, nowNs))
        {
            return;
        }

        // first: sequence number acceptability (the four cases of §3.10.7.4)
        if (!rcv.acceptable(seq, segLen, rcvWnd))
        {
            onUnacceptableSegment(seg, options, seq, segLen, rcvWnd, fin, nowNs);
            return;
        }
        if (ts.enabled)
        {
            ts.onAcceptableSegment(seq, options, nowNs); // RFC 7323 §5.3 R3, §4.3: TS.Recent
        }

        // second: RST (RFC 5961 §3.2: exact match resets, anything else in the window gets a challenge ACK)
        if ((flags & TcpFlags.RST) != 0)
        {
            onReset(seq, nowNs);
            return;
        }

        // fourth: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4.2)
        if (syn)
        {
            if (connection.state() == TcpState.SYN_RECEIVED && seq == rcv.irs)
            {
                // our SYN-ACK was lost: the peer sent its SYN again; answer with the SYN-ACK
                handshake.resendSynAck(nowNs);
                return;
            }
            challengeAck(nowNs);
            return;
        }

        // fifth: the ACK field
        if ((flags & TcpFlags.ACK) == 0)
        {
            return;
        }
        final int ack = seg.acknowledgmentNumber();
        if (connection.state() == TcpState.SYN_RECEIVED && !handshake.onAckInSynReceived(seg, seq, ack, nowNs))
        {
            return;
        }
        if (!processAck(seg, options, seq, ack, dataLength, nowNs))
        {
            return;
        }
        if (connection.state() == TcpState.CLOSED)
        {
            return;
        }

        // sixth (URG) is not supported; seventh: the segment text
        if (dataLength > 0 || fin)
        {
            if (!connection.state().canReceive() && dataLength > 0)
            {
                // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer already sent FIN; ignore the text
                dataLength = 0;
            }
            if (teardown.appClosed && dataLength > 0)
            {
                // RFC 1122 §4.2.2.13 (Linux too): data after close() cannot be delivered: reset
                teardown.abort("data arrived after close", true, nowNs); // the owner learns the connection is gone
                return;
            }
            receiveText(seg, seq, dataOffset, dataLength, fin, nowNs);
        }
    }

    /**
     * RFC 7323 §3.2 and §5.3 R1, before §3.10.7.4 first (a RST is exempt: RFC 7323 §5.3 R1): a segment without the
     * negotiated timestamps is dropped silently, one whose TSval is older than TS.Recent (an old duplicate, PAWS) is
     * dropped and answered with an ACK as an unacceptable segment is.
     */
    private boolean timestampsAcceptable(final TcpHeader seg, final TcpOptions options, final int segLen,
        final long nowNs)
    {
        if (!options.hasTimestamps)
        {
            counters.increment(Counter.TCP_DROP_NO_TIMESTAMPS);
            return false;
        }
        if (!ts.pawsRejects(options, nowNs))
        {
            return true;
        }
        counters.increment(Counter.TCP_PAWS_DROPS);
        if (!rcv.outOfWindowAckRateLimited(segLen, seg.has(TcpFlags.SYN), nowNs))
        {
            rcv.ackNow = true;
        }
        return false;
    }

    /** RFC 9293 §3.10.7.4 first: a segment outside the window is answered with an ACK (unless a RST) and dropped. */
    private void onUnacceptableSegment(final TcpHeader seg, final TcpOptions options, final int seq, final int segLen,
        final int rcvWnd, final boolean fin, final long nowNs)
    {
        final int flags = seg.flags();
        final int rcvNxt = rcv.rcvNxt;
        final boolean zeroWindowAck = rcvWnd == 0
            && (flags & (TcpFlags.ACK | TcpFlags.RST | TcpFlags.SYN)) == TcpFlags.ACK
            && connection.state().isSynchronized() && SeqNum.le(seq, rcvNxt + 1)
            && SeqNum.ge(seq, rcvNxt - rcv.maxWindow());
        if ((flags & TcpFlags.RST) == 0)
        {
            counters.increment(Counter.TCP_DROP_OUT_OF_WINDOW);
            // a pure ACK one past RCV.NXT comes from a sender whose SND.NXT counts the probe byte our zero
            // window dropped: taken below, not answered, or two ends with closed windows ACK each other's
            // ACKs forever (an ACK is not acknowledged, RFC 9293 §3.10.7.4 special allowance)
            if ((!zeroWindowAck || segLen != 0 || seq != rcvNxt + 1)
                && !rcv.outOfWindowAckRateLimited(segLen, (flags & TcpFlags.SYN) != 0, nowNs))
            {
                rcv.ackNow = true;
            }
        }
        if ((flags & TcpFlags.SYN) == 0 && SeqNum.le(seq + seg.dataLength(), rcvNxt))
        {
            rcv.noteDuplicate(seq, seg.dataLength()); // RFC 2883 §4 (1): text received before
        }
        if (zeroWindowAck)
        {
            // RFC 9293 §3.10.7.4: with RCV.WND zero "special allowance should be made to accept valid
            // ACKs": their ACK and window fields are processed (RFC 5961 §5.2 still checks the ACK), the
            // text is dropped. Without it two ends with closed windows never hear each other's ACKs.
            processAck(seg, options, seq, seg.acknowledgmentNumber(), 0, nowNs);
        }
    }

    /** RFC 9293 §3.10.7.4 second, with RFC 5961 §3.2: a RST in the window. */
    private void onReset(final int seq, final long nowNs)
    {
        if (seq != rcv.rcvNxt)
        {
            challengeAck(nowNs);
            return;
        }
        counters.increment(Counter.TCP_RST_RX);
        if (connection.state() == TcpState.SYN_RECEIVED && connection.listener != null)
        {
            // passive open: back to LISTEN, which for us means forgetting the half-open connection
            connection.terminate(TcpState.CLOSED, nowNs);
            return;
        }
        final TcpState state = connection.state();
        if (state == TcpState.CLOSING || state == TcpState.LAST_ACK || state == TcpState.TIME_WAIT)
        {
            // RFC 9293 §3.10.7.4 second: enter CLOSED and delete the TCB; the user already closed, so it is
            // told the connection is gone (TIME-WAIT told it on entry), or its socket would wait forever
            final boolean notify = state != TcpState.TIME_WAIT;
            connection.terminate(TcpState.CLOSED, nowNs);
            if (notify)
            {
                connection.notifyClosed();
            }
            return;
        }
        connection.resetBy(state == TcpState.SYN_RECEIVED ? "connection refused" : "connection reset by peer", nowNs);
    }

    /** RFC 9293 §3.10.7.4 fifth (ESTABLISHED and later); false when the segment is to be dropped. */
    private boolean processAck(final TcpHeader seg, final TcpOptions options, final int seq, final int ack,
        final int dataLength, final long nowNs)
    {
        // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.MAX]
        if (SeqNum.gt(ack, snd.sndMax))
        {
            counters.increment(Counter.TCP_DROP_ACK_UNSENT);
            // RFC 9293 §3.10.7.4: answer with an ACK; a pure one at most once per interval (RFC 5961 §7), or two
            // ends that each ACK beyond the other's SND.MAX would ping-pong without bound
            if (!rcv.outOfWindowAckRateLimited(dataLength, false, nowNs))
            {
                rcv.ackNow = true;
            }
            return false;
        }
        if (SeqNum.lt(ack, snd.sndUna - snd.maxSndWnd))
        {
            challengeAck(nowNs);
            return false;
        }
        snd.onAcceptableAck(seg, options, seq, ack, dataLength, nowNs);

        return teardown.onAck(nowNs);
    }

    /** RFC 9293 §3.10.7.4 seventh and eighth: the text, then the FIN once every byte before it is here. */
    private void receiveText(final TcpHeader seg, final int seq, final int dataOffset, final int dataLength,
        final boolean fin, final long nowNs)
    {
        if (fin)
        {
            rcv.notePeerFin(seq + dataLength);
        }
        if (dataLength > 0)
        {
            final int delivered = rcv.receiveData(seg, seq, dataOffset, dataLength, snd.sendMss, nowNs);
            if (delivered > 0 && connection.handler() != null)
            {
                connection.handler().onReadable(connection);
            }
        }
        if (rcv.peerFinDue() && connection.state() != TcpState.CLOSED)
        {
            teardown.onPeerFin(nowNs);
        }
        else if (fin)
        {
            // RFC 5681 §4.2: an out-of-order segment (here a FIN beyond a hole) gets an immediate ACK
            rcv.ackNow = true;
        }
    }

    /** Data or FIN riding on a SYN-ACK is rare; take it through the normal path. */
    void acceptTextOnSynAck(final TcpHeader seg, final long nowNs)
    {
        final int dataLength = seg.dataLength();
        final boolean fin = seg.has(TcpFlags.FIN);
        if (dataLength > 0 || fin)
        {
            receiveText(seg, seg.sequenceNumber() + 1, seg.dataOffset(), dataLength, fin, nowNs);
        }
    }

    private void challengeAck(final long nowNs)
    {
        // RFC 5961 §3.2, §4.2, §5.2; §7: the stack-wide rate limit keeps them from being an amplifier
        if (connection.owner().allowChallengeAck(nowNs))
        {
            counters.increment(Counter.TCP_CHALLENGE_ACKS);
            rcv.ackNow = true;
        }
        else
        {
            counters.increment(Counter.TCP_CHALLENGE_ACKS_RATE_LIMITED);
        }
    }
}
