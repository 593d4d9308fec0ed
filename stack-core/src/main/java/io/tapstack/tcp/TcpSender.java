package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

import static io.tapstack.tcp.TcpConnection.NONE;

/**
 * The sending half of a connection: the send sequence space, segmentation (Nagle, sender SWS avoidance),
 * retransmission (RTO with go-back-N, fast retransmit, NewReno partial ACKs; SACK recovery in {@link SackRecovery},
 * RACK-TLP loss detection in {@link RackTlp}), RTT samples and the congestion-control hook; the persist timer and
 * zero-window probes are {@link TcpPersist}'s. Read RFC 9293 §3.3.1 (send sequence space), §3.8.6 (windows,
 * persist, SWS), §3.10.7.4 fifth (the ACK field), RFC 6298 (RTO), RFC 5681 and 6582 (congestion control) and
 * RFC 1122 §4.2.2.17 / §4.2.3.5 (probing a zero window, giving up) and RFC 7323 §2.2 and §4.1 (the peer's scaled
 * window, RTT samples from timestamps) first.
 *
 * <p>Sequence space: SND.UNA ≤ SND.NXT ≤ SND.MAX. SND.MAX is the highest sequence number sent; after an RTO
 * SND.NXT goes back to SND.UNA and the data is sent again (go-back-N), so an ACK is acceptable up to SND.MAX.
 * The send buffer holds the bytes from {@code dataStart} (the sequence number of its first byte; SND.UNA once
 * the SYN is acknowledged). A queued FIN has the sequence number after the last byte written.
 *
 * <p>It emits segments through its connection ({@link TcpConnection#emit}), which adds the receiver's ACK and
 * window; state transitions stay with the connection. Owned by the stack thread.
 */
final class TcpSender
{
    private final TcpConnection connection;
    private final TcpConfig config;
    private final StackCounters counters;
    final SendBuffer sendBuffer;
    final RttEstimator rtt;
    /** Replaced only before data is sent ({@link TcpHandshake#congestionControl}). */
    CongestionControl cc;
    private final TcpTimestamps ts;
    /** RFC 2018 scoreboard and RFC 6675 loss recovery, used when SACK was negotiated. */
    final SackRecovery sack;
    /** RFC 8985 RACK-TLP loss detection, used when SACK was negotiated. */
    final RackTlp rack;
    /** Around fast recovery: PRR (RFC 6937), limited transmit (RFC 3042), spurious-episode undo (RFC 3708, 3522). */
    final RecoveryPacing pacing;
    /** The receiving half, whose SACK blocks shorten our data segments (set by the connection). */
    TcpReceiver receiver;

    // --- send sequence space (RFC 9293 §3.3.1)
    int iss;
    int sndUna;
    int sndNxt;
    /** The highest sequence number sent; SND.NXT ≤ SND.MAX. */
    int sndMax;
    int sndWnd;
    int sndWl1;
    int sndWl2;
    /** The largest window the peer has offered (RFC 9293 §3.8.6.2.1; RFC 5961 §5.2's MAX.SND.WND). */
    int maxSndWnd;
    /** Snd.Wind.Shift (RFC 7323 §2.2): the peer's window field is shifted left by it, 0 unless negotiated. */
    int sndWindShift;
    int sendMss;
    /** The sequence number of the send buffer's first byte. */
    int dataStart;
    boolean finQueued;
    /** The FIN's sequence number, valid while {@code finQueued}. */
    int finSeq;
    boolean nagle;

    // --- RTT sampling (RFC 6298 §3: one segment timed at a time, Karn's rule)
    private boolean rttTiming;
    private int rttSeq;
    private long rttStartNs;

    // --- retransmission and probing
    int retransmissions;
    /** When the first retransmission without an ACK since went out (user timeout, RFC 1122 §4.2.2.17). */
    long firstRetransmitNs;
    int dupAcks;
    long lastSendNs;
    /** What was sent again, by cause, for {@link TcpInfo}. */
    final RetransmitCounts retransmits = new RetransmitCounts();
    /** The persist timer and zero-window probes. */
    final TcpPersist persist;

    /** The retransmission timer (absolute ns, NONE when off). */
    long rtoDeadline = NONE;

