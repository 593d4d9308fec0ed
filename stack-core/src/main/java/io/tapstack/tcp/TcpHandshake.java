package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

/**
 * Opening a connection: active open (SYN-SENT), passive open (SYN-RECEIVED from a listener), simultaneous open,
 * the SYN and SYN-ACK and their retransmission. Read RFC 9293 §3.5 (figures 6-8), §3.7.1 (MSS), §3.10.1 (OPEN),
 * §3.10.7.2-3 (a SYN to LISTEN, segments in SYN-SENT), RFC 6298 §5.7 (the RTO after a SYN timeout) and RFC 7323 §2.2
 * and §3.2 (negotiating window scaling and timestamps) first.
 * Owned by the stack thread.
 */
final class TcpHandshake
{
    /** RFC 7323 §3.2: NOP, NOP and the 10-byte timestamps option, on every segment once negotiated. */
    static final int TIMESTAMPS_OPTION_BYTES = 12;
    private final TcpConnection connection;
    private final TcpSender snd;
    private final TcpReceiver rcv;
    private final TcpTimestamps ts;
    private final TcpConfig config;
    private final StackCounters counters;
    private final int ourMss;
    /** The options of the next segment we send (one holder, reused). */
    private final TcpOptions sent = new TcpOptions();
    /** Both SYNs carried the window scale option (RFC 7323 §2.2); the shifts are in the sender and receiver. */
    private boolean windowScaling;
    /** Our SYN or SYN-ACK had to be sent again: the initial window is one segment (RFC 5681 §3.1). */
    private boolean synRetransmitted;
    /** Passes the congestion control's window changes on to the connection's event listener. */
    private final CongestionControl.Listener ccListener;

    TcpHandshake(final TcpConnection connection, final TcpSender snd, final TcpReceiver rcv, final TcpTimestamps ts,
        final TcpConfig config, final StackCounters counters, final int ourMss)
    {
        this.connection = connection;
        this.snd = snd;
        this.rcv = rcv;
        this.ts = ts;
        this.config = config;
        this.counters = counters;
        this.ourMss = ourMss;
        this.ccListener = (reason, cwnd, ssthresh, nowNs) -> connection.events().onCongestionChange(connection,
            reason, cwnd, ssthresh, nowNs);
        snd.cc.listener(ccListener);
    }

    /**
     * Replaces the sender's congestion control: before the handshake completes (the window is set up then), or
     * after it while nothing but the SYN was sent (an accepted connection, at once re-initialised with the MSS).
     *
     * @return the connection
     * @throws IllegalStateException once data or a FIN was sent
     */
    TcpConnection congestionControl(final CongestionAlgorithm algorithm, final long nowNs)
    {
        final TcpState state = connection.state();
        final boolean opening = state == TcpState.CLOSED || state == TcpState.SYN_SENT
            || state == TcpState.SYN_RECEIVED;
        if (!opening && snd.sndMax != snd.iss + 1)
        {
            throw new IllegalStateException("congestion control can change only before data is sent: " + state);
        }
        final CongestionControl cc = algorithm.create(config);
        cc.listener(ccListener);
        if (!opening)
        {
            cc.init(snd.sendMss, nowNs);
        }
        snd.cc = cc;
        return connection;
    }

    /** Active open (RFC 9293 §3.10.1): send SYN, enter SYN-SENT. */
    void open(final int isn, final long nowNs)
    {
        snd.initSendSequence(isn);
        connection.transition(TcpState.SYN_SENT, nowNs);
        sendSyn(nowNs);
    }

    /** Passive open on a SYN for a listener (RFC 9293 §3.10.7.2): send SYN-ACK, enter SYN-RECEIVED. */
    void acceptSyn(final TcpHeader seg, final TcpOptions options, final int isn, final long nowNs)
    {
        rcv.onSyn(seg.sequenceNumber());
        applyPeerOptions(options, nowNs);
        snd.initSendSequence(isn);
        // RFC 9293 §3.10.7.2: the SYN's window is the send window (not scaled on a SYN)
        snd.initSendWindow(seg.window(), seg.sequenceNumber(), snd.iss);
        connection.transition(TcpState.SYN_RECEIVED, nowNs);
        sendSyn(nowNs);
    }

