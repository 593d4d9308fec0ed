package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpHeader;

import static io.tapstack.tcp.TcpConnection.NONE;

/**
 * The receiving half of a connection: the receive sequence space, reassembly and delivery into the receive buffer,
 * the window we announce (never moving its right edge left, SWS avoidance), and when to acknowledge (at once, or
 * delayed). Read RFC 9293 §3.3.1 (receive sequence space), §3.8.6.2.2 (receiver SWS avoidance), §3.8.6.3 (delayed
 * ACK), §3.10.7.4 first and seventh, RFC 5681 §4.2 (ACK at once for out-of-order data), RFC 5961 §7 and RFC 7323
 * §2 (window scaling; §2.4, the edge that must not move left when the field is rounded) first.
 *
 * <p>In-order bytes and out-of-order segments share one ring ({@link SegmentReassembler}); the window we announce
 * has a right edge that never moves left (§3.8.6.2.1) and grows only by at least min(buffer/2, MSS) at a time
 * (receiver SWS avoidance, §3.8.6.2.2). Owned by the stack thread.
 */
final class TcpReceiver
{
    /** RFC 7323 §2.3: a shift above 14 is used as 14. */
    static final int MAX_WINDOW_SHIFT = 14;
    private final TcpConfig config;
    private final StackCounters counters;
    final ReceiveBuffer receiveBuffer;
    private final SegmentReassembler reassembler;
    /** Receive-buffer autotuning: grows the buffer as the sender's rate times the RTT demands. */
    private final ReceiveBufferTuner tuner;
    private final TcpConnection connection;
    private final TcpTimestamps ts;

    // --- receive sequence space (RFC 9293 §3.3.1)
    int irs;
    int rcvNxt;
    /**
     * The right edge of the window announced, the largest ever (RFC 9293 §3.8.6.2.1; RFC 7323 §2.4 rule 2): never
     * moves left, and never beyond the receive buffer's free space, so whatever the peer may send within it fits.
     */
    int rcvAnnouncedEdge;
    /** Rcv.Wind.Shift (RFC 7323 §2.2): 0 unless both SYNs carried the window scale option. */
    int rcvWindShift;
    /** The shift our SYN offers (RFC 7323 §2.3): the smallest that can announce the buffer at its largest. */
    final int offeredWindShift;
    /** The peer's FIN arrived but bytes before it are still missing. */
    boolean peerFinPending;
    int peerFinSeq;
    /** The peer's FIN is in RCV.NXT: every byte before it has arrived. */
    boolean peerFinReceived;

    // --- SACK (RFC 2018, RFC 2883)
    /** Both SYNs carried SACK-permitted (RFC 2018 §2): our ACKs carry SACK blocks. */
    boolean sackEnabled;
    /** A duplicate segment arrived since the last ACK: the next ACK reports it first (RFC 2883 §4). */
    private boolean dsackPending;
    private int dsackLeft;
    private int dsackRight;
    /** What the last {@link #writeSackBlocks} put into the options, counted once the ACK went out. */
    private int blocksWritten;
    private boolean dsackWritten;
    private final int[] scratchLefts = new int[4];
    private final int[] scratchRights = new int[4];
    /** Holds the duplicate ACKs of out-of-order segments past the highest hole, after the first few. */
    private final SackCompressor sackCompressor;

    // --- acknowledgment policy
    /** The most a SACK option takes from a segment: four blocks and two NOPs (RFC 2018 §3). */
    private static final int MAX_SACK_OPTION_BYTES = 36;
    boolean ackNow;
    /** RCV.NXT as the last ACK carried it. */
    private int rcvNxtAcked;
    /** When we last answered an unacceptable pure ACK or SYN (Linux's last_oow_ack_time); NONE before the first. */
    private long lastOutOfWindowAckNs = NONE;
    private int fullSegmentsUnacked;
    long delayedAckDeadline = NONE;
    /** The segment being processed brought in-order data only: its ACK may wait for the burst's end. */
    private boolean inOrderOnly;
    /** ACKs sent so far, and that count when the segment being processed arrived. */
    private int acksSent;
    private int acksSentBeforeSegment;
    /** Whether ACK was due before the segment being processed ({@link #beginSegment}). */
    private boolean ackDueBeforeSegment;

