package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection: the state machine of RFC 9293. Read §3.3 (sequence space, states), §3.8 (retransmission,
 * windows, delayed ACK), §3.10.7 (segment arrival, in the order implemented below), RFC 6298 (RTO),
 * RFC 5681 and 6582 (congestion control), RFC 5961 (challenge ACKs) first.
 *
 * <p>Sequence space: SND.UNA ≤ SND.NXT ≤ SND.MAX. SND.MAX is the highest sequence number sent; after an RTO
 * SND.NXT goes back to SND.UNA and the data is sent again (go-back-N), so an ACK is acceptable up to SND.MAX.
 * The send buffer holds the bytes from {@code dataStart} (the sequence number of its first byte; SND.UNA once
 * the SYN is acknowledged). A queued FIN has the sequence number after the last byte written.
 *
 * <p>Receive side: in-order bytes and out-of-order segments share one ring ({@link SegmentReassembler}); the
 * window we announce has a right edge that never moves left (§3.8.6.2.1) and grows only by at least
 * min(buffer/2, MSS) at a time (receiver SWS avoidance, §3.8.6.2.2).
 *
 * <p>Owned by the stack thread; the application calls it from {@link TcpHandler} callbacks or, in INVOKER
 * mode, between duty cycles.
 */
public final class TcpConnection
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpConnection.class);
    static final long NONE = Long.MAX_VALUE;
    /** RFC 9293 §3.7.1: the MSS to assume when the peer sends none. */
    static final int DEFAULT_PEER_MSS = 536;
    private static final int MAX_UNSCALED_WINDOW = 65535;

    private final TcpLayer layer;
    private final TcpConfig config;
    private final StackCounters counters;
    final long key;
    private final int localPort;
    private final int remoteAddress;
    private final int remotePort;
    private final int ourMss;

    private TcpState state = TcpState.CLOSED;
    private TcpHandler handler;
    TcpListener listener;
    private String resetReason;
    boolean dirty;

    // --- send sequence space (RFC 9293 §3.3.1)
    private int iss;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private int sndWnd;
    private int sndWl1;
    private int sndWl2;
    private int maxSndWnd;
    private int sendMss;
    private int dataStart;
    private boolean finQueued;
    private int finSeq;
    private final SendBuffer sendBuffer;

    // --- receive sequence space
    private int irs;
    private int rcvNxt;
    private int rcvAnnouncedEdge;
    private boolean peerFinPending;
    private int peerFinSeq;
    private boolean peerFinReceived;
    private boolean readClosed;
    private boolean appClosed;
    private final ReceiveBuffer receiveBuffer;
    private final SegmentReassembler reassembler;

    // --- retransmission and congestion control
    private final RttEstimator rtt;
    private final CongestionControl cc;
    private boolean rttTiming;
    private int rttSeq;
    private long rttStartNs;
    private int retransmissions;
    private long firstRetransmitNs;
    private int dupAcks;
    private long lastSendNs;
    private int persistBackoffs;
    /** Probes of a zero window (persist probes or RTO retransmissions) sent since the peer's last ACK. */
    private int unansweredProbes;
    /** When the first of the {@code unansweredProbes} went out. */
    private long firstUnansweredProbeNs;
    private boolean nagle;

    // --- acknowledgment policy
    private boolean ackNow;
    /** When we last answered an unacceptable pure ACK or SYN (Linux's last_oow_ack_time); NONE before the first. */
    private long lastOutOfWindowAckNs = NONE;
    private int fullSegmentsUnacked;

    // --- timers (absolute ns, NONE when off)
    private long rtoDeadline = NONE;
    private long delayedAckDeadline = NONE;
    private long persistDeadline = NONE;
    private long closeDeadline = NONE;
    /** Counted in the layer's TIME-WAIT total (owned by {@link TcpLayer}). */
    boolean countedInTimeWait;

    TcpConnection(final TcpLayer layer, final TcpConfig config, final StackCounters counters, final int localPort,
        final int remoteAddress, final int remotePort, final int ourMss)
    {
        this.layer = layer;
        this.config = config;
        this.counters = counters;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.key = TcpLayer.key(localPort, remoteAddress, remotePort);
        this.ourMss = ourMss;
        this.sendMss = Math.min(DEFAULT_PEER_MSS, ourMss);
        this.sendBuffer = new SendBuffer(config.sendBufferBytes());
        this.receiveBuffer = new ReceiveBuffer(config.receiveBufferBytes());
        this.reassembler = new SegmentReassembler(receiveBuffer, config.maxOutOfOrderIntervals());
        this.rtt = new RttEstimator(config.initialRtoNs(), config.minRtoNs(), config.maxRtoNs(),
            RttEstimator.DEFAULT_GRANULARITY_NS);
        this.cc = new NewReno(config.initialWindowSegments());
        this.nagle = config.nagle();
        cc.listener((reason, cwnd, ssthresh, nowNs) -> layer.events().onCongestionChange(this, reason, cwnd,
            ssthresh, nowNs));
    }

    // ------------------------------------------------------------------------------------------------ opening

    /** Active open (RFC 9293 §3.10.1): send SYN, enter SYN-SENT. */
    void open(final int isn, final long nowNs)
    {
        initSendSequence(isn);
        transition(TcpState.SYN_SENT, nowNs);
        sendSyn(nowNs);
    }

    /** Passive open on a SYN for a listener (RFC 9293 §3.10.7.2): send SYN-ACK, enter SYN-RECEIVED. */
    void acceptSyn(final TcpListener listener, final TcpHeader seg, final TcpOptions options, final int isn,
        final long nowNs)
    {
        this.listener = listener;
        irs = seg.sequenceNumber();
        rcvNxt = irs + 1;
        rcvAnnouncedEdge = rcvNxt;
        applyPeerOptions(options);
        initSendSequence(isn);
        // RFC 9293 §3.10.7.2: the SYN's window is the send window (not scaled on a SYN)
        sndWnd = seg.window();
        maxSndWnd = sndWnd;
        sndWl1 = seg.sequenceNumber();
        sndWl2 = iss;
        transition(TcpState.SYN_RECEIVED, nowNs);
        sendSyn(nowNs);
    }

    private void initSendSequence(final int isn)
    {
        iss = isn;
        sndUna = isn;
        sndNxt = isn;
        sndMax = isn;
        dataStart = isn + 1;
    }

    private void applyPeerOptions(final TcpOptions options)
    {
        // RFC 9293 §3.7.1: effective send MSS is the peer's MSS (536 if absent) bounded by our MTU
        final int peerMss = options.mss > 0 ? options.mss : DEFAULT_PEER_MSS;
        sendMss = Math.max(64, Math.min(peerMss, ourMss));
    }

    // ------------------------------------------------------------------------------------------------ user API

    public TcpState state()
    {
        return state;
    }

    public int localPort()
    {
        return localPort;
    }

    public int remoteAddress()
    {
        return remoteAddress;
    }

    public int remotePort()
    {
        return remotePort;
    }

    public TcpConnection handler(final TcpHandler handler)
    {
        this.handler = handler;
        return this;
    }

    public TcpHandler handler()
    {
        return handler;
    }

    /** Why the connection was reset ("connection refused", "reset by peer", "user timeout", ...), or null. */
    public String resetReason()
    {
        return resetReason;
    }

    /** Nagle's algorithm on or off for this connection (RFC 9293 §3.7.4); TCP_NODELAY is {@code nagle(false)}. */
    public TcpConnection nagle(final boolean enabled)
    {
        this.nagle = enabled;
        markDirty();
        return this;
    }

    public boolean nagle()
    {
        return nagle;
    }

    /**
     * Queues up to {@code length} bytes to send; returns how many were taken (only what the send buffer has room
     * for: back-pressure). Writing is allowed from SYN-SENT on (§3.10.2: data queued until established).
     *
     * @return bytes taken, or -1 when the connection can no longer send (closed, reset, output shut down)
     */
    public int write(final DirectBuffer src, final int offset, final int length)
    {
        if (finQueued || !canSend())
        {
            return -1;
        }
        final int taken = sendBuffer.append(src, offset, length);
        if (taken > 0)
        {
            markDirty();
        }
        return taken;
    }

    public int write(final byte[] src, final int offset, final int length)
    {
        if (finQueued || !canSend())
        {
            return -1;
        }
        final int taken = sendBuffer.append(src, offset, length);
        if (taken > 0)
        {
            markDirty();
        }
        return taken;
    }

    private boolean canSend()
    {
        return state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED || state == TcpState.ESTABLISHED
            || state == TcpState.CLOSE_WAIT;
    }

    /** Room left in the send buffer. */
    public int writable()
    {
        return isOutputOpen() ? sendBuffer.free() : 0;
    }

    /** True while {@link #write} can take bytes (when there is room): not closed, reset or shut down for output. */
    public boolean isOutputOpen()
    {
        return canSend() && !finQueued;
    }

    /** Bytes ready to read. */
    public int readable()
    {
        return receiveBuffer.size();
    }

    /**
     * Reads up to {@code length} bytes.
     *
     * @return bytes read; 0 when none are buffered yet; -1 at end of stream (the peer's FIN, all bytes read)
     */
    public int read(final MutableDirectBuffer dst, final int offset, final int length)
    {
        final int n = receiveBuffer.read(dst, offset, length);
        return afterRead(n);
    }

    public int read(final byte[] dst, final int offset, final int length)
    {
        final int n = receiveBuffer.read(dst, offset, length);
        return afterRead(n);
    }

    private int afterRead(final int n)
    {
        if (n > 0)
        {
            // a window update goes out as soon as the freed space is worth announcing (design.md pitfall 1)
            if (windowIncreaseWorthAnnouncing() && state.canReceive())
            {
                ackNow = true;
                markDirty();
            }
            return n;
        }
        return peerFinReceived && receiveBuffer.isEmpty() ? -1 : 0;
    }

    /** True once the peer's FIN arrived and every byte before it was read. */
    public boolean isEndOfStream()
    {
        return peerFinReceived && receiveBuffer.isEmpty();
    }

    /** Sends FIN after the queued bytes; reading goes on (half-close, RFC 9293 §3.10.4). */
    public void shutdownOutput()
    {
        if (finQueued)
        {
            return;
        }
        switch (state)
        {
            case SYN_SENT:
                // nothing was sent yet that needs closing: RFC 9293 §3.10.4 "delete the TCB"
                terminate(TcpState.CLOSED, layer.nowNs());
                return;
            case SYN_RECEIVED:
            case ESTABLISHED:
            case CLOSE_WAIT:
                finQueued = true;
                finSeq = dataStart + sendBuffer.size();
                markDirty();
                return;
            default:
        }
    }

    /**
     * Closes both directions. Unread data, or data arriving later, resets the connection (RFC 1122 §4.2.2.13);
     * otherwise a FIN follows the queued bytes.
     */
    public void close()
    {
        appClosed = true;
        readClosed = true;
        if (state == TcpState.CLOSED || state == TcpState.TIME_WAIT)
        {
            return;
        }
        if (!receiveBuffer.isEmpty())
        {
            abortWith("closed with unread data", true);
            return;
        }
        shutdownOutput();
    }

    /** Sends RST and forgets the connection at once (RFC 9293 §3.10.5). */
    public void abort()
    {
        abortWith(null, false);
    }

    private void abortWith(final String reason, final boolean notify)
    {
        final long now = layer.nowNs();
        if (state.isSynchronized() || state == TcpState.SYN_RECEIVED)
        {
            layer.sendReset(remoteAddress, localPort, remotePort, resetSeq(), now);
        }
        if (reason != null)
        {
            resetReason = reason;
        }
        terminate(TcpState.CLOSED, now);
        if (notify && handler != null)
        {
            handler.onReset(this);
        }
    }

    /**
     * RFC 9293 §3.10.5: a RST carries SND.NXT, the highest sequence number sent (our SND.MAX: an RTO moves our
     * SND.NXT back, and a peer whose ACKs were lost has everything up to SND.MAX and drops a RST below its window,
     * RFC 5961 §3.2), pulled back to the right edge of the peer's window when beyond it, as a probe byte a zero
     * window dropped is (Linux's tcp_acceptable_seq()).
     */
    private int resetSeq()
    {
        final int rightEdge = sndUna + sndWnd;
        final int seq = SeqNum.le(sndMax, rightEdge) ? sndMax : rightEdge;
        return SeqNum.lt(seq, sndNxt) ? sndNxt : seq;
    }

    // ------------------------------------------------------------------------------------------------ arrival

    /** RFC 9293 §3.10.7: a validated segment for this connection. */
    void onSegment(final TcpHeader seg, final TcpOptions options, final long nowNs)
    {
        switch (state)
        {
            case SYN_SENT:
                onSegmentInSynSent(seg, options, nowNs);
                break;
            case CLOSED:
            case LISTEN:
                break;
            default:
                onSegmentSynchronized(seg, options, nowNs);
        }
        if (state != TcpState.CLOSED)
        {
            output(nowNs);
        }
    }

    /** RFC 9293 §3.10.7.3. */
    private void onSegmentInSynSent(final TcpHeader seg, final TcpOptions options, final long nowNs)
    {
        final int flags = seg.flags();
        final boolean hasAck = (flags & TcpFlags.ACK) != 0;
        final int ack = seg.acknowledgmentNumber();
        if (hasAck && (SeqNum.le(ack, iss) || SeqNum.gt(ack, sndMax)))
        {
            // first: an ACK for something we never sent
            if ((flags & TcpFlags.RST) == 0)
            {
                layer.sendReset(remoteAddress, localPort, remotePort, ack, nowNs);
            }
            return;
        }
        if ((flags & TcpFlags.RST) != 0)
        {
            // second: RFC 5961 §3.2 in SYN-SENT: a RST is valid only if it acknowledges our SYN
            if (hasAck)
            {
                counters.increment(Counter.TCP_RST_RX);
                resetBy("connection refused", nowNs);
            }
            return;
        }
        if ((flags & TcpFlags.SYN) == 0)
        {
            return;
        }
        // fourth: the SYN
        irs = seg.sequenceNumber();
        rcvNxt = irs + 1;
        rcvAnnouncedEdge = rcvNxt;
        applyPeerOptions(options);
        if (hasAck)
        {
            sndUna = ack;
            sndWnd = seg.window();
            maxSndWnd = sndWnd;
            sndWl1 = seg.sequenceNumber();
            sndWl2 = ack;
            sampleRtt(ack, nowNs);
            retransmissions = 0;
            rtoDeadline = NONE;
            rtt.onEstablishedAfterSynTimeout(); // RFC 6298 §5.7: RTO = 3 s when the SYN timed out without a sample
            cc.init(sendMss, nowNs);
            ackNow = true;
            transition(TcpState.ESTABLISHED, nowNs);
            counters.increment(Counter.TCP_ESTABLISHED);
            if (handler != null)
            {
                handler.onConnected(this);
            }
            acceptText(seg, nowNs);
        }
        else
        {
            // simultaneous open (§3.10.7.3 fourth, figure 8): SYN-RECEIVED, send SYN-ACK with our ISS
            sndWnd = seg.window();
            maxSndWnd = sndWnd;
            sndWl1 = seg.sequenceNumber();
            sndNxt = iss;
            transition(TcpState.SYN_RECEIVED, nowNs);
            sendSyn(nowNs);
        }
    }

    /** RFC 9293 §3.10.7.4: SYN-RECEIVED and every synchronized state. */
    private void onSegmentSynchronized(final TcpHeader seg, final TcpOptions options, final long nowNs)
    {
        final int flags = seg.flags();
        int seq = seg.sequenceNumber();
        int dataOffset = seg.dataOffset();
        int dataLength = seg.dataLength();
        boolean fin = (flags & TcpFlags.FIN) != 0;
        boolean syn = (flags & TcpFlags.SYN) != 0;
        int segLen = seg.segmentLength();
        final int rcvWnd = announcedWindow();

        if (state == TcpState.SYN_RECEIVED && listener == null && syn && (flags & TcpFlags.ACK) != 0 && seq == irs)
        {
            // RFC 9293 §3.5 figure 8 (simultaneous open): the peer's SYN-ACK; its SYN is already counted in RCV.NXT
            syn = false;
            seq += 1;
            segLen -= 1;
        }

        if (state == TcpState.TIME_WAIT && syn && (flags & TcpFlags.ACK) == 0 && SeqNum.gt(seq, rcvNxt))
        {
            // RFC 9293 §3.10.7.4 / RFC 6191: a new SYN above the old sequence space may reuse the 4-tuple
            terminate(TcpState.CLOSED, nowNs); // RFC 9293 §3.10.7.4: the old incarnation ends (CLOSED)
            layer.reopenFromTimeWait(this, nowNs);
            return;
        }

        // first: sequence number acceptability (the four cases of §3.10.7.4)
        if (!acceptable(seq, segLen, rcvWnd))
        {
            final boolean zeroWindowAck = rcvWnd == 0
                && (flags & (TcpFlags.ACK | TcpFlags.RST | TcpFlags.SYN)) == TcpFlags.ACK
                && state.isSynchronized() && SeqNum.le(seq, rcvNxt + 1)
                && SeqNum.ge(seq, rcvNxt - MAX_UNSCALED_WINDOW);
            if ((flags & TcpFlags.RST) == 0)
            {
                counters.increment(Counter.TCP_DROP_OUT_OF_WINDOW);
                // a pure ACK one past RCV.NXT comes from a sender whose SND.NXT counts the probe byte our zero
                // window dropped: taken below, not answered, or two ends with closed windows ACK each other's
                // ACKs forever (an ACK is not acknowledged, RFC 9293 §3.10.7.4 special allowance)
                if ((!zeroWindowAck || segLen != 0 || seq != rcvNxt + 1)
                    && !outOfWindowAckRateLimited(segLen, (flags & TcpFlags.SYN) != 0, nowNs))
                {
                    ackNow = true;
                }
            }
            if (state == TcpState.TIME_WAIT && fin)
            {
                // a retransmitted FIN: acknowledge it and restart the 2·MSL wait (§3.10.7.4 eighth)
                closeDeadline = nowNs + config.timeWaitNs();
            }
            if (zeroWindowAck)
            {
                // RFC 9293 §3.10.7.4: with RCV.WND zero "special allowance should be made to accept valid
                // ACKs": their ACK and window fields are processed (RFC 5961 §5.2 still checks the ACK), the
                // text is dropped. Without it two ends with closed windows never hear each other's ACKs.
                processAck(seg, seq, seg.acknowledgmentNumber(), 0, nowNs);
            }
            return;
        }

        // second: RST (RFC 5961 §3.2: exact match resets, anything else in the window gets a challenge ACK)
        if ((flags & TcpFlags.RST) != 0)
        {
            if (seq != rcvNxt)
            {
                challengeAck();
                return;
            }
            counters.increment(Counter.TCP_RST_RX);
            if (state == TcpState.SYN_RECEIVED && listener != null)
            {
                // passive open: back to LISTEN, which for us means forgetting the half-open connection
                terminate(TcpState.CLOSED, nowNs);
                return;
            }
            if (state == TcpState.CLOSING || state == TcpState.LAST_ACK || state == TcpState.TIME_WAIT)
            {
                // RFC 9293 §3.10.7.4 second: enter CLOSED and delete the TCB; the user already closed, so it is
                // told the connection is gone (TIME-WAIT told it on entry), or its socket would wait forever
                final boolean notify = state != TcpState.TIME_WAIT;
                terminate(TcpState.CLOSED, nowNs);
                if (notify)
                {
                    notifyClosed();
                }
                return;
            }
            resetBy(state == TcpState.SYN_RECEIVED ? "connection refused" : "connection reset by peer", nowNs);
            return;
        }

        // fourth: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4.2)
        if (syn)
        {
            if (state == TcpState.SYN_RECEIVED && seq == irs)
            {
                // our SYN-ACK was lost: the peer sent its SYN again; answer with the SYN-ACK
                sndNxt = iss;
                sendSyn(nowNs);
                return;
            }
            challengeAck();
            return;
        }

        // fifth: the ACK field
        if ((flags & TcpFlags.ACK) == 0)
        {
            return;
        }
        final int ack = seg.acknowledgmentNumber();
        if (state == TcpState.SYN_RECEIVED)
        {
            if (SeqNum.lt(sndUna, ack) && SeqNum.le(ack, sndMax))
            {
                // the handshake completes (§3.10.7.4 fifth, SYN-RECEIVED)
                sndWnd = seg.window();
                maxSndWnd = Math.max(maxSndWnd, sndWnd);
                sndWl1 = seq;
                sndWl2 = ack;
                establishFromSynReceived(nowNs);
            }
            else
            {
                layer.sendReset(remoteAddress, localPort, remotePort, ack, nowNs);
                return;
            }
        }
        if (!processAck(seg, seq, ack, dataLength, nowNs))
        {
            return;
        }
        if (state == TcpState.CLOSED)
        {
            return;
        }

        // sixth (URG) is not supported; seventh: the segment text
        if (dataLength > 0 || fin)
        {
            if (!state.canReceive() && dataLength > 0)
            {
                // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer already sent FIN; ignore the text
                dataLength = 0;
            }
            if (readClosed && dataLength > 0)
            {
                // RFC 1122 §4.2.2.13 (Linux too): data after close() cannot be delivered: reset
                abortWith("data arrived after close", true); // the owner learns the connection is gone
                return;
            }
            receiveText(seg, seq, dataOffset, dataLength, fin, nowNs);
        }
    }

    private boolean acceptable(final int seq, final int segLen, final int rcvWnd)
    {
        if (segLen == 0)
        {
            return rcvWnd == 0 ? seq == rcvNxt : SeqNum.inWindow(seq, rcvNxt, rcvWnd);
        }
        if (rcvWnd == 0)
        {
            return false;
        }
        return SeqNum.inWindow(seq, rcvNxt, rcvWnd) || SeqNum.inWindow(seq + segLen - 1, rcvNxt, rcvWnd);
    }

    private void establishFromSynReceived(final long nowNs)
    {
        rtt.onEstablishedAfterSynTimeout(); // RFC 6298 §5.7: RTO = 3 s when the SYN-ACK timed out without a sample
        cc.init(sendMss, nowNs);
        transition(TcpState.ESTABLISHED, nowNs);
        counters.increment(Counter.TCP_ESTABLISHED);
        final TcpListener l = listener;
        if (l != null)
        {
            l.onEstablished(this);
        }
        else if (handler != null)
        {
            handler.onConnected(this);
        }
    }

    /** RFC 9293 §3.10.7.4 fifth (ESTABLISHED and later); false when the segment is to be dropped. */
    private boolean processAck(final TcpHeader seg, final int seq, final int ack, final int dataLength,
        final long nowNs)
    {
        // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.MAX]
        if (SeqNum.gt(ack, sndMax))
        {
            counters.increment(Counter.TCP_DROP_ACK_UNSENT);
            // RFC 9293 §3.10.7.4: answer with an ACK; a pure one at most once per interval (RFC 5961 §7), or two
            // ends that each ACK beyond the other's SND.MAX would ping-pong without bound
            if (!outOfWindowAckRateLimited(dataLength, false, nowNs))
            {
                ackNow = true;
            }
            return false;
        }
        if (SeqNum.lt(ack, sndUna - maxSndWnd))
        {
            challengeAck();
            return false;
        }
        final int window = seg.window();
        final int flightBefore = sndMax - sndUna;
        unansweredProbes = 0;
        if (SeqNum.gt(ack, sndUna))
        {
            onNewAck(ack, flightBefore, nowNs);
        }
        else if (ack == sndUna && dataLength == 0 && (seg.flags() & TcpFlags.FIN) == 0 && window == sndWnd
            && window != 0 && sndMax != sndUna)
        {
            onDuplicateAck(nowNs);
        }
        // RFC 9293 §3.10.7.4: update the send window only from a newer segment (SND.WL1/WL2)
        if (SeqNum.lt(sndWl1, seq) || (sndWl1 == seq && SeqNum.le(sndWl2, ack)))
        {
            if (window != sndWnd)
            {
                layer.events().onSendWindow(this, window, nowNs);
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
                persistDeadline = NONE;
                persistBackoffs = 0;
            }
        }

        final boolean finAcked = finQueued && SeqNum.gt(sndUna, finSeq);
        switch (state)
        {
            case FIN_WAIT_1:
                if (finAcked)
                {
                    transition(TcpState.FIN_WAIT_2, nowNs);
                    if (appClosed)
                    {
                        closeDeadline = nowNs + config.finWait2TimeoutNs();
                    }
                }
                break;
            case CLOSING:
                if (finAcked)
                {
                    enterTimeWait(nowNs);
                }
                break;
            case LAST_ACK:
                if (finAcked)
                {
                    terminate(TcpState.CLOSED, nowNs);
                    notifyClosed();
                    return false;
                }
                break;
            default:
        }
        return true;
    }

    private void onNewAck(final int ack, final int flightBefore, final long nowNs)
    {
        // bytes of sequence space newly acknowledged, then how much of that is data in the send buffer
        final int acked = ack - sndUna;
        int dataAcked = SeqNum.diff(ack, dataStart);
        dataAcked = Math.max(0, Math.min(dataAcked, sendBuffer.size()));
        if (dataAcked > 0)
        {
            sendBuffer.release(dataAcked);
            dataStart += dataAcked;
        }
        sndUna = ack;
        if (SeqNum.lt(sndNxt, sndUna))
        {
            sndNxt = sndUna;
        }
        sampleRtt(ack, nowNs);
        retransmissions = 0;
        firstRetransmitNs = NONE;

        // congestion control (RFC 5681 §3.2, RFC 6582 §3.2 steps 5-6)
        if (cc.inRecovery())
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

        // RFC 6298 §5.2-5.3: stop the timer when all is acknowledged, else restart it
        rtoDeadline = sndUna == sndMax ? NONE : nowNs + rtt.rtoNs();
        if (dataAcked > 0 && handler != null && canSend() && !finQueued)
        {
            handler.onWritable(this);
        }
    }

    private void onDuplicateAck(final long nowNs)
    {
        counters.increment(Counter.TCP_DUP_ACKS_RX);
        dupAcks++;
        if (cc.inRecovery())
        {
            // RFC 5681 §3.2 step 4: inflate by one segment per further duplicate
            cc.onDuplicateAckInRecovery(nowNs);
        }
        else if (dupAcks == 3)
        {
            // RFC 5681 §3.2 steps 1-3 with RFC 6582's guard against a second recovery for the same loss
            if (cc.onThirdDuplicateAck(sndUna, sndMax - sndUna, sndMax, nowNs))
            {
                counters.increment(Counter.TCP_FAST_RETRANSMITS);
                retransmitFirst(TcpEventListener.RETRANSMIT_FAST, nowNs);
            }
        }
    }

    private void receiveText(final TcpHeader seg, final int seq, final int dataOffset, final int dataLength,
        final boolean fin, final long nowNs)
    {
        if (fin)
        {
            final int finAt = seq + dataLength;
            if (SeqNum.lt(finAt, rcvNxt + announcedWindow()) || finAt == rcvNxt + announcedWindow())
            {
                peerFinPending = true;
                peerFinSeq = finAt;
            }
        }
        if (dataLength > 0)
        {
            final boolean inOrder = seq == rcvNxt || SeqNum.lt(seq, rcvNxt);
            final int accepted = reassembler.insert(seq, rcvNxt, seg.buffer(), dataOffset,
                Math.min(dataLength, Math.max(0, SeqNum.diff(rcvAnnouncedEdge, seq))));
            final int delivered = reassembler.drain(rcvNxt);
            rcvNxt += delivered;
            if (!inOrder || reassembler.intervalCount() > 0 || delivered > dataLength)
            {
                // RFC 5681 §4.2: out-of-order data, or data that fills a hole, is acknowledged at once
                counters.increment(Counter.TCP_OUT_OF_ORDER_SEGMENTS);
                ackNow = true;
            }
            else if (dataLength >= sendMss)
            {
                // RFC 9293 §3.8.6.3: acknowledge at least every second full-sized segment
                if (++fullSegmentsUnacked >= 2)
                {
                    ackNow = true;
                }
            }
            if (accepted == 0 && delivered == 0)
            {
                ackNow = true; // a duplicate: tell the sender where we are
            }
            if (!ackNow && delayedAckDeadline == NONE)
            {
                delayedAckDeadline = nowNs + config.delayedAckNs();
            }
            if (delivered > 0 && handler != null)
            {
                handler.onReadable(this);
            }
        }
        if (peerFinPending && peerFinSeq == rcvNxt && state != TcpState.CLOSED)
        {
            onPeerFin(nowNs);
        }
        else if (fin)
        {
            ackNow = true; // RFC 5681 §4.2: an out-of-order segment (here a FIN beyond a hole) gets an immediate ACK
        }
    }

    /** RFC 9293 §3.10.7.4 eighth: the FIN, once every byte before it has arrived. */
    private void onPeerFin(final long nowNs)
    {
        peerFinPending = false;
        if (peerFinReceived)
        {
            ackNow = true;
            return;
        }
        peerFinReceived = true;
        rcvNxt += 1;
        ackNow = true;
        boolean closedHere = false;
        switch (state)
        {
            case SYN_RECEIVED:
            case ESTABLISHED:
                transition(TcpState.CLOSE_WAIT, nowNs);
                break;
            case FIN_WAIT_1:
                if (finQueued && SeqNum.gt(sndUna, finSeq))
                {
                    enterTimeWait(nowNs, false);
                    closedHere = true;
                }
                else
                {
                    transition(TcpState.CLOSING, nowNs);
                }
                break;
            case FIN_WAIT_2:
                enterTimeWait(nowNs, false);
                closedHere = true;
                break;
            default:
        }
        if (handler != null)
        {
            handler.onEndOfStream(this);
        }
        if (closedHere)
        {
            notifyClosed(); // after the end of stream: the owner hears "end" before "closed"
        }
    }

    private void enterTimeWait(final long nowNs)
    {
        enterTimeWait(nowNs, true);
    }

    private void enterTimeWait(final long nowNs, final boolean notify)
    {
        if (!layer.enterTimeWait(this))
        {
            // TIME-WAIT bound reached: close without it (Linux's tw bucket overflow); the risk is an old
            // duplicate segment meeting a new incarnation of this 4-tuple within 2·MSL. The peer's FIN is
            // still acknowledged first, or it would retransmit it into a closed port.
            if (ackNow)
            {
                sendSegment(sndMax, 0, TcpFlags.ACK, nowNs);
                ackNow = false;
            }
            terminate(TcpState.CLOSED, nowNs);
            if (notify)
            {
                notifyClosed();
            }
            return;
        }
        transition(TcpState.TIME_WAIT, nowNs);
        rtoDeadline = NONE;
        persistDeadline = NONE;
        closeDeadline = nowNs + config.timeWaitNs();
        if (notify)
        {
            notifyClosed();
        }
    }

    private void notifyClosed()
    {
        if (handler != null)
        {
            handler.onClosed(this);
        }
    }

    private void acceptText(final TcpHeader seg, final long nowNs)
    {
        // data or FIN riding on a SYN-ACK is rare; take it through the normal path
        final int dataLength = seg.dataLength();
        final boolean fin = seg.has(TcpFlags.FIN);
        if (dataLength > 0 || fin)
        {
            receiveText(seg, seg.sequenceNumber() + 1, seg.dataOffset(), dataLength, fin, nowNs);
        }
    }

    /**
     * RFC 5961 §7 (ACK throttling) and Linux's tcp_oow_rate_limited: an unacceptable segment is answered with an
     * ACK (RFC 9293 §3.10.7.4), but two ends that disagree would answer each other's ACKs without bound (an ACK
     * war), so a pure ACK or a SYN is answered at most once per {@link TcpConfig#outOfWindowAckIntervalNs()}.
     */
    private boolean outOfWindowAckRateLimited(final int segLen, final boolean syn, final long nowNs)
    {
        if (segLen != 0 && !syn)
        {
            // Linux: "data packets without SYNs are not likely part of an ACK loop"; zero-window probes and
            // retransmitted FINs are always answered
            return false;
        }
        final long intervalNs = config.outOfWindowAckIntervalNs();
        if (intervalNs > 0 && lastOutOfWindowAckNs != NONE && nowNs - lastOutOfWindowAckNs < intervalNs)
        {
            counters.increment(Counter.TCP_OOW_ACKS_RATE_LIMITED);
            return true;
        }
        lastOutOfWindowAckNs = nowNs;
        return false;
    }

    private void challengeAck()
    {
        // RFC 5961 §3.2, §4.2, §5.2; §7: the stack-wide rate limit keeps them from being an amplifier
        if (layer.allowChallengeAck())
        {
            counters.increment(Counter.TCP_CHALLENGE_ACKS);
            ackNow = true;
        }
        else
        {
            counters.increment(Counter.TCP_CHALLENGE_ACKS_RATE_LIMITED);
        }
    }

    private void resetBy(final String reason, final long nowNs)
    {
        resetReason = reason;
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{}: {}", this, reason);
        }
        terminate(TcpState.CLOSED, nowNs);
        if (handler != null)
        {
            handler.onReset(this);
        }
    }

    // ------------------------------------------------------------------------------------------------ output

    /** Sends what the windows, Nagle and the ACK policy allow now. */
    void output(final long nowNs)
    {
        dirty = false;
        if (state == TcpState.CLOSED || state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED)
        {
            if (ackNow && state == TcpState.SYN_RECEIVED)
            {
                sendSegment(sndUna, 0, TcpFlags.SYN | TcpFlags.ACK, nowNs);
            }
            ackNow = false;
            return;
        }
        if (state != TcpState.TIME_WAIT)
        {
            sendData(nowNs);
        }
        if (ackNow)
        {
            // RFC 9293 §3.3.1: a pure ACK carries the highest sequence number sent (SND.NXT before go-back-N, and
            // past a zero-window probe byte the peer may have taken), or a peer that received everything finds it
            // unacceptable and ignores its ACK field; a zero-window peer that dropped the probe byte takes it
            // through the special allowance of §3.10.7.4
            sendSegment(sndMax, 0, TcpFlags.ACK, nowNs);
        }
    }

    private void sendData(final long nowNs)
    {
        if (sndUna == sndMax && lastSendNs != 0 && sendBuffer.size() > 0)
        {
            // RFC 5681 §4.1: restart from the initial window after an idle period longer than the RTO
            cc.onIdle(nowNs - lastSendNs, rtt.rtoNs(), nowNs);
        }
        final int dataEnd = dataStart + sendBuffer.size();
        while (true)
        {
            final int inFlight = sndNxt - sndUna;
            final int window = Math.min(sndWnd, cc.cwnd());
            final int usable = window - inFlight;
            final int unsent = SeqNum.diff(dataEnd, sndNxt);
            if (unsent > 0)
            {
                int length = Math.min(Math.min(unsent, sendMss), Math.max(usable, 0));
                if (length <= 0)
                {
                    armPersistIfStalled(nowNs);
                    return;
                }
                if (length < sendMss)
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
                        armPersistIfStalled(nowNs);
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
                if (!sendSegment(sndNxt, length, flags, nowNs))
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
                if (!sendSegment(sndNxt, 0, TcpFlags.FIN | TcpFlags.ACK, nowNs))
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

    private void advanceSndNxt(final int length, final long nowNs)
    {
        final boolean newData = SeqNum.ge(sndNxt, sndMax);
        sndNxt += length;
        if (SeqNum.gt(sndNxt, sndMax))
        {
            if (newData && !rttTiming)
            {
                // time one segment at a time (RFC 6298 §3, without timestamps)
                rttTiming = true;
                rttSeq = sndNxt;
                rttStartNs = nowNs;
            }
            sndMax = sndNxt;
        }
        if (rtoDeadline == NONE)
        {
            rtoDeadline = nowNs + rtt.rtoNs();
        }
        if (finQueued && sndNxt == finSeq + 1)
        {
            onFinSent(nowNs);
        }
    }

    private void onFinSent(final long nowNs)
    {
        if (state == TcpState.ESTABLISHED || state == TcpState.SYN_RECEIVED)
        {
            transition(TcpState.FIN_WAIT_1, nowNs);
        }
        else if (state == TcpState.CLOSE_WAIT)
        {
            transition(TcpState.LAST_ACK, nowNs);
        }
    }

    private void armPersistIfStalled(final long nowNs)
    {
        // RFC 9293 §3.8.6.1: a zero window with data waiting and nothing in flight starts the persist timer;
        // RFC 9293 §3.8.6.2.1: so does a window too small for SWS avoidance (the override timeout)
        if (sndUna == sndMax && persistDeadline == NONE)
        {
            persistDeadline = nowNs + persistInterval();
        }
    }

    private long persistInterval()
    {
        long interval = Math.max(rtt.rtoNs(), config.minRtoNs());
        for (int i = 0; i < persistBackoffs && interval < config.maxRtoNs(); i++)
        {
            interval <<= 1;
        }
        return Math.min(interval, config.maxRtoNs());
    }

    private void sendSyn(final long nowNs)
    {
        final int flags = state == TcpState.SYN_RECEIVED ? TcpFlags.SYN | TcpFlags.ACK : TcpFlags.SYN;
        sendSegment(iss, 0, flags, nowNs);
        if (SeqNum.ge(sndNxt, sndMax))
        {
            sndNxt = iss + 1;
            sndMax = iss + 1;
            if (!rttTiming && retransmissions == 0)
            {
                rttTiming = true;
                rttSeq = iss + 1;
                rttStartNs = nowNs;
            }
        }
        else
        {
            sndNxt = iss + 1;
        }
        rtoDeadline = nowNs + rtt.rtoNs();
    }

    /**
     * Writes one segment: {@code length} bytes of data from sequence number {@code seq} and our current ACK
     * and window. SYN segments carry our MSS option.
     */
    private boolean sendSegment(final int seq, final int length, final int flags, final long nowNs)
    {
        final boolean syn = (flags & TcpFlags.SYN) != 0;
        final int window = advertiseWindow();
        final boolean sent = layer.sendSegment(this, seq, rcvNxt, flags, window, syn ? ourMss : -1, sendBuffer, length > 0 ? SeqNum.diff(seq, dataStart) : 0, length, nowNs);
        if (sent)
        {
            if ((flags & TcpFlags.ACK) != 0)
            {
                ackNow = false;
                fullSegmentsUnacked = 0;
                delayedAckDeadline = NONE;
            }
            lastSendNs = nowNs;
        }
        return sent;
    }

    /** The window to put in the next segment, updating the announced right edge (never moves left). */
    private int advertiseWindow()
    {
        if (!state.isSynchronized() && state != TcpState.SYN_RECEIVED && state != TcpState.SYN_SENT)
        {
            return 0;
        }
        if (windowIncreaseWorthAnnouncing() || SeqNum.lt(rcvAnnouncedEdge, rcvNxt))
        {
            rcvAnnouncedEdge = rcvNxt + Math.min(receiveBuffer.free(), MAX_UNSCALED_WINDOW);
        }
        return announcedWindow();
    }

    /** RFC 9293 §3.8.6.2.2: announce more window only in steps of at least min(buffer/2, MSS). */
    private boolean windowIncreaseWorthAnnouncing()
    {
        final int possibleEdge = rcvNxt + Math.min(receiveBuffer.free(), MAX_UNSCALED_WINDOW);
        final int increase = SeqNum.diff(possibleEdge, rcvAnnouncedEdge);
        // RFC 9293 §3.8.6.2.2: a closed window, too, reopens only by a worthwhile step (no tiny windows)
        return increase >= Math.min(receiveBuffer.capacity() / 2, sendMss);
    }

    private int announcedWindow()
    {
        return Math.max(0, SeqNum.diff(rcvAnnouncedEdge, rcvNxt));
    }

    private void retransmitFirst(final String reason, final long nowNs)
    {
        final int dataEnd = dataStart + sendBuffer.size();
        // RFC 9293 §3.3.1: resend only what was sent (up to SND.MAX), or the peer's ACK of it looks unacceptable
        final int sentEnd = SeqNum.lt(sndMax, dataEnd) ? sndMax : dataEnd;
        final int length = Math.min(sendMss, Math.max(0, SeqNum.diff(sentEnd, sndUna)));
        final boolean fin = finQueued && sndUna + length == finSeq && SeqNum.gt(sndMax, finSeq);
        if (length == 0 && !fin)
        {
            return;
        }
        rttTiming = false; // Karn: no sample from a retransmitted segment
        layer.events().onRetransmit(this, sndUna, length, reason, nowNs);
        int flags = TcpFlags.ACK | (fin ? TcpFlags.FIN : 0);
        if (length > 0)
        {
            flags |= TcpFlags.PSH;
        }
        sendSegment(sndUna, length, flags, nowNs);
        counters.increment(Counter.TCP_RETRANSMITTED_SEGMENTS);
    }

    private void sampleRtt(final int ack, final long nowNs)
    {
        if (rttTiming && SeqNum.ge(ack, rttSeq))
        {
            rttTiming = false;
            final long before = rtt.rtoNs();
            rtt.sample(nowNs - rttStartNs);
            if (rtt.rtoNs() != before)
            {
                layer.events().onRtoChange(this, rtt.rtoNs(), nowNs);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ timers

    long nextDeadlineNs()
    {
        return Math.min(Math.min(rtoDeadline, delayedAckDeadline), Math.min(persistDeadline, closeDeadline));
    }

    /** Runs the timers that are due. */
    void onTimer(final long nowNs)
    {
        if (closeDeadline <= nowNs)
        {
            closeDeadline = NONE;
            if (state == TcpState.TIME_WAIT || state == TcpState.FIN_WAIT_2)
            {
                // FIN-WAIT-2 times out only after the user's close: it is told the connection is gone
                final boolean notify = state == TcpState.FIN_WAIT_2;
                terminate(TcpState.CLOSED, nowNs);
                if (notify)
                {
                    notifyClosed();
                }
                return;
            }
        }
        if (rtoDeadline <= nowNs)
        {
            rtoDeadline = NONE;
            onRetransmissionTimeout(nowNs);
            if (state == TcpState.CLOSED)
            {
                return;
            }
        }
        if (persistDeadline <= nowNs)
        {
            persistDeadline = NONE;
            sendZeroWindowProbe(nowNs);
        }
        if (delayedAckDeadline <= nowNs)
        {
            delayedAckDeadline = NONE;
            ackNow = true;
        }
        output(nowNs);
    }

    /** RFC 6298 §5.4-5.7 and RFC 5681 §3.1: retransmit the earliest unacknowledged segment, back off. */
    private void onRetransmissionTimeout(final long nowNs)
    {
        if (sndUna == sndMax && state != TcpState.SYN_SENT && state != TcpState.SYN_RECEIVED)
        {
            return;
        }
        if (firstRetransmitNs == NONE || retransmissions == 0)
        {
            firstRetransmitNs = nowNs;
        }
        retransmissions++;
        final boolean handshake = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
        // RFC 1122 §4.2.2.17: a receiver that keeps answering with a zero window keeps the connection alive
        if (handshake ? retransmissions > config.synRetries()
            : sndWnd == 0 ? zeroWindowProbesUnanswered(nowNs) : nowNs - firstRetransmitNs >= config.userTimeoutNs())
        {
            counters.increment(Counter.TCP_USER_TIMEOUTS);
            if (state.isSynchronized())
            {
                layer.sendReset(remoteAddress, localPort, remotePort, resetSeq(), nowNs);
            }
            if (handshake && listener != null)
            {
                terminate(TcpState.CLOSED, nowNs);
                return;
            }
            resetBy(handshake ? "connection timed out" : "user timeout: data unacknowledged too long", nowNs);
            return;
        }
        rtt.backoff();
        layer.events().onRtoChange(this, rtt.rtoNs(), nowNs);
        rttTiming = false;
        counters.increment(Counter.TCP_RTO_EXPIRIES);
        if (handshake)
        {
            cc.onSynRetransmitted(nowNs);
            layer.events().onRetransmit(this, iss, 0, TcpEventListener.RETRANSMIT_SYN, nowNs);
            counters.increment(Counter.TCP_RETRANSMITTED_SEGMENTS);
            sendSyn(nowNs);
            return;
        }
        cc.onRetransmissionTimeout(sndMax - sndUna, sndMax, nowNs);
        dupAcks = 0;
        // go back: everything from SND.UNA is sent again as the window allows
        sndNxt = sndUna;
        if (sndWnd == 0)
        {
            // RFC 9293 §3.8.6.1: retransmit even into a zero (shrunk) window, so the peer can reopen it
            rtoDeadline = nowNs + rtt.rtoNs();
            retransmitFirst(TcpEventListener.RETRANSMIT_RTO, nowNs);
            onZeroWindowProbeSent(nowNs);
            return;
        }
        layer.events().onRetransmit(this, sndUna, Math.min(sendMss, sndMax - sndUna), TcpEventListener.RETRANSMIT_RTO,
            nowNs);
        counters.increment(Counter.TCP_RETRANSMITTED_SEGMENTS);
        rtoDeadline = nowNs + rtt.rtoNs();
    }

    /** RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: send one byte past the closed window to learn when it opens. */
    private void sendZeroWindowProbe(final long nowNs)
    {
        final int dataEnd = dataStart + sendBuffer.size();
        final int unsent = SeqNum.diff(dataEnd, sndNxt);
        if (sndWnd != 0 && unsent > 0 && sndUna == sndMax && state.isSynchronized())
        {
            // RFC 9293 §3.8.6.2.1: the SWS override timeout sends what the small window allows
            final int length = Math.min(Math.min(unsent, sendMss), sndWnd);
            if (sendSegment(sndNxt, length, TcpFlags.ACK | (length == unsent ? TcpFlags.PSH : 0), nowNs))
            {
                advanceSndNxt(length, nowNs);
            }
            persistBackoffs = 0;
            return;
        }
        if (sndWnd != 0 || unsent <= 0 || !state.isSynchronized())
        {
            persistBackoffs = 0;
            return;
        }
        if (zeroWindowProbesUnanswered(nowNs))
        {
            // the peer stopped answering our probes: RFC 9293 §3.8.6.1 lets a dead receiver time out
            counters.increment(Counter.TCP_USER_TIMEOUTS);
            layer.sendReset(remoteAddress, localPort, remotePort, resetSeq(), nowNs);
            resetBy("user timeout: zero-window probes unanswered", nowNs);
            return;
        }
        counters.increment(Counter.TCP_ZERO_WINDOW_PROBES);
        layer.events().onRetransmit(this, sndNxt, 1, TcpEventListener.PROBE_ZERO_WINDOW, nowNs);
        sendSegment(sndNxt, 1, TcpFlags.ACK, nowNs);
        onZeroWindowProbeSent(nowNs);
        // the probe byte counts as sent, so the peer's ACK of it is acceptable; SND.NXT stays put so the byte
        // is sent again with the rest once the window opens
        if (SeqNum.gt(sndNxt + 1, sndMax))
        {
            sndMax = sndNxt + 1;
        }
        persistBackoffs++;
        persistDeadline = nowNs + persistInterval();
        rtoDeadline = NONE;
    }

    private void onZeroWindowProbeSent(final long nowNs)
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
    private boolean zeroWindowProbesUnanswered(final long nowNs)
    {
        return unansweredProbes >= config.minUnansweredProbes()
            && nowNs - firstUnansweredProbeNs >= config.userTimeoutNs();
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private void transition(final TcpState to, final long nowNs)
    {
        final TcpState from = state;
        state = to;
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{} {} -> {}", this, from, to);
        }
        layer.events().onStateChange(this, from, to, nowNs);
    }

    private void terminate(final TcpState to, final long nowNs)
    {
        if (state == TcpState.SYN_RECEIVED && listener != null)
        {
            listener.onHalfOpenGone();
        }
        if (listener != null)
        {
            listener.remove(this);
        }
        if (state != to)
        {
            transition(to, nowNs);
        }
        rtoDeadline = NONE;
        delayedAckDeadline = NONE;
        persistDeadline = NONE;
        closeDeadline = NONE;
        layer.remove(this);
    }

    void detachFromListener()
    {
        listener = null;
    }

    private void markDirty()
    {
        layer.markDirty(this);
    }

    // ------------------------------------------------------------------------------------------------ views

    public int sndUna()
    {
        return sndUna;
    }

    public int sndNxt()
    {
        return sndNxt;
    }

    public int sndMax()
    {
        return sndMax;
    }

    public int sndWnd()
    {
        return sndWnd;
    }

    public int rcvNxt()
    {
        return rcvNxt;
    }

    public int iss()
    {
        return iss;
    }

    public int sendMss()
    {
        return sendMss;
    }

    public int cwnd()
    {
        return cc.cwnd();
    }

    public int ssthresh()
    {
        return cc.ssthresh();
    }

    public long rtoNs()
    {
        return rtt.rtoNs();
    }

    public long srttNs()
    {
        return rtt.srttNs();
    }

    /** Bytes written but not yet acknowledged (in flight or waiting). */
    public int sendBuffered()
    {
        return sendBuffer.size();
    }

    @Override
    public String toString()
    {
        return "tcp " + localPort + " <-> " + Ipv4Address.toString(remoteAddress) + ":" + remotePort;
    }
}
