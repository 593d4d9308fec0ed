package io.tapstack.tcp;

import java.util.concurrent.TimeUnit;

/** TCP settings with safe defaults; each limit has a counter when it is hit. Fluent setters. */
public final class TcpConfig
{
    private int sendBufferBytes = 64 * 1024;
    private int sendBufferMaxBytes = 4 * 1024 * 1024;
    private int receiveBufferBytes = 64 * 1024;
    private int receiveBufferMaxBytes = 4 * 1024 * 1024;
    private long memoryLimitBytes = 256L * 1024 * 1024;
    private long memoryHardLimitBytes; // 0: 1.5 times the limit, as the hard threshold of Linux's tcp_mem
    private long minRtoNs = TimeUnit.MILLISECONDS.toNanos(200);
    private long maxRtoNs = TimeUnit.SECONDS.toNanos(60);
    private long initialRtoNs = TimeUnit.SECONDS.toNanos(1);
    private long delayedAckNs = TimeUnit.MILLISECONDS.toNanos(40);
    private long timeWaitNs = TimeUnit.SECONDS.toNanos(60);
    private long finWait2TimeoutNs = TimeUnit.SECONDS.toNanos(60);
    private long userTimeoutNs = TimeUnit.SECONDS.toNanos(120);
    private boolean keepAlive;
    private long keepAliveIdleNs = TimeUnit.HOURS.toNanos(2);
    private long keepAliveIntervalNs = TimeUnit.SECONDS.toNanos(75);
    private int keepAliveProbes = 9;
    private int synRetries = 6;
    private int synAckRetries = 5;
    private boolean synCookies = true;
    private int maxConnections = 1024;
    private int maxTimeWait = 131_072;
    private int defaultBacklog = 128;
    private boolean nagle = true;
    private int initialWindowSegments = 0;
    private CongestionAlgorithm congestionControl = CongestionAlgorithm.CUBIC;
    private int challengeAcksPerSecond = 1000;
    private int maxOutOfOrderIntervals = SegmentReassembler.DEFAULT_MAX_INTERVALS;
    private long outOfWindowAckIntervalNs = TimeUnit.MILLISECONDS.toNanos(500);
    private int minUnansweredProbes = 4;
    private boolean windowScaling = true;
    private boolean timestamps = true;
    private boolean sack = true;
    private boolean prr = true;
    private boolean limitedTransmit = true;
    private boolean undoSpuriousRecoveries = true;
    private boolean congestionWindowValidation = true;
    private int maxSackScoreboardIntervals = 32;
    private boolean rack = true;
    private long tlpWorstCaseDelayedAckNs = TimeUnit.MILLISECONDS.toNanos(200);
    private long tlpMinPtoNs = TimeUnit.MILLISECONDS.toNanos(10);
    /** Receiver SACK compression (off by default), and when idle buffers give their arrays back; adjust in place. */
    public final SackCompressionConfig sackCompression = new SackCompressionConfig();
    public final IdleBufferConfig idleBuffers = new IdleBufferConfig();

    /**
     * The send buffer a connection starts with: bytes written but not yet acknowledged. It grows, with the congestion
     * window, to about twice the window (Linux's tcp_sndbuf_expand) up to {@link #sendBufferMaxBytes()}, unless the
     * stack is under memory pressure ({@link #memoryLimitBytes()}). Memory is taken only as bytes are written.
     */
    public TcpConfig sendBufferBytes(final int bytes)
    {
        this.sendBufferBytes = checkBufferBytes(bytes, "sendBufferBytes");
        return this;
    }

    public int sendBufferBytes()
    {
        return sendBufferBytes;
    }

    /**
     * The largest a send buffer grows to (default 4 MiB, Linux's tcp_wmem maximum); never below
     * {@link #sendBufferBytes()}, so setting the initial size at least as large turns growth off.
     */
    public TcpConfig sendBufferMaxBytes(final int bytes)
    {
        this.sendBufferMaxBytes = checkBufferBytes(bytes, "sendBufferMaxBytes");
        return this;
    }

