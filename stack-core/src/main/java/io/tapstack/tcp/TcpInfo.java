package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;

/**
 * A read-only snapshot of one connection, in the spirit of Linux's {@code struct tcp_info} (what {@code ss -ti}
 * prints): the congestion window and slow-start threshold (RFC 5681 §2), the RTT estimate and the retransmission
 * timeout with its backoff (RFC 6298 §2, §5.5), the bytes in flight (RFC 5681 §2 FlightSize: SND.MAX - SND.UNA),
 * the window the peer offers and the one this end announces (RFC 9293 §3.8.6), and what was sent again, by cause.
 *
 * <p>One holder is reused: {@link #capture} overwrites every field and allocates nothing, so a sampler may take a
 * snapshot on every tick of a busy connection. It reads the connection's fields and changes none of them. The
 * time is the caller's ({@code nowNs}): nothing here reads a clock.
 *
 * <p>Owned by the stack thread, like the connection it reads.
 */
public final class TcpInfo
{
    private long timeNs;
    private TcpState state = TcpState.CLOSED;
    private int sendMss;
    private int cwnd;
    private int ssthresh;
    private boolean inRecovery;
    private long srttNs;
    private long rttvarNs;
    private long rtoNs;
    private int rtoBackoffs;
    private int bytesInFlight;
    private int peerWindow;
    private int receiveWindow;
    private int sendBuffered;
    private long bytesAcked;
    private long bytesReceived;
    private long retransmitsFastRecovery;
    private long retransmitsRack;
    private long tailLossProbes;
    private long retransmitsTimeout;
    private long retransmitsSyn;
    private long zeroWindowProbes;

    /** Copies {@code connection}'s state at {@code nowNs} into this holder (allocation-free); returns this. */
    public TcpInfo capture(final TcpConnection connection, final long nowNs)
    {
        final TcpSender snd = connection.snd;
        final TcpReceiver rcv = connection.rcv;
        timeNs = nowNs;
        state = connection.state();
        sendMss = snd.sendMss;
        cwnd = snd.cc.cwnd();
        ssthresh = snd.cc.ssthresh();
        inRecovery = snd.cc.inRecovery();
        srttNs = snd.rtt.srttNs();
        rttvarNs = snd.rtt.rttvarNs();
        rtoNs = snd.rtt.rtoNs();
        rtoBackoffs = snd.rtt.backoffs();
        bytesInFlight = Math.max(0, snd.sndMax - snd.sndUna); // RFC 5681 §2 FlightSize
        peerWindow = snd.sndWnd;
        receiveWindow = rcv.announcedWindow();
        sendBuffered = snd.sendBuffer.size();
        // the SYN and the FIN take a sequence number each: data starts at ISS + 1 (IRS + 1) and ends before the FIN
        final boolean finAcked = snd.finQueued && SeqNum.gt(snd.sndUna, snd.finSeq);
        bytesAcked = Math.max(0, Integer.toUnsignedLong(snd.sndUna - snd.iss) - 1 - (finAcked ? 1 : 0));
        bytesReceived = Math.max(0, Integer.toUnsignedLong(rcv.rcvNxt - rcv.irs) - 1
            - (rcv.peerFinReceived ? 1 : 0));
        final RetransmitCounts counts = snd.retransmits;
        retransmitsFastRecovery = counts.fastRecovery;
        retransmitsRack = counts.rack;
        tailLossProbes = counts.tailLossProbes;
        retransmitsTimeout = counts.timeouts;
        retransmitsSyn = counts.syn;
        zeroWindowProbes = counts.zeroWindowProbes;
        return this;
    }

    /** The time the snapshot was taken (the caller's clock). */
    public long timeNs()
    {
        return timeNs;
    }

    public TcpState state()
    {
        return state;
    }

    /** SMSS: the largest segment this end sends (RFC 9293 §3.7.1). */
    public int sendMss()
    {
        return sendMss;
    }

    /** The congestion window in bytes (RFC 5681 §2). */
    public int cwnd()
    {
        return cwnd;
    }

    /** The slow-start threshold in bytes; {@code Integer.MAX_VALUE} before the first loss (RFC 5681 §3.1). */
    public int ssthresh()
    {
        return ssthresh;
    }

    /** Whether a fast recovery is in progress (RFC 5681 §3.2, RFC 6675 §5). */
    public boolean inRecovery()
    {
        return inRecovery;
    }

    /** SRTT (RFC 6298 §2); 0 before the first RTT sample. */
    public long srttNs()
    {
        return srttNs;
    }

    /** RTTVAR (RFC 6298 §2). */
    public long rttvarNs()
    {
        return rttvarNs;
    }

    /** The retransmission timeout, backoff included (RFC 6298 §5.5). */
    public long rtoNs()
    {
        return rtoNs;
    }

    /** How many times the RTO was doubled since the last new ACK (RFC 6298 §5.5). */
    public int rtoBackoffs()
    {
        return rtoBackoffs;
    }

    /** FlightSize (RFC 5681 §2): bytes sent and not yet acknowledged, SND.MAX - SND.UNA. */
    public int bytesInFlight()
    {
        return bytesInFlight;
    }

    /** SND.WND: the window the peer offers, scaled (RFC 9293 §3.8.6, RFC 7323 §2.3). */
    public int peerWindow()
    {
        return peerWindow;
    }

    /** The window this end announces, RCV.WND (RFC 9293 §3.8.6.2.2): free room in its receive buffer. */
    public int receiveWindow()
    {
        return receiveWindow;
    }

    /** Bytes written by the application and not yet acknowledged (in flight or waiting to be sent). */
    public int sendBuffered()
    {
        return sendBuffered;
    }

    /** Data bytes the peer has acknowledged (modulo 2^32). */
    public long bytesAcked()
    {
        return bytesAcked;
    }

    /** Data bytes received in order (modulo 2^32). */
    public long bytesReceived()
    {
        return bytesReceived;
    }

    /** Segments resent by fast retransmit and fast recovery (RFC 5681 §3.2, RFC 6582, RFC 6675). */
    public long retransmitsFastRecovery()
    {
        return retransmitsFastRecovery;
    }

    /** Segments resent because RACK deemed them lost (RFC 8985 §6.2). */
    public long retransmitsRack()
    {
        return retransmitsRack;
    }

    /** Tail loss probes sent, of the last segment or of new data (RFC 8985 §7.3). */
    public long tailLossProbes()
    {
        return tailLossProbes;
    }

    /** Segments resent when the retransmission timer expired (RFC 6298 §5.4). */
    public long retransmitsTimeout()
    {
        return retransmitsTimeout;
    }

    /** SYNs (or SYN-ACKs) resent (RFC 6298 §5.7). */
    public long retransmitsSyn()
    {
        return retransmitsSyn;
    }

    /** Zero-window probes sent (RFC 9293 §3.8.6.1). */
    public long zeroWindowProbes()
    {
        return zeroWindowProbes;
    }

    /** Every segment sent again, for any cause (zero-window probes and new-data loss probes included). */
    public long retransmitsTotal()
    {
        return retransmitsFastRecovery + retransmitsRack + tailLossProbes + retransmitsTimeout + retransmitsSyn
            + zeroWindowProbes;
    }
}