    /** The peer's SYN or SYN-ACK: its MSS, and the RFC 7323 options that both SYNs carry. */
    private void applyPeerOptions(final TcpOptions options, final long nowNs)
    {
        // RFC 7323 §2.2: window scaling is used only when both SYNs carry the option (ours does when configured)
        if (config.windowScaling() && options.windowScale >= 0)
        {
            windowScaling = true;
            snd.sndWindShift = options.windowScale;
            rcv.rcvWindShift = rcv.offeredWindShift;
            counters.increment(Counter.TCP_WINDOW_SCALE_NEGOTIATED);
        }
        // RFC 7323 §3.2: so are timestamps
        if (config.timestamps() && options.hasTimestamps)
        {
            ts.onSyn(options, nowNs);
            counters.increment(Counter.TCP_TIMESTAMPS_NEGOTIATED);
        }
        // RFC 2018 §2: SACK only when both SYNs carry SACK-permitted
        if (config.sack() && options.sackPermitted)
        {
            rcv.sackEnabled = true;
            snd.sack.enabled = true;
            counters.increment(Counter.TCP_SACK_PERMITTED_NEGOTIATED);
        }
        // RFC 9293 §3.7.1: effective send MSS is the peer's MSS (536 if absent) bounded by our MTU; RFC 6691 and
        // RFC 7323 §3.2: the MSS counts no options, so the 12 bytes of timestamps on every segment come out of it
        // RFC 9293 §3.7.1: the peer's MSS (536 if absent), at least 64 (a peer's tiny MSS would make us send tiny
        // segments), but never above what our own MTU carries unfragmented
        final int peerMss = options.mss > 0 ? options.mss : TcpConnection.DEFAULT_PEER_MSS;
        final int optionBytes = ts.enabled ? TIMESTAMPS_OPTION_BYTES : 0;
        snd.sendMss = Math.min(ourMss - optionBytes, Math.max(64, peerMss - optionBytes));
    }

    /**
     * The options of the next segment: a SYN carries our MSS and, on our SYN, the RFC 7323 options the config
     * allows, on a SYN-ACK those the peer's SYN carried (RFC 7323 §2.2, §3.2); once timestamps are negotiated every
     * segment carries them (RFC 7323 §3.2), with TSecr from TS.Recent (§4.3).
     */
    TcpOptions optionsFor(final boolean syn, final int dataLength, final long nowNs)
    {
        final TcpOptions o = sent;
        o.clear();
        final boolean offer = connection.state() == TcpState.SYN_SENT;
        if (syn)
        {
            o.mss = ourMss;
            if (offer ? config.windowScaling() : windowScaling)
            {
                o.windowScale = rcv.offeredWindShift;
            }
            o.sackPermitted = offer ? config.sack() : rcv.sackEnabled; // RFC 2018 §2
        }
        else if (rcv.sackEnabled)
        {
            // RFC 2018 §3: as many blocks as fit beside the other options (3 with timestamps, 4 without) and, on
            // data, within the segment size (the sender left room for them)
            final int room = Math.min(maxSackBlocks(), (snd.sendMss - dataLength - 4) / 8);
            rcv.writeSackBlocks(o, Math.max(room, 0));
        }
        if (syn && offer ? config.timestamps() : ts.enabled)
        {
            o.hasTimestamps = true;
            o.tsVal = ts.tsVal(nowNs);
            // RFC 7323 §3.2: TSecr is 0 on a segment without ACK (our SYN)
            o.tsEcr = syn && offer ? 0 : ts.tsRecent;
        }
        return o;
    }

    /** RFC 2018 §3: 40 bytes of options hold 4 SACK blocks, 3 beside the 12 bytes of timestamps. */
    int maxSackBlocks()
    {
        return ts.enabled ? 3 : 4;
    }