    public int sendBufferMaxBytes()
    {
        return Math.max(sendBufferMaxBytes, sendBufferBytes);
    }

    /**
     * The receive buffer a connection starts with; the advertised window is its free space (at most 65,535 without
     * window scaling). It grows by autotuning (dynamic right-sizing: about twice the bytes the application reads per
     * round trip) up to {@link #receiveBufferMaxBytes()}. Memory is taken only as bytes arrive.
     */
    public TcpConfig receiveBufferBytes(final int bytes)
    {
        this.receiveBufferBytes = checkBufferBytes(bytes, "receiveBufferBytes");
        return this;
    }

    public int receiveBufferBytes()
    {
        return receiveBufferBytes;
    }

    /**
     * The largest a receive buffer grows to by autotuning (default 4 MiB); never below {@link #receiveBufferBytes()},
     * so setting the initial size at least as large turns autotuning off. With {@link #windowScaling()} it also
     * chooses the shift our SYN offers (RFC 7323 §2.3): the smallest that can announce this maximum, since the shift
     * cannot change after the SYN.
     */
    public TcpConfig receiveBufferMaxBytes(final int bytes)
    {
        this.receiveBufferMaxBytes = checkBufferBytes(bytes, "receiveBufferMaxBytes");
        return this;
    }

    public int receiveBufferMaxBytes()
    {
        return Math.max(receiveBufferMaxBytes, receiveBufferBytes);
    }

    private static int checkBufferBytes(final int bytes, final String name)
    {
        if (bytes <= 0 || bytes > ByteRing.MAX_CAPACITY)
        {
            throw new IllegalArgumentException(name + " must be in [1, 2^30]: " + bytes);
        }
        return bytes;
    }

    /**
     * The stack-wide TCP buffer memory (every connection's send and receive buffers, as allocated) at which the stack
     * is under pressure (default 256 MiB): buffers stop growing and send buffers take no more than they hold, counted
     * in {@code TCP_MEMORY_PRESSURE}; {@code TCP_MEMORY_BYTES} is the gauge. Windows already announced stay.
     */
    public TcpConfig memoryLimitBytes(final long bytes)
    {
        if (bytes <= 0)
        {
            throw new IllegalArgumentException("memoryLimitBytes must be > 0: " + bytes);
        }
        this.memoryLimitBytes = bytes;
        return this;
    }

    public long memoryLimitBytes()
    {
        return memoryLimitBytes;
    }

    /**
     * The TCP buffer memory at which new connections are refused (counted in {@code TCP_MEMORY_HARD_LIMIT}); by
     * default 1.5 times {@link #memoryLimitBytes()}, and never below it.
     */
    public TcpConfig memoryHardLimitBytes(final long bytes)
    {
        if (bytes <= 0)
        {
            throw new IllegalArgumentException("memoryHardLimitBytes must be > 0: " + bytes);
        }
        this.memoryHardLimitBytes = bytes;
        return this;
    }

    public long memoryHardLimitBytes()
    {
        final long derived = memoryLimitBytes + Math.min(memoryLimitBytes / 2, Long.MAX_VALUE - memoryLimitBytes);
        return Math.max(memoryLimitBytes, memoryHardLimitBytes > 0 ? memoryHardLimitBytes : derived);
    }

    public TcpConfig minRtoNs(final long ns)
    {
        this.minRtoNs = ns;
        return this;
    }

    public long minRtoNs()
    {
        return minRtoNs;
    }

    public TcpConfig maxRtoNs(final long ns)
    {
        this.maxRtoNs = ns;
        return this;
    }

    public long maxRtoNs()
    {
        return maxRtoNs;
    }

    public TcpConfig initialRtoNs(final long ns)
    {
        this.initialRtoNs = ns;
        return this;
    }

    public long initialRtoNs()
    {
        return initialRtoNs;
    }

    /** RFC 9293 §3.8.6.3: how long an ACK may wait for a second segment or data to ride on (< 500 ms). */
    public TcpConfig delayedAckNs(final long ns)
    {
        this.delayedAckNs = ns;
        return this;
    }