    TcpReceiver(final TcpConnection connection, final TcpConfig config, final StackCounters counters,
        final TcpTimestamps ts, final TcpMemory memory)
    {
        this.connection = connection;
        this.config = config;
        this.counters = counters;
        this.ts = ts;
        this.receiveBuffer = new ReceiveBuffer(config.receiveBufferBytes(), config.receiveBufferMaxBytes(), memory);
        this.reassembler = new SegmentReassembler(receiveBuffer, config.maxOutOfOrderIntervals());
        this.tuner = new ReceiveBufferTuner(receiveBuffer, ts, counters);
        this.sackCompressor = new SackCompressor(config.sackCompression, counters, connection);
        // RFC 7323 §2.3: the shift is fixed at the SYN, so it is chosen for the largest the buffer may grow to
        this.offeredWindShift = windowShiftFor(config.receiveBufferMaxBytes());
    }

    /** RFC 7323 §2.3: the smallest shift that lets {@code bytes} be announced in 16 bits, at most 14. */
    static int windowShiftFor(final int bytes)
    {
        int shift = 0;
        while (shift < MAX_WINDOW_SHIFT && (bytes >>> shift) > TcpConnection.MAX_UNSCALED_WINDOW)
        {
            shift++;
        }
        return shift;
    }

    /** The peer's SYN arrived (RFC 9293 §3.10.7.2-3): RCV.NXT is one past it. */
    void onSyn(final int seq)
    {
        irs = seq;
        rcvNxt = seq + 1;
        rcvNxtAcked = rcvNxt;
        rcvAnnouncedEdge = rcvNxt;
    }

    /** The window our SYN-ACK announced when no state was kept for it (a SYN cookie's): its right edge holds. */
    void onSynAckAnnounced(final int window)
    {
        rcvAnnouncedEdge = rcvNxt + window;
    }

    /** RFC 9293 §3.10.7.4 first: the four cases of segment acceptability. */
    boolean acceptable(final int seq, final int segLen, final int rcvWnd)
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

    /**
     * RFC 5961 §7 (ACK throttling) and Linux's tcp_oow_rate_limited: an unacceptable segment is answered with an
     * ACK (RFC 9293 §3.10.7.4), but two ends that disagree would answer each other's ACKs without bound (an ACK
     * war), so a pure ACK or a SYN is answered at most once per {@link TcpConfig#outOfWindowAckIntervalNs()}.
     */
    boolean outOfWindowAckRateLimited(final int segLen, final boolean syn, final long nowNs)
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

    /** A FIN at {@code finAt}: noted if it lies within the window (its bytes before it may still be missing). */
    void notePeerFin(final int finAt)
    {
        if (SeqNum.lt(finAt, rcvNxt + announcedWindow()) || finAt == rcvNxt + announcedWindow())
        {
            peerFinPending = true;
            peerFinSeq = finAt;
        }
    }

    /** True when the noted FIN is next in sequence: every byte before it has arrived. */
    boolean peerFinDue()
    {
        return peerFinPending && peerFinSeq == rcvNxt;
    }