    TcpSender(final TcpConnection connection, final TcpConfig config, final StackCounters counters,
        final int ourMss, final TcpTimestamps ts, final TcpMemory memory)
    {
        this.connection = connection;
        this.ts = ts;
        this.config = config;
        this.counters = counters;
        this.sendMss = Math.min(TcpConnection.DEFAULT_PEER_MSS, ourMss);
        this.sendBuffer = new SendBuffer(config.sendBufferBytes(), config.sendBufferMaxBytes(), memory, counters);
        this.rtt = new RttEstimator(config.initialRtoNs(), config.minRtoNs(), config.maxRtoNs(),
            RttEstimator.DEFAULT_GRANULARITY_NS);
        this.cc = config.congestionControl().create(config);
        this.nagle = config.nagle();
        this.sack = new SackRecovery(this, counters, config.maxSackScoreboardIntervals());
        this.rack = new RackTlp(connection, this, config, counters, ts);
        this.persist = new TcpPersist(connection, this, config, counters);
        this.pacing = new RecoveryPacing(this, counters, config, ts);
    }

    void initSendSequence(final int isn)
    {
        iss = isn;
        sndUna = isn;
        sndNxt = isn;
        sndMax = isn;
        dataStart = isn + 1;
    }

    /** SEG.WND in bytes: scaled by Snd.Wind.Shift, except on a SYN (RFC 7323 §2.2: a SYN's window is not scaled). */
    int windowOf(final TcpHeader seg)
    {
        return (seg.flags() & TcpFlags.SYN) != 0 ? seg.window() : seg.window() << sndWindShift;
    }

    /** The send window from a SYN or SYN-ACK (RFC 9293 §3.10.7.2-3: not scaled on a SYN). */
    void initSendWindow(final int window, final int seq, final int ack)
    {
        sndWnd = window;
        maxSndWnd = window;
        sndWl1 = seq;
        sndWl2 = ack;
    }

    /** The send window from the ACK that completes a passive open (RFC 9293 §3.10.7.4 fifth, SYN-RECEIVED). */
    void updateSendWindowOnEstablish(final int window, final int seq, final int ack)
    {
        sndWnd = window;
        maxSndWnd = Math.max(maxSndWnd, window);
        sndWl1 = seq;
        sndWl2 = ack;
    }

    /** RFC 9293 §3.10.4: the FIN goes after the bytes written so far. */
    void queueFin()
    {
        finQueued = true;
        finSeq = dataStart + sendBuffer.size();
    }

    boolean finAcked()
    {
        return finQueued && SeqNum.gt(sndUna, finSeq);
    }

    /**
     * RFC 9293 §3.10.5: a RST carries SND.NXT, the highest sequence number sent (our SND.MAX: an RTO moves our
     * SND.NXT back, and a peer whose ACKs were lost has everything up to SND.MAX and drops a RST below its window,
     * RFC 5961 §3.2), pulled back to the right edge of the peer's window when beyond it, as a probe byte a zero
     * window dropped is (Linux's tcp_acceptable_seq()).
     */
    int resetSeq()
    {
        final int rightEdge = sndUna + sndWnd;
        final int seq = SeqNum.le(sndMax, rightEdge) ? sndMax : rightEdge;
        return SeqNum.lt(seq, sndNxt) ? sndNxt : seq;
    }

    // ------------------------------------------------------------------------------------------------ the ACK field