    public long delayedAckNs()
    {
        return delayedAckNs;
    }

    /** 2·MSL (RFC 9293 §3.4.2). */
    public TcpConfig timeWaitNs(final long ns)
    {
        this.timeWaitNs = ns;
        return this;
    }

    public long timeWaitNs()
    {
        return timeWaitNs;
    }

    /** How long a connection closed by the application waits in FIN-WAIT-2 for the peer's FIN. */
    public TcpConfig finWait2TimeoutNs(final long ns)
    {
        this.finWait2TimeoutNs = ns;
        return this;
    }

    public long finWait2TimeoutNs()
    {
        return finWait2TimeoutNs;
    }

    /** RFC 9293 §3.8.3 / RFC 5482: abort when data stays unacknowledged this long. */
    public TcpConfig userTimeoutNs(final long ns)
    {
        this.userTimeoutNs = ns;
        return this;
    }

    public long userTimeoutNs()
    {
        return userTimeoutNs;
    }

    /**
     * RFC 1122 §4.2.3.6: keep-alive probes on new connections (each can turn them on or off with
     * {@link TcpConnection#keepAlive(boolean)}). Off by default, as the RFC requires.
     */
    public TcpConfig keepAlive(final boolean enabled)
    {
        this.keepAlive = enabled;
        return this;
    }

    public boolean keepAlive()
    {
        return keepAlive;
    }

    /** RFC 1122 §4.2.3.6: how long a connection is idle before the first probe (at least two hours by default). */
    public TcpConfig keepAliveIdleNs(final long ns)
    {
        if (ns <= 0)
        {
            throw new IllegalArgumentException("keepAliveIdleNs must be > 0: " + ns);
        }
        this.keepAliveIdleNs = ns;
        return this;
    }

    public long keepAliveIdleNs()
    {
        return keepAliveIdleNs;
    }

    /** The interval between unanswered keep-alive probes (Linux's tcp_keepalive_intvl, 75 s). */
    public TcpConfig keepAliveIntervalNs(final long ns)
    {
        if (ns <= 0)
        {
            throw new IllegalArgumentException("keepAliveIntervalNs must be > 0: " + ns);
        }
        this.keepAliveIntervalNs = ns;
        return this;
    }

    public long keepAliveIntervalNs()
    {
        return keepAliveIntervalNs;
    }

    /** Unanswered probes after which the peer is declared dead (Linux's tcp_keepalive_probes, 9). */
    public TcpConfig keepAliveProbes(final int probes)
    {
        if (probes < 1)
        {
            throw new IllegalArgumentException("keepAliveProbes must be >= 1: " + probes);
        }
        this.keepAliveProbes = probes;
        return this;
    }

    public int keepAliveProbes()
    {
        return keepAliveProbes;
    }

    /** SYN (and SYN-ACK) retransmissions before a connect fails. */
    public TcpConfig synRetries(final int retries)
    {
        this.synRetries = retries;
        return this;
    }

    public int synRetries()
    {
        return synRetries;
    }

    /** SYN-ACK retransmissions before a half-open connection is given up (Linux's tcp_synack_retries, 5). */
    public TcpConfig synAckRetries(final int retries)
    {
        if (retries < 0)
        {
            throw new IllegalArgumentException("synAckRetries must not be negative: " + retries);
        }
        this.synAckRetries = retries;
        return this;
    }

    public int synAckRetries()
    {
        return synAckRetries;
    }

    /**
     * RFC 4987 §3.6: when a listener's half-open queue is full, answer SYNs with SYN cookies instead of dropping
     * them, so a SYN flood cannot keep legitimate clients out. On by default; off, the oldest half-open connection
     * makes room for a new SYN (RFC 4987 §3.4, "recycling the oldest half-open TCB").
     */
    public TcpConfig synCookies(final boolean enabled)
    {
        this.synCookies = enabled;
        return this;
    }

    public boolean synCookies()
    {
        return synCookies;
    }