    /** RFC 9293 §3.10.7.3: a segment in SYN-SENT. */
    void onSegmentInSynSent(final TcpHeader seg, final TcpOptions options, final long nowNs)
    {
        final int flags = seg.flags();
        final boolean hasAck = (flags & TcpFlags.ACK) != 0;
        final int ack = seg.acknowledgmentNumber();
        if (hasAck && (SeqNum.le(ack, snd.iss) || SeqNum.gt(ack, snd.sndMax)))
        {
            // first: an ACK for something we never sent
            if ((flags & TcpFlags.RST) == 0)
            {
                connection.sendReset(ack, nowNs);
            }
            return;
        }
        if ((flags & TcpFlags.RST) != 0)
        {
            // second: RFC 5961 §3.2 in SYN-SENT: a RST is valid only if it acknowledges our SYN
            if (hasAck)
            {
                counters.increment(Counter.TCP_RST_RX);
                connection.resetBy("connection refused", nowNs);
            }
            return;
        }
        if ((flags & TcpFlags.SYN) == 0)
        {
            return;
        }
        // fourth: the SYN
        rcv.onSyn(seg.sequenceNumber());
        applyPeerOptions(options, nowNs);
        if (hasAck)
        {
            snd.sndUna = ack;
            snd.initSendWindow(seg.window(), seg.sequenceNumber(), ack);
            snd.sampleRtt(ack, options, nowNs);
            snd.retransmissions = 0;
            snd.rtoDeadline = TcpConnection.NONE;
            snd.rtt.onEstablishedAfterSynTimeout(); // RFC 6298 §5.7: RTO = 3 s when the SYN timed out without a sample
            initCongestionControl(nowNs);
            rcv.ackNow = true;
            connection.transition(TcpState.ESTABLISHED, nowNs);
            counters.increment(Counter.TCP_ESTABLISHED);
            connection.notifyConnected();
            connection.acceptTextOnSynAck(seg, nowNs);
        }
        else
        {
            // simultaneous open (§3.10.7.3 fourth, figure 8): SYN-RECEIVED, send SYN-ACK with our ISS
            snd.sndWnd = seg.window();
            snd.maxSndWnd = snd.sndWnd;
            snd.sndWl1 = seg.sequenceNumber();
            snd.sndNxt = snd.iss;
            connection.transition(TcpState.SYN_RECEIVED, nowNs);
            sendSyn(nowNs);
        }
    }

    /**
     * RFC 4987 §3.6: a SYN cookie came back in the ACK of our SYN-ACK: the connection is set up as if it had waited
     * in SYN-RECEIVED (ISS from the cookie, IRS from the ACK's sequence number, the MSS the cookie carried) and is
     * established at once. When the SYN carried timestamps, the cookie's SYN-ACK carried them too, and its TSval the
     * window scale and SACK-permitted options of the SYN ({@code tsOptions}; else {@link SynCookies#NO_TIMESTAMPS}):
     * they are in use as if negotiated, TS.Recent from this ACK. No RTT sample: the SYN-ACK's send time was not kept
     * (and its TSval's low bits are not time).
     */
    void acceptCookie(final TcpHeader seg, final TcpOptions options, final int iss, final int mss,
        final int tsOptions, final long nowNs)
    {
        rcv.onSyn(seg.sequenceNumber() - 1);
        rcv.onSynAckAnnounced(SynCookieHandshake.synAckWindow(connection.config()));
        int optionBytes = 0;
        if (tsOptions != SynCookies.NO_TIMESTAMPS)
        {
            applyCookieOptions(options, tsOptions, nowNs);
            optionBytes = TIMESTAMPS_OPTION_BYTES;
        }
        // RFC 9293 §3.7.1, RFC 6691: as applyPeerOptions, from the MSS the cookie kept
        snd.sendMss = Math.min(ourMss - optionBytes, Math.max(64, mss - optionBytes));
        snd.initSendSequence(iss);
        snd.sndNxt = iss + 1;
        snd.sndMax = iss + 1;
        // the ACK's window is scaled when window scaling is in use (RFC 7323 §2.2: only SYNs are not)
        snd.initSendWindow(snd.windowOf(seg), seg.sequenceNumber(), seg.acknowledgmentNumber());
        connection.transition(TcpState.SYN_RECEIVED, nowNs);
        snd.sndUna = seg.acknowledgmentNumber();
        initCongestionControl(nowNs);
        connection.transition(TcpState.ESTABLISHED, nowNs);
        counters.increment(Counter.TCP_ESTABLISHED);
        connection.notifyEstablished();
    }