    /**
     * RFC 9293 §3.10.7.4 fifth: an acceptable ACK (RFC 5961 §5.2 checked by the caller): new data acknowledged,
     * a duplicate ACK, or a window update.
     */
    void onAcceptableAck(final TcpHeader seg, final TcpOptions options, final int seq, final int ack,
        final int dataLength, final long nowNs)
    {
        final int window = windowOf(seg);
        final int flightBefore = sndMax - sndUna;
        persist.onAckHeard();
        pacing.beforeAck();
        final int newlySacked = sack.enabled ? sack.onSackBlocks(options, ack) : 0;
        rack.onAck(ack, options, nowNs); // RFC 8985 §6.2, §7.4: before SND.UNA moves
        final boolean classicDuplicate = ack == sndUna && dataLength == 0 && (seg.flags() & TcpFlags.FIN) == 0
            && window == sndWnd && window != 0 && sndMax != sndUna;
        if (SeqNum.gt(ack, sndUna))
        {
            onNewAck(ack, flightBefore, options, nowNs);
        }
        else if (sack.enabled ? ack == sndUna && sndMax != sndUna
            && (newlySacked > 0 || options.sackBlockCount == 0 && classicDuplicate) : classicDuplicate)
        {
            // RFC 6675 §2: with SACK a duplicate ACK is one that SACKs new data (or, from a peer that sends no
            // blocks, RFC 5681's)
            onDuplicateAck(nowNs);
        }
        pacing.afterAck(options, ack, nowNs); // RFC 6937: PRR's window for this ACK; RFC 3708: undo
        // RFC 9293 §3.10.7.4: update the send window only from a newer segment (SND.WL1/WL2)
        if (SeqNum.lt(sndWl1, seq) || (sndWl1 == seq && SeqNum.le(sndWl2, ack)))
        {
            if (window != sndWnd)
            {
                connection.events().onSendWindow(connection, window, nowNs);
            }
            if (sndWnd == 0 && window > 0 && retransmissions > 0)
            {
                // RFC 1122 §4.2.2.17: while the peer answered our retransmissions with a zero window it was alive;
                // once it opens the window the user timeout counts from now, not from the first retransmission
                firstRetransmitNs = nowNs;
            }
            sndWnd = window;
            sndWl1 = seq;
            sndWl2 = ack;
            maxSndWnd = Math.max(maxSndWnd, window);
            if (window > 0)
            {
                persist.onWindowOpen();
            }
        }
    }

    private void onNewAck(final int ack, final int flightBefore, final TcpOptions options, final long nowNs)
    {
        // bytes of sequence space newly acknowledged, then how much of that is data in the send buffer
        final int acked = ack - sndUna;
        int dataAcked = SeqNum.diff(ack, dataStart);
        dataAcked = Math.max(0, Math.min(dataAcked, sendBuffer.size()));
        if (dataAcked > 0)
        {
            sendBuffer.release(dataAcked);
            dataStart += dataAcked;
            if (sendBuffer.isEmpty())
            {
                connection.idleBuffers.onEmptied(nowNs); // the layer learns the deadline after this segment
            }
        }
        sndUna = ack;
        if (SeqNum.lt(sndNxt, sndUna))
        {
            sndNxt = sndUna;
        }
        sampleRtt(ack, options, nowNs);
        retransmissions = 0;
        firstRetransmitNs = NONE;

        if (sack.enabled)
        {
            sack.scoreboard.trimBelow(sndUna);
            if (sack.endsRecovery(ack))
            {
                // RFC 6675 §5 (A): the scoreboard above the new SND.UNA is kept
                sack.active = false;
                rack.onRecoveryEnd(); // RFC 8985 §6.2 step 4
                cc.onFullAck(sndMax - sndUna, nowNs);
                sack.maybeEnter(0, nowNs); // step (2.b) on the same ACK: a loss of data sent during that recovery
            }
            else if (!sack.active)
            {
                if (dataAcked > 0)
                {
                    cc.onAck(dataAcked, flightBefore, nowNs);
                }
                sack.maybeEnter(0, nowNs); // RFC 6675 §5 step 2: IsLost(HighACK + 1)
            }
            dupAcks = 0; // RFC 6675 §5: a cumulative ACK resets DupAcks; (B)-(C) run from sendData
        }
        // congestion control (RFC 5681 §3.2, RFC 6582 §3.2 steps 5-6)
        else if (cc.inRecovery())
        {
            if (cc.isFullAck(ack))
            {
                cc.onFullAck(sndMax - sndUna, nowNs);
                dupAcks = 0;
            }
            else
            {
                cc.onPartialAck(acked, nowNs);
                // RFC 6582 §3.2 step 5: retransmit the first unacknowledged segment at once
                retransmitFirst(TcpEventListener.RETRANSMIT_PARTIAL_ACK, nowNs);
            }
        }
        else
        {
            dupAcks = 0;
            if (dataAcked > 0)
            {
                cc.onAck(dataAcked, flightBefore, nowNs);
            }
        }

        sendBuffer.followCongestionWindow(cc.cwnd(), connection, nowNs); // about 2 x cwnd (Linux's sndbuf_expand)
        // RFC 6298 §5.2-5.3: stop the timer when all is acknowledged, else restart it
        rtoDeadline = sndUna == sndMax ? NONE : nowNs + rtt.rtoNs();
        rack.schedulePto(nowNs); // RFC 8985 §7.2: new data acknowledged
        if (dataAcked > 0 && !finQueued)
        {
            connection.onSendBufferFreed();
        }
    }