    /**
     * Connections in TIME-WAIT at most (Linux's tcp_max_tw_buckets). Each is a light record of under 100 bytes (its
     * buffers and connection slot are freed), not counted against {@link #maxConnections()}: a server closing many
     * short connections must not refuse new ones for 2·MSL. When the bound is reached the record whose wait ends
     * first is dropped (counted in TCP_TIME_WAIT_OVERFLOWS); with 0, connections close without TIME-WAIT. Default
     * 131,072, as Linux on a machine of a few GB: a server closing 7,000 connections a second holds 60 s of them
     * (420,000) at most in part, but 1,024 dropped 99% of the records, and the table grows only as records come
     * (about 11 MB when full).
     */
    public TcpConfig maxTimeWait(final int max)
    {
        if (max < 0)
        {
            throw new IllegalArgumentException("maxTimeWait must not be negative: " + max);
        }
        this.maxTimeWait = max;
        return this;
    }

    public int maxTimeWait()
    {
        return maxTimeWait;
    }

    public TcpConfig maxConnections(final int max)
    {
        this.maxConnections = max;
        return this;
    }

    public int maxConnections()
    {
        return maxConnections;
    }

    /** Backlog of a listener that does not give one: half-open plus not yet accepted connections. */
    public TcpConfig defaultBacklog(final int backlog)
    {
        this.defaultBacklog = backlog;
        return this;
    }

    public int defaultBacklog()
    {
        return defaultBacklog;
    }

    /** Nagle's algorithm (RFC 9293 §3.7.4) for new connections; switchable per connection. */
    public TcpConfig nagle(final boolean nagle)
    {
        this.nagle = nagle;
        return this;
    }

    public boolean nagle()
    {
        return nagle;
    }

    /** Initial congestion window in segments; 0 is RFC 6928's min(10·MSS, max(2·MSS, 14,600)). */
    public TcpConfig initialWindowSegments(final int segments)
    {
        this.initialWindowSegments = segments;
        return this;
    }

    public int initialWindowSegments()
    {
        return initialWindowSegments;
    }

    /**
     * The congestion control of new connections: {@link CongestionAlgorithm#CUBIC} (RFC 9438 with RFC 9406
     * HyStart++) by default, or {@link CongestionAlgorithm#NEWRENO} (RFC 5681, 6582). A connection can choose
     * its own with {@link TcpConnection#congestionControl(CongestionAlgorithm)} before it sends data.
     */
    public TcpConfig congestionControl(final CongestionAlgorithm algorithm)
    {
        if (algorithm == null)
        {
            throw new IllegalArgumentException("congestionControl must not be null");
        }
        this.congestionControl = algorithm;
        return this;
    }

    public CongestionAlgorithm congestionControl()
    {
        return congestionControl;
    }

    /** Bound on out-of-order ranges held per connection. */
    public TcpConfig maxOutOfOrderIntervals(final int max)
    {
        this.maxOutOfOrderIntervals = max;
        return this;
    }

    public int maxOutOfOrderIntervals()
    {
        return maxOutOfOrderIntervals;
    }

    /** RFC 5961 §7: challenge ACKs sent per second at most, for the whole stack (Linux's default is 1000). */
    public TcpConfig challengeAcksPerSecond(final int limit)
    {
        this.challengeAcksPerSecond = limit;
        return this;
    }

    public int challengeAcksPerSecond()
    {
        return challengeAcksPerSecond;
    }

    /**
     * RFC 5961 §7 (ACK throttling), RFC 9293 §3.10.7.4: per connection, the shortest interval between two ACKs
     * answering unacceptable segments that carry no data (pure ACKs, SYNs), as Linux's tcp_invalid_ratelimit
     * (500 ms); two ends that disagree cannot ping-pong ACKs without bound. Segments with data or FIN are always
     * answered (zero-window probes). Those not answered are counted (TCP_OOW_ACKS_RATE_LIMITED); 0 disables.
     */
    public TcpConfig outOfWindowAckIntervalNs(final long ns)
    {
        if (ns < 0)
        {
            throw new IllegalArgumentException("outOfWindowAckIntervalNs must be >= 0: " + ns);
        }
        this.outOfWindowAckIntervalNs = ns;
        return this;
    }

