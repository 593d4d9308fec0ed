package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

/**
 * TIME-WAIT without a connection: the segments that arrive for a {@link TimeWaitTable} record, answered as RFC 9293
 * §3.10.7.4 answers them in TIME-WAIT, in the RFC's order (as {@link TcpSegmentArrival} does for a connection). Read
 * RFC 9293 §3.6.1 and §3.10.7.4, RFC 5961 §3-5 and §7, RFC 7323 §5.3 and RFC 6191 first.
 * <ul>
 *   <li>A SYN without ACK whose timestamp is newer than TS.Recent, or (without timestamps on both incarnations, or
 *       with an equal one) whose sequence number is above RCV.NXT, reopens the 4-tuple (RFC 6191 §2): the record
 *       ends and the SYN goes to the listener.</li>
 *   <li>With timestamps, a segment without them is dropped, an old one (PAWS) answered with an ACK (RFC 7323
 *       §5.3).</li>
 *   <li>An unacceptable segment gets an ACK (rate-limited, RFC 5961 §7); a retransmitted FIN is acknowledged and
 *       restarts the 2·MSL wait (§3.10.7.4 first and eighth).</li>
 *   <li>A RST at RCV.NXT ends the record (§3.10.7.4 second: "enter the CLOSED state"; RFC 1337's protection against
 *       TIME-WAIT assassination is not applied); another in the window gets a challenge ACK (RFC 5961 §3.2).</li>
 *   <li>A SYN in the window gets a challenge ACK (RFC 5961 §4.2); an ACK of data never sent gets an ACK, one too old
 *       a challenge ACK (RFC 5961 §5.2); text is ignored and acknowledged, a FIN restarts the wait (§3.10.7.4
 *       seventh, eighth); a bare ACK in the window is taken silently.</li>
 * </ul>
 * The ACKs carry SEQ = SND.NXT, ACK = RCV.NXT, the window last announced and, with timestamps, TSval from the
 * connection's clock and TSecr = TS.Recent; no SACK blocks (the record keeps no receive queue). Allocation free.
 * Owned by the stack thread.
 */
final class TcpTimeWait
{
    private final TimeWaitTable records;
    private final TcpSegmentWriter writer;
    private final TcpConnectionOwner owner;
    private final TcpConfig config;
    private final StackCounters counters;
    /** The options of our ACKs (one holder, reused). */
    private final TcpOptions sent = new TcpOptions();

    TcpTimeWait(final TimeWaitTable records, final TcpSegmentWriter writer, final TcpConnectionOwner owner,
        final TcpConfig config, final StackCounters counters)
    {
        this.records = records;
        this.writer = writer;
        this.owner = owner;
        this.config = config;
        this.counters = counters;
    }

    /**
     * A segment for the record in {@code slot}.
     *
     * @return true when it is a new SYN that reopens the 4-tuple: the record is gone, the caller hands the SYN on
     */
    boolean onSegment(final int slot, final TcpHeader seg, final TcpOptions options, final long nowNs)
    {
        final int flags = seg.flags();
        final int seq = seg.sequenceNumber();
        final int segLen = seg.segmentLength();
        final boolean rst = (flags & TcpFlags.RST) != 0;
        final boolean syn = (flags & TcpFlags.SYN) != 0;
        final boolean fin = (flags & TcpFlags.FIN) != 0;
        final int rcvNxt = records.rcvNxt(slot);

        if (syn && !rst && (flags & TcpFlags.ACK) == 0 && reopens(slot, seq, options))
        {
            counters.increment(Counter.TCP_TIME_WAIT_REOPENS);
            records.end(slot, nowNs);
            return true;
        }
        final boolean timestamps = records.timestamps(slot);
        if (timestamps && !rst)
        {
            if (!options.hasTimestamps)
            {
                counters.increment(Counter.TCP_DROP_NO_TIMESTAMPS); // RFC 7323 §3.2
                return false;
            }
            if (pawsRejects(slot, options.tsVal, nowNs))
            {
                counters.increment(Counter.TCP_PAWS_DROPS); // RFC 7323 §5.3 R1
                ackUnlessRateLimited(slot, segLen, syn, nowNs);
                return false;
            }
        }

        // first: sequence number acceptability
        if (!acceptable(seq, segLen, records.rcvWnd(slot), rcvNxt))
        {
            if (!rst)
            {
                counters.increment(Counter.TCP_DROP_OUT_OF_WINDOW);
                if (fin)
                {
                    // a retransmitted FIN: acknowledge it and restart the 2·MSL wait (§3.10.7.4 eighth)
                    records.restart(slot, nowNs + config.timeWaitNs());
                }
                ackUnlessRateLimited(slot, segLen, syn, nowNs);
            }
            return false;
        }
        if (timestamps && options.hasTimestamps && !SeqNum.gt(seq, rcvNxt)
            && (!SeqNum.lt(options.tsVal, records.tsRecent(slot)) || !tsRecentValid(slot, nowNs)))
        {
            records.tsRecent(slot, options.tsVal, nowNs); // RFC 7323 §4.3, §5.3 R3 (Last.ACK.sent is RCV.NXT)
        }

        // second: RST (RFC 5961 §3.2: an exact match ends the record, anything else in the window is challenged)
        if (rst)
        {
            if (seq == rcvNxt)
            {
                counters.increment(Counter.TCP_RST_RX);
                records.end(slot, nowNs); // §3.10.7.4 second: CLOSED (no RFC 1337 protection)
            }
            else
            {
                challengeAck(slot, nowNs);
            }
            return false;
        }
        // fourth: a SYN in the window (RFC 5961 §4.2)
        if (syn)
        {
            challengeAck(slot, nowNs);
            return false;
        }
        // fifth: the ACK field (RFC 5961 §5.2: acceptable in [SND.UNA - MAX.SND.WND, SND.NXT]; SND.UNA = SND.NXT)
        if ((flags & TcpFlags.ACK) == 0)
        {
            return false;
        }
        final int ack = seg.acknowledgmentNumber();
        final int sndNxt = records.sndNxt(slot);
        if (SeqNum.gt(ack, sndNxt))
        {
            counters.increment(Counter.TCP_DROP_ACK_UNSENT);
            ackUnlessRateLimited(slot, seg.dataLength(), false, nowNs);
            return false;
        }
        if (SeqNum.lt(ack, sndNxt - records.maxSndWnd(slot)))
        {
            challengeAck(slot, nowNs);
            return false;
        }
        // seventh and eighth: text is ignored (the peer sent its FIN long ago), a FIN restarts the wait; both ACKed
        if (fin)
        {
            records.restart(slot, nowNs + config.timeWaitNs());
        }
        if (fin || seg.dataLength() > 0)
        {
            sendAck(slot, nowNs);
        }
        return false;
    }