    private void onDuplicateAck(final long nowNs)
    {
        counters.increment(Counter.TCP_DUP_ACKS_RX);
        dupAcks++;
        if (sack.enabled)
        {
            sack.maybeEnter(dupAcks, nowNs); // RFC 6675 §5 steps 1-4; in recovery, (B)-(C) run from sendData
        }
        else if (cc.inRecovery())
        {
            // RFC 5681 §3.2 step 4: inflate by one segment per further duplicate
            cc.onDuplicateAckInRecovery(nowNs);
        }
        else if (dupAcks == 3)
        {
            // RFC 5681 §3.2 steps 1-3 with RFC 6582's guard against a second recovery for the same loss
            if (cc.onThirdDuplicateAck(sndUna, pacing.lossFlightSize(), sndMax, nowNs))
            {
                counters.increment(Counter.TCP_FAST_RETRANSMITS);
                retransmitFirst(TcpEventListener.RETRANSMIT_FAST, nowNs);
            }
        }
    }

    /**
     * An ACK of new data: an RTT sample from its TSecr when timestamps are in use (RFC 7323 §4.1: every such ACK,
     * retransmissions included), else from the ACK of the timed segment (RFC 6298 §3, Karn: never from a
     * retransmission).
     */
    void sampleRtt(final int ack, final TcpOptions options, final long nowNs)
    {
        if (ts.enabled)
        {
            final long sample = options.hasTimestamps ? ts.rttSampleNs(options.tsEcr, nowNs) : -1;
            if (sample >= 0)
            {
                takeRttSample(sample, nowNs);
            }
            return;
        }
        if (rttTiming && SeqNum.ge(ack, rttSeq))
        {
            rttTiming = false;
            takeRttSample(nowNs - rttStartNs, nowNs);
        }
    }

    private void takeRttSample(final long sampleNs, final long nowNs)
    {
        final long before = rtt.rtoNs();
        rtt.sample(sampleNs);
        cc.onRttSample(sampleNs, rtt.srttNs(), nowNs);
        rack.onRttSample(sampleNs, nowNs);
        if (rtt.rtoNs() != before)
        {
            connection.events().onRtoChange(connection, rtt.rtoNs(), nowNs);
        }
    }

    // ------------------------------------------------------------------------------------------------ output

    /** Sends the data (and FIN) that the windows, Nagle and SWS avoidance allow now. */
    void sendData(final long nowNs)
    {
        if (sndUna == sndMax && lastSendNs != 0 && sendBuffer.size() > 0)
        {
            // RFC 5681 §4.1: restart from the initial window after an idle period longer than the RTO
            cc.onIdle(nowNs - lastSendNs, rtt.rtoNs(), nowNs);
        }
        if (sack.active)
        {
            sack.retransmitLost(nowNs); // RFC 6675 NextSeg() rule 1 before new data
        }
        sendNewData(nowNs);
        if (sack.active)
        {
            sack.retransmitRest(nowNs); // NextSeg() rules 3 and 4 after it
        }
    }