    /** The options a cookie's SYN-ACK agreed to (RFC 7323 §2.2, §3.2, RFC 2018 §2), as applyPeerOptions would. */
    private void applyCookieOptions(final TcpOptions ackOptions, final int tsOptions, final long nowNs)
    {
        final int peerShift = SynCookies.windowScaleOf(tsOptions);
        if (peerShift >= 0)
        {
            windowScaling = true;
            snd.sndWindShift = peerShift;
            rcv.rcvWindShift = rcv.offeredWindShift;
            counters.increment(Counter.TCP_WINDOW_SCALE_NEGOTIATED);
        }
        ts.onSyn(ackOptions, nowNs); // the ACK's TSval is the first TS.Recent (the SYN's was not kept)
        ts.lastAckSent = rcv.rcvNxt; // RFC 7323 §4.3: what our SYN-ACK acknowledged
        counters.increment(Counter.TCP_TIMESTAMPS_NEGOTIATED);
        if (SynCookies.sackPermittedOf(tsOptions))
        {
            rcv.sackEnabled = true;
            snd.sack.enabled = true;
            counters.increment(Counter.TCP_SACK_PERMITTED_NEGOTIATED);
        }
    }

    /** Our SYN-ACK was lost and the peer sent its SYN again (SYN-RECEIVED): answer with the SYN-ACK again. */
    void resendSynAck(final long nowNs)
    {
        snd.sndNxt = snd.iss;
        sendSyn(nowNs);
    }

    /**
     * RFC 9293 §3.10.7.4 fifth in SYN-RECEIVED: an ACK of our SYN completes the handshake.
     *
     * @return false when the ACK is not acceptable (a reset was sent; drop the segment)
     */
    boolean onAckInSynReceived(final TcpHeader seg, final int seq, final int ack, final long nowNs)
    {
        if (SeqNum.lt(snd.sndUna, ack) && SeqNum.le(ack, snd.sndMax))
        {
            snd.updateSendWindowOnEstablish(snd.windowOf(seg), seq, ack);
            snd.rtt.onEstablishedAfterSynTimeout(); // RFC 6298 §5.7: RTO = 3 s when the SYN-ACK timed out
            initCongestionControl(nowNs);
            connection.transition(TcpState.ESTABLISHED, nowNs);
            counters.increment(Counter.TCP_ESTABLISHED);
            connection.notifyEstablished();
            return true;
        }
        connection.sendReset(ack, nowNs);
        return false;
    }

    /** RFC 6298 §5.4 and RFC 5681 §3.1: the SYN (or SYN-ACK) timed out: send it again with a smaller window. */
    void onSynTimeout(final long nowNs)
    {
        synRetransmitted = true;
        snd.cc.onSynRetransmitted(nowNs);
        snd.retransmits.count(TcpEventListener.RETRANSMIT_SYN);
        connection.events().onRetransmit(connection, snd.iss, 0, TcpEventListener.RETRANSMIT_SYN, nowNs);
        counters.increment(Counter.TCP_RETRANSMITTED_SEGMENTS);
        sendSyn(nowNs);
    }

    /**
     * RFC 5681 §3.1 and RFC 6928 §2: the initial window once the handshake completes, one segment if our SYN or
     * SYN-ACK was lost (init would otherwise undo what onSynRetransmitted set while the handshake went on).
     */
    private void initCongestionControl(final long nowNs)
    {
        snd.cc.init(snd.sendMss, nowNs);
        if (synRetransmitted)
        {
            snd.cc.onSynRetransmitted(nowNs);
        }
    }

    private void sendSyn(final long nowNs)
    {
        final int flags = connection.state() == TcpState.SYN_RECEIVED ? TcpFlags.SYN | TcpFlags.ACK : TcpFlags.SYN;
        connection.emit(snd.iss, 0, flags, nowNs);
        snd.onSynSent(nowNs);
    }
}