    /**
     * RFC 9293 §3.10.7.4 seventh: takes the segment text into the buffer (within the announced window), delivers
     * what is now in order, and decides when to acknowledge.
     *
     * @return bytes newly delivered in order (readable by the application)
     */
    int receiveData(final TcpHeader seg, final int seq, final int dataOffset, final int dataLength, final int sendMss,
        final long nowNs)
    {
        final boolean inOrder = seq == rcvNxt || SeqNum.lt(seq, rcvNxt);
        boolean duplicate = false;
        if (SeqNum.lt(seq, rcvNxt))
        {
            // RFC 2883 §4 (1): the part received before is reported as a D-SACK block
            noteDuplicate(seq, SeqNum.lt(seq + dataLength, rcvNxt) ? dataLength : rcvNxt - seq);
        }
        else if (reassembler.covers(seq, seq + dataLength))
        {
            // RFC 2883 §4 (2): a duplicate of out-of-order data held: its block, then the block holding it
            noteDuplicate(seq, dataLength);
            duplicate = true;
        }
        // out of order and at or past the highest range held: it fills no gap, so its ACK may be held (RFC 5681 §4.2)
        final int ranges = reassembler.intervalCount();
        final int highestEdge = ranges > 0 ? reassembler.intervalRight(ranges - 1) : rcvNxt;
        final boolean pastHighest = !inOrder && !duplicate && SeqNum.ge(seq, highestEdge);
        final boolean opensRange = pastHighest && (ranges == 0 || SeqNum.gt(seq, highestEdge));
        final int inWindow = Math.min(dataLength, Math.max(0, SeqNum.diff(rcvAnnouncedEdge, seq)));
        // in order with nothing buffered before it: the handler may take the bytes straight from the frame
        final int direct = seq == rcvNxt && ranges == 0 && receiveBuffer.isEmpty()
            ? deliverDirect(seg, dataOffset, inWindow) : 0;
        final int accepted = direct + reassembler.insert(seq + direct, rcvNxt, seg.buffer(), dataOffset + direct,
            inWindow - direct);
        final int delivered = direct + reassembler.drain(rcvNxt);
        rcvNxt += delivered - direct;
        if (delivered > 0)
        {
            tuner.onDataArrived(rcvNxt, ts.lastTsEcr, nowNs);
        }
        if (!inOrder || reassembler.intervalCount() > 0 || delivered > dataLength)
        {
            // RFC 5681 §4.2: out-of-order data, or data that fills a hole, is acknowledged at once
            counters.increment(Counter.TCP_OUT_OF_ORDER_SEGMENTS);
            final long ackByNs = sackEnabled && pastHighest && accepted > 0
                ? sackCompressor.onExtendingArrival(rcvNxt, opensRange, compressionRttNs(), nowNs) : NONE;
            if (ackByNs == NONE)
            {
                ackNow = true;
            }
            else
            {
                delayedAckDeadline = Math.min(delayedAckDeadline, ackByNs); // the connection's delayed-ACK timer
            }
        }
        else if (dataLength >= sendMss - (sackEnabled ? MAX_SACK_OPTION_BYTES : 0))
        {
            // RFC 9293 §3.8.6.3: acknowledge at least every second full-sized segment; full-sized by the peer's
            // effective MSS, which its SACK blocks shorten (§3.7.1), or a peer that has a hole in our data (its
            // segments carry blocks) would be acknowledged only by the delayed-ACK timer or our own data; a device's
            // super-frame (GRO/LRO) counts as the full-sized segments it carries
            fullSegmentsUnacked += Math.max(1, dataLength / sendMss);
            if (fullSegmentsUnacked >= 2)
            {
                ackNow = true;
            }
        }
        if (accepted == 0 && delivered == 0)
        {
            ackNow = true; // a duplicate: tell the sender where we are
        }
        inOrderOnly = inOrder && reassembler.intervalCount() == 0 && delivered > 0 && delivered <= dataLength
            && fullSegmentsUnacked < config.burstAcks.maxSegments();
        if (!ackNow && delayedAckDeadline == NONE)
        {
            delayedAckDeadline = nowNs + config.delayedAckNs();
        }
        if (direct > 0)
        {
            onDeliveredDirect(direct, sendMss, nowNs);
        }
        return delivered;
    }