    /** Sends from SND.NXT: new data, or after an RTO the data again (go-back), skipping what the peer SACKed. */
    private void sendNewData(final long nowNs)
    {
        final int dataEnd = dataStart + sendBuffer.size();
        final int mss = segmentMss();
        while (true)
        {
            int sackedLimit = Integer.MAX_VALUE;
            if (sack.enabled && SeqNum.lt(sndNxt, sndMax))
            {
                // RFC 6675 §5.1: after an RTO, data the peer SACKed is not sent again
                sndNxt = sack.scoreboard.skipSacked(sndNxt);
                sackedLimit = SeqNum.diff(sack.scoreboard.nextSackedAbove(sndNxt, sndMax), sndNxt);
                if (sackedLimit <= 0)
                {
                    sackedLimit = Integer.MAX_VALUE;
                }
            }
            final int inFlight = sndNxt - sndUna;
            // RFC 6675 §5 (C): during SACK recovery cwnd is compared with pipe; otherwise with the bytes sent but
            // not acknowledged (less those SACKed after an RTO, §5.1)
            final int flight = sack.active ? sack.pipe(cc.smss())
                : sack.enabled ? inFlight - sack.scoreboard.sackedBetween(sndUna, sndNxt)
                : pacing.flightWithoutSack(inFlight);
            final int usable = Math.min(sndWnd - inFlight, cc.cwnd() - flight);
            final int unsent = SeqNum.diff(dataEnd, sndNxt);
            if (unsent > 0)
            {
                final int length = Math.min(Math.min(Math.min(unsent, mss), sackedLimit), Math.max(usable, 0));
                if (length <= 0)
                {
                    persist.armIfStalled(nowNs);
                    return;
                }
                if (length < mss)
                {
                    // RFC 9293 §3.7.4 Nagle and §3.8.6.2.1 sender SWS avoidance: a short segment goes only when
                    // it is all there is and nothing is in flight (or Nagle is off), or it fills half the
                    // largest window the peer offered
                    final boolean allThereIs = length == unsent;
                    // both rules hold back new data only: bytes below SND.MAX were sent before and are being
                    // retransmitted after an RTO (go-back), which must not wait (RFC 6298 §5.4)
                    final boolean retransmission = SeqNum.lt(sndNxt, sndMax);
                    final boolean mayGo = retransmission || allThereIs && (inFlight == 0 || !nagle)
                        || length >= maxSndWnd / 2;
                    if (!mayGo)
                    {
                        persist.armIfStalled(nowNs);
                        return;
                    }
                }
                final boolean fin = finQueued && sndNxt + length == finSeq;
                int flags = TcpFlags.ACK;
                if (length == unsent)
                {
                    flags |= TcpFlags.PSH;
                }
                if (fin)
                {
                    flags |= TcpFlags.FIN;
                }
                if (!emitData(sndNxt, length, flags, nowNs))
                {
                    return;
                }
                advanceSndNxt(length + (fin ? 1 : 0), nowNs);
            }
            else if (finQueued && sndNxt == finSeq && (sndWnd > 0 || SeqNum.ge(sndNxt, sndMax)))
            {
                // a FIN already sent goes again into a zero window only from the RTO (RFC 9293 §3.8.6.1), which
                // just did; resending it here too doubled every retransmission and, by moving SND.NXT past it,
                // kept it from going again the moment the window opened
                if (!emitData(sndNxt, 0, TcpFlags.FIN | TcpFlags.ACK, nowNs))
                {
                    return;
                }
                advanceSndNxt(1, nowNs);
            }
            else
            {
                return;
            }
        }
    }

    /** Linux's tcp_current_mss: the SACK blocks our ACKs carry come out of a data segment. */
    private int segmentMss()
    {
        return Math.max(sendMss - (receiver == null ? 0 : receiver.sackOptionBytes(ts.enabled ? 3 : 4)),
            Math.min(sendMss, 64));
    }

    /** Emits data (and/or the FIN) from the send buffer, and tells RACK when it went (RFC 8985 §6.1). */
    boolean emitData(final int seq, final int length, final int flags, final long nowNs)
    {
        if (!connection.emit(seq, length, flags, nowNs))
        {
            return false;
        }
        rack.onSent(seq, seq + length + ((flags & TcpFlags.FIN) != 0 ? 1 : 0), nowNs);
        return true;
    }

    void advanceSndNxt(final int length, final long nowNs)
    {
        final boolean newData = SeqNum.ge(sndNxt, sndMax);
        pacing.onSent(sndNxt, length, !newData, false, nowNs);
        sndNxt += length;
        if (SeqNum.gt(sndNxt, sndMax))
        {
            if (newData && !rttTiming)
            {
                // time one segment at a time (RFC 6298 §3, without timestamps)
                startRttTiming(sndNxt, nowNs);
            }
            sndMax = sndNxt;
        }
        if (rtoDeadline == NONE)
        {
            rtoDeadline = nowNs + rtt.rtoNs();
        }
        if (newData)
        {
            rack.schedulePto(nowNs); // RFC 8985 §7.2: new data sent
        }
        if (finQueued && sndNxt == finSeq + 1)
        {
            connection.onFinSent(nowNs);
        }
    }