    public long outOfWindowAckIntervalNs()
    {
        return outOfWindowAckIntervalNs;
    }

    /**
     * RFC 1122 §4.2.3.5 (R2): zero-window probes the peer must leave unanswered, besides the user timeout counted
     * from the first of them, before the connection is given up (counted in TCP_USER_TIMEOUTS). R1 is at least 3
     * retransmissions and R2 beyond it, so the default 4 is a probe and 3 more; at least 1.
     */
    public TcpConfig minUnansweredProbes(final int probes)
    {
        if (probes < 1)
        {
            throw new IllegalArgumentException("minUnansweredProbes must be >= 1: " + probes);
        }
        this.minUnansweredProbes = probes;
        return this;
    }

    public int minUnansweredProbes()
    {
        return minUnansweredProbes;
    }

    /**
     * RFC 7323 §2: offer the window scale option on our SYN and honour the peer's; used only when both SYNs carry
     * it. Off: windows stay at most 65,535 bytes, as before RFC 7323.
     */
    public TcpConfig windowScaling(final boolean enabled)
    {
        this.windowScaling = enabled;
        return this;
    }

    public boolean windowScaling()
    {
        return windowScaling;
    }

    /**
     * RFC 7323 §3-5: offer the timestamps option on our SYN (and answer a peer's); when both SYNs carry it, every
     * segment but a RST carries it, each ACK of new data gives an RTT sample, and PAWS drops old duplicates.
     */
    public TcpConfig timestamps(final boolean enabled)
    {
        this.timestamps = enabled;
        return this;
    }

    public boolean timestamps()
    {
        return timestamps;
    }

    /**
     * RFC 2018 §2: offer SACK-permitted on our SYN (and answer a peer's); when both SYNs carry it, we send SACK blocks
     * for out-of-order data (with RFC 2883 D-SACK for duplicates), keep a scoreboard of the peer's and recover from
     * loss per RFC 6675. Off: NewReno recovery (RFC 6582) from duplicate ACKs alone.
     */
    public TcpConfig sack(final boolean enabled)
    {
        this.sack = enabled;
        return this;
    }

    public boolean sack()
    {
        return sack;
    }

    /**
     * Bound on the separate SACKed ranges the sender's scoreboard holds (RFC 6675 §3); beyond it the highest range
     * is forgotten (it is only retransmitted again, never lost) and {@code TCP_SACK_SCOREBOARD_OVERFLOWS} counts it.
     */
    public TcpConfig maxSackScoreboardIntervals(final int max)
    {
        if (max < 1)
        {
            throw new IllegalArgumentException("maxSackScoreboardIntervals must be at least 1: " + max);
        }
        this.maxSackScoreboardIntervals = max;
        return this;
    }

    public int maxSackScoreboardIntervals()
    {
        return maxSackScoreboardIntervals;
    }

    /**
     * RFC 8985 RACK-TLP loss detection for connections that negotiated SACK (it needs SACK, RFC 8985 §4): losses are
     * found from the send times of the segments delivered after them (RACK) instead of by counting duplicate ACKs
     * alone, with a reordering window that grows on D-SACKs, and a tail loss probe (TLP) sent about two round trips
     * after the last segment turns a lost tail into a fast recovery instead of a retransmission timeout. On by
     * default; off, SACK recovery follows RFC 6675 alone.
     */
    public TcpConfig rack(final boolean enabled)
    {
        this.rack = enabled;
        return this;
    }

    public boolean rack()
    {
        return rack;
    }