    /**
     * Offers the in-order bytes at RCV.NXT to the handler ({@link TcpHandler#onInOrderData}); what it takes is
     * delivered and consumed at once (RCV.NXT advances past it, TCP's buffer never holds it).
     *
     * @return bytes taken, in [0, length]
     */
    private int deliverDirect(final TcpHeader seg, final int dataOffset, final int length)
    {
        final TcpHandler handler = connection.handler();
        if (handler == null || length <= 0)
        {
            return 0;
        }
        final int taken = Math.max(0, Math.min(length,
            handler.onInOrderData(connection, seg.buffer(), dataOffset, length)));
        if (taken > 0)
        {
            rcvNxt += taken;
            counters.increment(Counter.TCP_SEGMENTS_DELIVERED_DIRECT);
            counters.add(Counter.TCP_BYTES_DELIVERED_DIRECT, taken);
        }
        return taken;
    }

    /** RFC 9293 §3.10.7.4 eighth: the FIN is consumed; false when it was already (a retransmitted FIN). */
    boolean consumePeerFin()
    {
        peerFinPending = false;
        ackNow = true;
        if (peerFinReceived)
        {
            return false;
        }
        peerFinReceived = true;
        rcvNxt += 1;
        return true;
    }

    /** True once the peer's FIN arrived and every byte before it was read. */
    boolean isEndOfStream()
    {
        return peerFinReceived && receiveBuffer.isEmpty();
    }

    /** A segment whose text we already had: the next ACK carries a D-SACK block for it (RFC 2883 §4). */
    void noteDuplicate(final int seq, final int length)
    {
        if (sackEnabled && length > 0)
        {
            dsackPending = true;
            dsackLeft = seq;
            dsackRight = seq + length;
        }
    }

    /**
     * The bytes the SACK option of the next ACK takes (0 when it has no blocks): the sender shortens data segments
     * by it, as Linux's tcp_current_mss does, so an ACK riding on data still carries the blocks.
     */
    int sackOptionBytes(final int maxBlocks)
    {
        if (!sackEnabled)
        {
            return 0;
        }
        final int blocks = Math.min(maxBlocks, (dsackPending ? 1 : 0) + reassembler.intervalCount());
        return blocks > 0 ? 4 + 8 * blocks : 0;
    }

    /**
     * Fills the SACK blocks of an ACK: a pending D-SACK block first (RFC 2883 §4), then the held ranges, the one
     * holding the most recently received segment first and the rest most recent first (RFC 2018 §4), at most
     * {@code maxBlocks}.
     */
    void writeSackBlocks(final io.tapstack.wire.TcpOptions o, final int maxBlocks)
    {
        int n = 0;
        if (dsackPending && maxBlocks > 0)
        {
            o.sackLeft[n] = dsackLeft;
            o.sackRight[n] = dsackRight;
            n++;
        }
        final int held = reassembler.sackBlocks(rcvNxt, scratchLefts, scratchRights, maxBlocks - n);
        for (int k = 0; k < held; k++)
        {
            o.sackLeft[n] = scratchLefts[k];
            o.sackRight[n] = scratchRights[k];
            n++;
        }
        o.sackBlockCount = n;
        blocksWritten = n;
        dsackWritten = dsackPending && n > 0;
    }

    /**
     * The round trip a held ACK is measured against: the smaller of the sender's SRTT and the receiver's own
     * estimate (either may lack a sample, e.g. SRTT on a connection that only receives), 0 with neither.
     */
    private long compressionRttNs()
    {
        final long srttNs = connection.snd.rtt.srttNs();
        final long rcvRttNs = tuner.rttNs();
        return srttNs <= 0 ? rcvRttNs : rcvRttNs <= 0 ? srttNs : Math.min(srttNs, rcvRttNs);
    }

    /**
     * A segment arrives ({@link BurstAckConfig}): whether an ACK was already due (an earlier segment of the burst
     * left one waiting) is put aside, so that {@link #ackMayWait} sees what this segment asks for.
     */
    void beginSegment()
    {
        ackDueBeforeSegment = ackNow;
        ackNow = false;
        inOrderOnly = false;
        acksSentBeforeSegment = acksSent;
    }