    /** SYN or SYN-ACK sent (again): SND.NXT past it, timed if it is the first, the RTO running. */
    void onSynSent(final long nowNs)
    {
        if (SeqNum.ge(sndNxt, sndMax))
        {
            sndNxt = iss + 1;
            sndMax = iss + 1;
            if (!rttTiming && retransmissions == 0)
            {
                startRttTiming(iss + 1, nowNs);
            }
        }
        else
        {
            sndNxt = iss + 1;
        }
        rtoDeadline = nowNs + rtt.rtoNs();
    }

    private void startRttTiming(final int seq, final long nowNs)
    {
        rttTiming = true;
        rttSeq = seq;
        rttStartNs = nowNs;
    }

    private void retransmitFirst(final String reason, final long nowNs)
    {
        retransmit(sndUna, Integer.MAX_VALUE, reason, nowNs);
    }

    /**
     * Sends again one segment of at most SMSS and {@code maxLength} from {@code seq} (below SND.MAX), with the FIN when
     * it reaches it.
     *
     * @return the sequence space resent (data and FIN); 0 when nothing was
     */
    int retransmit(final int seq, final int maxLength, final String reason, final long nowNs)
    {
        return retransmit(seq, maxLength, reason, false, nowNs);
    }

    /** As above; {@code probe}: a loss probe (RFC 8985 §7.3), which belongs to no loss episode yet. */
    private int retransmit(final int seq, final int maxLength, final String reason, final boolean probe,
        final long nowNs)
    {
        final int dataEnd = dataStart + sendBuffer.size();
        // RFC 9293 §3.3.1: resend only what was sent (up to SND.MAX), or the peer's ACK of it looks unacceptable
        final int sentEnd = SeqNum.lt(sndMax, dataEnd) ? sndMax : dataEnd;
        final int length = Math.min(Math.min(sendMss, maxLength), Math.max(0, SeqNum.diff(sentEnd, seq)));
        final boolean fin = finQueued && seq + length == finSeq && SeqNum.gt(sndMax, finSeq) && length < maxLength;
        if (length == 0 && !fin)
        {
            return 0;
        }
        rttTiming = false; // Karn: no sample from a retransmitted segment
        retransmits.count(reason);
        connection.events().onRetransmit(connection, seq, length, reason, nowNs);
        int flags = TcpFlags.ACK | (fin ? TcpFlags.FIN : 0);
        if (length > 0)
        {
            flags |= TcpFlags.PSH;
        }
        if (!emitData(seq, length, flags, nowNs))
        {
            return 0;
        }
        counters.increment(Counter.TCP_RETRANSMITTED_SEGMENTS);
        pacing.onSent(seq, length + (fin ? 1 : 0), true, probe, nowNs);
        if (!probe && seq == sndUna && (sack.active || cc.inRecovery()))
        {
            // RFC 6675 §6's careful variant, as Linux: SND.UNA resent in recovery is given a whole RTO to be ACKed,
            // not what is left of one armed by the last cumulative ACK (RFC 6298 §5.3), which may expire first
            rtoDeadline = nowNs + rtt.rtoNs();
        }
        return length + (fin ? 1 : 0);
    }

    /** RFC 8985 §7.3: a loss probe of new data: one segment from SND.NXT that the peer's window takes (not cwnd). */
    boolean sendNewDataProbe(final long nowNs)
    {
        final int unsent = SeqNum.diff(dataStart + sendBuffer.size(), sndNxt);
        final int length = Math.min(unsent, segmentMss());
        if (sndNxt != sndMax || length <= 0 || SeqNum.diff(sndNxt + length, sndUna) > sndWnd)
        {
            return false;
        }
        final boolean fin = finQueued && sndNxt + length == finSeq;
        retransmits.count(TcpEventListener.PROBE_TLP_NEW_DATA);
        connection.events().onRetransmit(connection, sndNxt, length, TcpEventListener.PROBE_TLP_NEW_DATA, nowNs);
        final int flags = TcpFlags.ACK | (length == unsent ? TcpFlags.PSH : 0) | (fin ? TcpFlags.FIN : 0);
        if (!emitData(sndNxt, length, flags, nowNs))
        {
            return false;
        }
        advanceSndNxt(length + (fin ? 1 : 0), nowNs);
        return true;
    }