    /**
     * RFC 6191 §2: whether a SYN (no ACK, no RST) may reuse the 4-tuple. When both incarnations use timestamps (the
     * old one did, the SYN carries them and we would enable them), a TSval newer than TS.Recent decides, or an equal
     * one with a sequence number beyond the old RCV.NXT; otherwise the sequence number alone (RFC 9293 §3.6.1, RFC
     * 1122 §4.2.2.13). A SYN that does not reopen goes through the TIME-WAIT checks below (PAWS, challenge ACK).
     */
    private boolean reopens(final int slot, final int seq, final TcpOptions options)
    {
        final boolean beyond = SeqNum.gt(seq, records.rcvNxt(slot));
        if (!records.timestamps(slot) || !options.hasTimestamps || !config.timestamps())
        {
            return beyond;
        }
        final int tsRecent = records.tsRecent(slot);
        return SeqNum.gt(options.tsVal, tsRecent) || options.tsVal == tsRecent && beyond;
    }

    /** RFC 9293 §3.10.7.4 first: the four cases of segment acceptability (as {@link TcpReceiver#acceptable}). */
    private static boolean acceptable(final int seq, final int segLen, final int rcvWnd, final int rcvNxt)
    {
        if (segLen == 0)
        {
            return rcvWnd == 0 ? seq == rcvNxt : SeqNum.inWindow(seq, rcvNxt, rcvWnd);
        }
        return rcvWnd != 0
            && (SeqNum.inWindow(seq, rcvNxt, rcvWnd) || SeqNum.inWindow(seq + segLen - 1, rcvNxt, rcvWnd));
    }

    /** RFC 7323 §5.3 R1 with §5.5: TSval older than TS.Recent, while TS.Recent is younger than 24 days. */
    private boolean pawsRejects(final int slot, final int tsVal, final long nowNs)
    {
        return SeqNum.lt(tsVal, records.tsRecent(slot)) && tsRecentValid(slot, nowNs);
    }

    private boolean tsRecentValid(final int slot, final long nowNs)
    {
        return nowNs - records.tsRecentNs(slot) <= TcpTimestamps.PAWS_IDLE_LIMIT_NS;
    }

    /** RFC 5961 §7 (and Linux): pure ACKs to out-of-window segments at most once per interval; data always. */
    private void ackUnlessRateLimited(final int slot, final int segLen, final boolean syn, final long nowNs)
    {
        if (segLen == 0 || syn)
        {
            final long intervalNs = config.outOfWindowAckIntervalNs();
            final long last = records.lastOutOfWindowAckNs(slot);
            if (intervalNs > 0 && last != TcpConnection.NONE && nowNs - last < intervalNs)
            {
                counters.increment(Counter.TCP_OOW_ACKS_RATE_LIMITED);
                return;
            }
            records.lastOutOfWindowAckNs(slot, nowNs);
        }
        sendAck(slot, nowNs);
    }

    /** RFC 5961 §3.2, §4.2, §5.2, within the stack-wide budget of §7. */
    private void challengeAck(final int slot, final long nowNs)
    {
        if (owner.allowChallengeAck(nowNs))
        {
            counters.increment(Counter.TCP_CHALLENGE_ACKS);
            sendAck(slot, nowNs);
        }
        else
        {
            counters.increment(Counter.TCP_CHALLENGE_ACKS_RATE_LIMITED);
        }
    }

    /** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with timestamps when they are on (RFC 7323 §3.2, TSecr §4.3). */
    private void sendAck(final int slot, final long nowNs)
    {
        TcpOptions o = null;
        if (records.timestamps(slot))
        {
            o = sent;
            o.clear();
            o.hasTimestamps = true;
            o.tsVal = TcpTimestamps.clock(nowNs, records.tsOffset(slot));
            o.tsEcr = records.tsRecent(slot);
        }
        writer.sendControl(records.remoteAddress(slot), records.localPort(slot), records.remotePort(slot),
            records.sndNxt(slot), records.rcvNxt(slot), TcpFlags.ACK, records.windowField(slot), o, nowNs);
    }
}