    /**
     * The segment was processed: true when its ACK (and the connection's output) may wait for the end of the burst
     * ({@link BurstAckConfig}; RFC 9293 §3.8.6.3), false when it goes now: this segment asked for an ACK at once for
     * a reason other than in-order data (out of order, a hole filled, a duplicate, unacceptable: RFC 5681 §4.2, RFC
     * 9293 §3.10.7.4), or a burst's ACK reached {@link BurstAckConfig#maxSegments()}.
     */
    boolean ackMayWait()
    {
        final boolean asked = ackNow;
        // an ACK due before still is, unless one went while the segment was processed (a FIN's, say)
        ackNow = asked || (ackDueBeforeSegment && acksSent == acksSentBeforeSegment);
        final boolean mayWait = config.burstAcks.enabled() && (!asked || inOrderOnly);
        if (mayWait && ackNow)
        {
            counters.increment(Counter.TCP_BURST_DEFERRED_SEGMENTS);
        }
        return mayWait;
    }

    /** An ACK went out: nothing more to acknowledge until new data arrives. */
    void onAckSent(final long nowNs)
    {
        acksSent++;
        if (fullSegmentsUnacked > 2)
        {
            counters.increment(Counter.TCP_STRETCH_ACKS);
        }
        if (sackEnabled)
        {
            sackCompressor.onAckSent(rcvNxt, reassembler.intervalCount() > 0, nowNs);
        }
        if (blocksWritten > 0)
        {
            counters.add(Counter.TCP_SACK_BLOCKS_TX, blocksWritten);
            if (dsackWritten)
            {
                counters.increment(Counter.TCP_DSACKS_TX);
                dsackPending = false; // RFC 2883 §4: a D-SACK block is reported once
            }
            blocksWritten = 0;
            dsackWritten = false;
        }
        ackNow = false;
        fullSegmentsUnacked = 0;
        rcvNxtAcked = rcvNxt;
        delayedAckDeadline = NONE;
    }

    /**
     * The window field of the next segment, updating the announced right edge (never moves left).
     *
     * @param open whether the connection has a receive window at all (SYN-SENT and later)
     * @param syn  the segment carries SYN: its window is never scaled (RFC 7323 §2.2), so at most 65,535
     */
    int advertiseWindow(final boolean open, final int sendMss, final boolean syn)
    {
        if (!open)
        {
            return 0;
        }
        final int shift = syn ? 0 : rcvWindShift;
        if (windowIncreaseWorthAnnouncing(sendMss) || SeqNum.lt(rcvAnnouncedEdge, rcvNxt))
        {
            // a new edge from the free space, in whole units of the scale so the field carries it exactly
            final int window = (Math.min(receiveBuffer.free(), TcpConnection.MAX_UNSCALED_WINDOW << shift) >>> shift)
                << shift;
            if (SeqNum.gt(rcvNxt + window, rcvAnnouncedEdge) || SeqNum.lt(rcvAnnouncedEdge, rcvNxt))
            {
                rcvAnnouncedEdge = rcvNxt + window;
            }
        }
        final int window = announcedWindow();
        int field = Math.min(window >>> shift, TcpConnection.MAX_UNSCALED_WINDOW);
        if (field << shift < window && field < TcpConnection.MAX_UNSCALED_WINDOW
            && (field + 1) << shift <= receiveBuffer.free())
        {
            // RFC 7323 §2.4: RCV.NXT moved by less than a unit of the scale: round up, or the right edge the peer
            // sees would move left; the rounded edge becomes the announced one (there is room for it)
            field++;
            rcvAnnouncedEdge = rcvNxt + (field << shift);
        }
        return field;
    }