    /** RFC 8985 §7.3: a loss probe that resends the last segment sent: up to an MSS of data ending at SND.MAX. */
    boolean retransmitLastSegment(final long nowNs)
    {
        final int dataEnd = dataStart + sendBuffer.size();
        final int sentEnd = SeqNum.lt(sndMax, dataEnd) ? sndMax : dataEnd;
        final int start = SeqNum.diff(sentEnd, sndUna) > sendMss ? sentEnd - sendMss : sndUna;
        return retransmit(start, sndMax - start, TcpEventListener.RETRANSMIT_TLP, true, nowNs) > 0;
    }

    // ------------------------------------------------------------------------------------------------ timers

    /**
     * RFC 6298 §5.5 and RFC 1122 §4.2.2.17: counts one more retransmission and says whether the connection gives up
     * now (SYN retries spent; the user timeout passed; a zero window whose probes went unanswered).
     */
    boolean retransmissionLimitReached(final boolean handshake, final boolean passive, final long nowNs)
    {
        if (firstRetransmitNs == NONE || retransmissions == 0)
        {
            firstRetransmitNs = nowNs;
        }
        retransmissions++;
        // RFC 1122 §4.2.2.17: a receiver that keeps answering with a zero window keeps the connection alive
        return handshake ? retransmissions > (passive ? config.synAckRetries() : config.synRetries())
            : sndWnd == 0 ? persist.probesUnanswered(nowNs) : nowNs - firstRetransmitNs >= config.userTimeoutNs();
    }

    /** RFC 6298 §5.5-5.6: back off the timer; no RTT sample from what is resent (Karn). */
    void backOff(final long nowNs)
    {
        rtt.backoff();
        connection.events().onRtoChange(connection, rtt.rtoNs(), nowNs);
        rttTiming = false;
        counters.increment(Counter.TCP_RTO_EXPIRIES);
    }

    /** RFC 6298 §5.4-5.7 and RFC 5681 §3.1: after the back-off, go back to SND.UNA and resend from there. */
    void onRetransmissionTimeout(final long nowNs)
    {
        // RFC 5681 §3.1 equation 4; with SACK at most cwnd, as for fast recovery (RecoveryPacing.lossFlightSize)
        cc.onRetransmissionTimeout(sack.enabled ? Math.min(sndMax - sndUna, cc.cwnd()) : sndMax - sndUna, sndMax,
            nowNs);
        sack.onRetransmissionTimeout(retransmissions); // RFC 6675 §5.1, RFC 2018 §8
        rack.onRetransmissionTimeout(retransmissions > 1, nowNs); // RFC 8985 §6.3
        dupAcks = 0;
        // go back: everything from SND.UNA is sent again as the window allows
        sndNxt = sndUna;
        if (sndWnd == 0)
        {
            // RFC 9293 §3.8.6.1: retransmit even into a zero (shrunk) window, so the peer can reopen it
            rtoDeadline = nowNs + rtt.rtoNs();
            retransmitFirst(TcpEventListener.RETRANSMIT_RTO, nowNs);
            persist.onProbeSent(nowNs);
            return;
        }
        retransmits.count(TcpEventListener.RETRANSMIT_RTO);
        connection.events().onRetransmit(connection, sndUna, Math.min(sendMss, sndMax - sndUna),
            TcpEventListener.RETRANSMIT_RTO, nowNs);
        counters.increment(Counter.TCP_RETRANSMITTED_SEGMENTS);
        rtoDeadline = nowNs + rtt.rtoNs();
    }

    void stopTimers()
    {
        rtoDeadline = NONE;
        persist.deadline = NONE;
        rack.stopTimers();
    }

    /** The earliest of the RTO and RACK-TLP's timers. */
    long lossDeadlineNs()
    {
        return Math.min(rtoDeadline, rack.deadlineNs());
    }
}