    /**
     * RFC 8985 §7.2 WCDelAckT: the worst-case delayed-ACK time added to the probe timeout when a single segment is in
     * flight, whose ACK the receiver may delay (200 ms, the RFC's recommendation); at least 0.
     */
    public TcpConfig tlpWorstCaseDelayedAckNs(final long ns)
    {
        if (ns < 0)
        {
            throw new IllegalArgumentException("tlpWorstCaseDelayedAckNs must be >= 0: " + ns);
        }
        this.tlpWorstCaseDelayedAckNs = ns;
        return this;
    }

    public long tlpWorstCaseDelayedAckNs()
    {
        return tlpWorstCaseDelayedAckNs;
    }

    /**
     * The least probe timeout (RFC 8985 §7.2's 2·SRTT assumes SRTT well above the clock's granularity; on a link of
     * microseconds it would probe at once). 10 ms by default, as Linux had; at least 0.
     */
    public TcpConfig tlpMinPtoNs(final long ns)
    {
        if (ns < 0)
        {
            throw new IllegalArgumentException("tlpMinPtoNs must be >= 0: " + ns);
        }
        this.tlpMinPtoNs = ns;
        return this;
    }

    public long tlpMinPtoNs()
    {
        return tlpMinPtoNs;
    }

    /**
     * RFC 6937 Proportional Rate Reduction: during fast recovery (RFC 6675 with SACK, RFC 6582 without) each ACK lets
     * the sender send what PRR's sndcnt allows, so the data in flight falls smoothly to ssthresh (counters
     * {@code TCP_PRR_ACKS}, {@code TCP_PRR_CONSERVATIVE_ACKS}; trace reason "prr"). Off: RFC 5681's window inflation
     * without SACK, and cwnd - pipe (which may be a burst) with it.
     */
    public TcpConfig prr(final boolean enabled)
    {
        this.prr = enabled;
        return this;
    }

    public boolean prr()
    {
        return prr;
    }

    /**
     * RFC 3042 limited transmit without SACK: one new segment for each of the first two duplicate ACKs, beyond cwnd
     * (counter {@code TCP_LIMITED_TRANSMITS}), so a window too small for three duplicate ACKs still recovers by fast
     * retransmit instead of a timeout. With SACK, RFC 6675 §5 step 3's own rule applies whatever this says. Off: new
     * data waits for cwnd.
     */
    public TcpConfig limitedTransmit(final boolean enabled)
    {
        this.limitedTransmit = enabled;
        return this;
    }

    public boolean limitedTransmit()
    {
        return limitedTransmit;
    }

    /**
     * Undo the window cut of a loss episode (a fast recovery or a series of timeouts) that proves spurious: every
     * retransmission reported twice by a D-SACK (RFC 3708 §3, with SACK), or the ACK of the first one echoing the
     * original's timestamp (RFC 3522, Eifel, with timestamps). cwnd and ssthresh come back as RFC 4015 §2 says, and
     * CUBIC's W_max and epoch as RFC 9438 §4.9 says (counters {@code TCP_SPURIOUS_RECOVERIES_UNDONE},
     * {@code TCP_EIFEL_DETECTIONS}; trace reason "undo"). Off: every reduction stays.
     */
    public TcpConfig undoSpuriousRecoveries(final boolean enabled)
    {
        this.undoSpuriousRecoveries = enabled;
        return this;
    }

    public boolean undoSpuriousRecoveries()
    {
        return undoSpuriousRecoveries;
    }

    /**
     * RFC 7661 congestion window validation, NewReno and CUBIC alike: pipeACK (what the path acknowledged within a
     * round trip lately) below half of cwnd is the non-validated phase, in which cwnd grows only when the sender uses
     * it; a loss there sets cwnd from what was in use (§4.4.1); after five minutes of it cwnd is halved (counter
     * {@code TCP_CWND_NON_VALIDATED}; trace reasons "non-validated", "validated", "non-validated-loss", "nvp-end").
     * Off: every ACK of new data grows cwnd (RFC 5681), however little of it the application uses.
     */
    public TcpConfig congestionWindowValidation(final boolean enabled)
    {
        this.congestionWindowValidation = enabled;
        return this;
    }

    public boolean congestionWindowValidation()
    {
        return congestionWindowValidation;
    }
}