    /**
     * The application consumed {@code n} bytes: receive autotuning may grow the buffer, and a window update goes out
     * as soon as the space is worth announcing (a late one stalls the sender).
     *
     * @param receiving whether the connection still receives (no update to a peer that sent FIN)
     * @return whether a window update is due (the ACK flag is set)
     */
    boolean onApplicationRead(final int n, final int sendMss, final boolean receiving, final long nowNs)
    {
        if (receiving && tuner.onConsumed(n, maxWindow(), nowNs))
        {
            connection.events().onBufferGrowth(connection, true, receiveBuffer.capacity(), nowNs);
        }
        if (receiving && windowIncreaseWorthAnnouncing(sendMss))
        {
            ackNow = true;
            return true;
        }
        return false;
    }

    /**
     * The handler took {@code n} bytes straight from a segment: consumed at once, as a read right after onReadable,
     * so autotuning counts them. The window they free is announced by the ACK the data earns (every second
     * full-sized segment, RFC 9293 §3.8.6.3, or the delayed-ACK timer), not by an update of its own each time,
     * which would be an ACK per segment: only when the peer's window has half closed, fallen below a segment, or
     * more than a segment is unacknowledged.
     */
    private void onDeliveredDirect(final int n, final int sendMss, final long nowNs)
    {
        if (tuner.onConsumed(n, maxWindow(), nowNs))
        {
            connection.events().onBufferGrowth(connection, true, receiveBuffer.capacity(), nowNs);
        }
        if (windowIncreaseWorthAnnouncing(sendMss) && peerWindowHalfClosed(sendMss))
        {
            ackNow = true;
        }
    }

    /** The connection reached TIME-WAIT or CLOSED: the buffer's memory goes back once the application read it all. */
    /** Out-of-order bytes wait past the in-order tail, in the receive buffer's array. */
    boolean holdsOutOfOrderData()
    {
        return reassembler.intervalCount() > 0;
    }

    void onClosed()
    {
        receiveBuffer.disposeWhenEmpty();
    }

    /** The receiver's own round-trip time estimate (autotuning's), 0 before a sample. */
    long rttNs()
    {
        return tuner.rttNs();
    }

    /**
     * Whether bytes consumed as they arrive are worth a window update of their own (RFC 1122 §4.2.3.3 leaves when to
     * send one to the receiver; these are Linux's rules): the window the peer last heard of is at most half of what
     * we could offer now, or less than a segment, or more than a segment is unacknowledged.
     */
    private boolean peerWindowHalfClosed(final int sendMss)
    {
        final int announced = announcedWindow();
        // below one segment the peer's sender may hold back altogether (its SWS avoidance, §3.8.6.2.1): tell it now;
        // and more than a segment unacknowledged (smaller segments, which earn no ACK of their own) is acknowledged
        // with the read, as Linux does, rather than at the delayed-ACK timer
        return announced < sendMss || SeqNum.diff(rcvNxt, rcvNxtAcked) > sendMss
            || 2L * announced <= Math.min(receiveBuffer.free(), maxWindow());
    }

    /** RFC 9293 §3.8.6.2.2: announce more window only in steps of at least min(buffer/2, MSS). */
    boolean windowIncreaseWorthAnnouncing(final int sendMss)
    {
        final int possibleEdge = rcvNxt + Math.min(receiveBuffer.free(), maxWindow());
        final int increase = SeqNum.diff(possibleEdge, rcvAnnouncedEdge);
        // RFC 9293 §3.8.6.2.2: a closed window, too, reopens only by a worthwhile step (no tiny windows)
        return increase >= Math.min(receiveBuffer.capacity() / 2, sendMss);
    }

    /** The largest window the field can announce: 65,535 scaled by Rcv.Wind.Shift (RFC 7323 §2.2). */
    int maxWindow()
    {
        return TcpConnection.MAX_UNSCALED_WINDOW << rcvWindShift;
    }

    /** RCV.WND as last announced. */
    int announcedWindow()
    {
        return Math.max(0, SeqNum.diff(rcvAnnouncedEdge, rcvNxt));
    }
}
