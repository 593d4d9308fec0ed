package io.tapstack.tcp;

/**
 * A sender's congestion window (cwnd) and slow-start threshold (ssthresh), driven by the connection's ACK
 * processing and timers. All amounts are bytes, all times nanoseconds, sequence numbers mod 2^32 ints.
 *
 * <p>Read RFC 5681 (§3 and §4), RFC 6582 (§3.2) and RFC 6928 first. The connection decides what kind of
 * event an ACK is (new data, duplicate per RFC 5681 §2, partial or full during recovery) and calls the
 * matching method; implementations only do the window arithmetic. The call protocol:
 * <ol>
 *   <li>{@link #init} once the MSS is known (after the handshake).</li>
 *   <li>ACK of new data, not {@link #inRecovery()}: {@link #onAck}.</li>
 *   <li>Third duplicate ACK, not in recovery: {@link #onThirdDuplicateAck}; retransmit the first unacked
 *   segment when it returns true (fast retransmit). Limited transmit (RFC 3042) for the first two is the
 *   connection's business and changes no window.</li>
 *   <li>Further duplicate ACKs in recovery: {@link #onDuplicateAckInRecovery}.</li>
 *   <li>ACK of new data in recovery: {@link #isFullAck} chooses {@link #onFullAck} (leave recovery) or
 *   {@link #onPartialAck} (retransmit the first unacked segment; on the first partial ACK re-arm the
 *   retransmission timer).</li>
 *   <li>With Proportional Rate Reduction (RFC 6937), every ACK during recovery, after the above:
 *   {@link #onRecoveryAck}; from the first such call until recovery ends the window is PRR's, and
 *   {@link #onDuplicateAckInRecovery} and {@link #onPartialAck} no longer inflate or deflate it. Every segment sent
 *   or resent: {@link #onDataSent}.</li>
 *   <li>Retransmission timer expiry: {@link #onRetransmissionTimeout}.</li>
 *   <li>Before sending after a pause: {@link #onIdle}.</li>
 *   <li>Each RTT measurement, before the ACK that gave it is passed on: {@link #onRttSample}.</li>
 * </ol>
 * Owned by the stack thread; not thread-safe. Implementations do not allocate after construction.
 */
public interface CongestionControl
{
    /** Reasons passed to the {@link Listener}: constants, so tracing allocates nothing. */
    String REASON_INIT = "init";
    String REASON_SYN_LOSS = "syn-loss";
    String REASON_SLOW_START = "slow-start";
    String REASON_CONGESTION_AVOIDANCE = "congestion-avoidance";
    String REASON_FAST_RETRANSMIT = "fast-retransmit";
    String REASON_RECOVERY_INFLATE = "recovery-inflate";
    String REASON_PARTIAL_ACK = "partial-ack";
    String REASON_FULL_ACK = "full-ack";
    String REASON_RTO = "rto";
    String REASON_IDLE_RESTART = "idle-restart";
    /** RFC 6937 §3: during recovery PRR set cwnd = pipe + sndcnt for the ACK just processed. */
    String REASON_PRR = "prr";
    /** RFC 4015 §2, RFC 9438 §4.9: the last reduction was spurious and is undone. */
    String REASON_UNDO = "undo";
    /** RFC 7661 §4.3: pipeACK fell below cwnd / 2: the non-validated phase (cwnd grows only when it is used). */
    String REASON_NON_VALIDATED = "non-validated";
    /** RFC 7661 §4.3: pipeACK reached cwnd / 2 again: the validated phase. */
    String REASON_VALIDATED = "validated";
    /** RFC 7661 §4.4.1: a loss found in the non-validated phase: at the end of its recovery cwnd follows pipeACK. */
    String REASON_NON_VALIDATED_LOSS = "non-validated-loss";
    /** RFC 7661 §5: the non-validated period ran out: cwnd halved (not below IW). */
    String REASON_NON_VALIDATED_PERIOD_END = "nvp-end";
    /** RFC 9438 §4.2: a new CUBIC congestion-avoidance epoch began (t_epoch, cwnd_epoch, K set). */
    String REASON_CUBIC_EPOCH = "cubic-epoch";
    /** RFC 9406 §4.2: the round's minimum RTT rose by the threshold: slow start left for CSS. */
    String REASON_HYSTART_CSS = "hystart-css";
    /** RFC 9406 §4.2: in CSS the minimum RTT fell below the baseline: back to slow start. */
    String REASON_HYSTART_SLOW_START = "hystart-slow-start";
    /** RFC 9406 §4.2: CSS_ROUNDS rounds of CSS done: ssthresh = cwnd, congestion avoidance. */
    String REASON_HYSTART_EXIT = "hystart-exit";

    /** Told of every change of cwnd or ssthresh, and of every loss event (for traces and tests). */
    interface Listener
    {
        /**
         * @param reason one of the {@code REASON_*} constants.
         */
        void onCongestionChange(String reason, int cwnd, int ssthresh, long nowNs);
    }

    /** Sets or clears (null) the listener. */
    void listener(Listener listener);

    /** Starts over for sender MSS {@code mss}: cwnd = IW, ssthresh "arbitrarily high" (RFC 5681 §3.1). */
    void init(int mss, long nowNs);

    /**
     * The SYN or SYN-ACK was lost and retransmitted: the initial window is one segment (RFC 6928 §2,
     * RFC 5681 §3.1). Call after {@link #init} and before data is acknowledged.
     */
    void onSynRetransmitted(long nowNs);

    /** SMSS, as given to {@link #init}. */
    int smss();

    int cwnd();

    /** {@link Integer#MAX_VALUE} until the first loss. */
    int ssthresh();

    /** Between a fast retransmit and the full ACK (or a timeout) that ends it. */
    boolean inRecovery();

    /**
     * An ACK that acknowledges new data, outside recovery.
     *
     * @param bytesAcked          bytes newly acknowledged (SEG.ACK - old SND.UNA, less SYN/FIN).
     * @param flightSizeBeforeAck bytes outstanding before this ACK (RFC 5681 §2 FlightSize).
     */
    void onAck(int bytesAcked, int flightSizeBeforeAck, long nowNs);

    /**
     * The third duplicate ACK (RFC 5681 §3.2 step 2) arrived outside recovery.
     *
     * @param ack        SEG.ACK of the duplicates (= SND.UNA).
     * @param flightSize FlightSize now.
     * @param sndNxt     SND.NXT now (the highest sequence number sent, plus one).
     * @return true to retransmit the first unacknowledged segment and enter fast recovery; false when the
     * duplicates may stem from retransmissions already made (RFC 6582 §3.2 step 2).
     */
    boolean onThirdDuplicateAck(int ack, int flightSize, int sndNxt, long nowNs);

    /**
     * SACK-based loss recovery begins (RFC 6675 §5 step 4.2): ssthresh = cwnd = FlightSize / 2 (RFC 5681 equation 4),
     * no inflation: the sender counts what is in flight (pipe) itself, and during this recovery calls neither
     * {@link #onDuplicateAckInRecovery} nor {@link #onPartialAck}; recovery ends with {@link #onFullAck} or
     * {@link #onRetransmissionTimeout}. The default is {@link #onThirdDuplicateAck} (its window is 3 SMSS larger),
     * for implementations written before SACK.
     *
     * @return false while a retransmission timeout's RecoveryPoint (SND.MAX then) is not acknowledged (RFC 6675 §5.1);
     * RFC 6582's guard is for recovery without SACK only
     */
    default boolean onSackRecoveryStart(final int ack, final int flightSize, final int sndNxt, final long nowNs)
    {
        return onThirdDuplicateAck(ack, flightSize, sndNxt, nowNs);
    }

    /** A further duplicate ACK during recovery: a segment has left the network (RFC 5681 §3.2 step 4). */
    void onDuplicateAckInRecovery(long nowNs);

    /** During recovery, whether an ACK of new data acknowledges everything sent before recovery began. */
    boolean isFullAck(int ack);

    /** An ACK of new data during recovery that is not full (RFC 6582 §3.2 step 5, partial acknowledgments). */
    void onPartialAck(int bytesAcked, long nowNs);

    /**
     * A full ACK ends recovery (RFC 6582 §3.2 step 5, full acknowledgments).
     *
     * @param flightSize bytes still outstanding after this ACK.
     */
    void onFullAck(int flightSize, long nowNs);

    /**
     * RFC 6937 §3: an ACK arrived during fast recovery (after the calls above for it): cwnd becomes pipe + sndcnt, the
     * bytes Proportional Rate Reduction lets the sender send for it. RecoverFS is the {@code flightSize} recovery began
     * with. Does nothing outside recovery.
     *
     * @param deliveredData bytes the ACK reports delivered: the change in SND.UNA plus the change in SACKed bytes
     * @param pipe          data in the network after the ACK (RFC 6675 pipe, or an estimate without SACK)
     * @param conservative  use PRR-CRB (the ACK does not show good progress without further losses), else PRR-SSRB
     */
    default void onRecoveryAck(final int deliveredData, final int pipe, final boolean conservative, final long nowNs)
    {
    }

    /**
     * RFC 6937 §3: {@code bytes} of data were sent or resent (prr_out during recovery; RFC 7661 §4.4.1's R counts
     * what is resent).
     */
    default void onDataSent(final int bytes, final boolean retransmission)
    {
    }

    /** RFC 7661 §4.3: whether the sender is in the non-validated phase (pipeACK &lt; cwnd / 2). */
    default boolean nonValidated()
    {
        return false;
    }

    /**
     * How many reductions (a fast retransmit, a SACK recovery, the first of a series of timeouts not inside a recovery)
     * saved the window they cut so far: a new value is a new loss episode that {@link #undoReduction} may undo.
     */
    default long reductions()
    {
        return 0;
    }

    /** Whether the last reduction can still be undone (it saved its window and nothing undid it since). */
    default boolean undoable()
    {
        return false;
    }

    /**
     * The last reduction was spurious (RFC 3708 §3 with D-SACKs, RFC 3522 with timestamps): give back the window it
     * cut (RFC 4015 §2 step 8's response; for CUBIC RFC 9438 §4.9). Not during recovery: the caller waits for its
     * end.
     *
     * @param flightSize FlightSize now
     * @return whether a reduction was undone
     */
    default boolean undoReduction(final int flightSize, final long nowNs)
    {
        return false;
    }

    /**
     * The retransmission timer expired (RFC 5681 §3.1, RFC 6582 §3.2 step 6).
     *
     * @param flightSize FlightSize when the timer fired.
     * @param sndNxt     SND.NXT when the timer fired (before the connection rewinds it for go-back-N).
     */
    void onRetransmissionTimeout(int flightSize, int sndNxt, long nowNs);

    /**
     * Before sending: nothing was sent for {@code idleNs} (RFC 5681 §4.1 restart window).
     *
     * @param rtoNs the current retransmission timeout.
     */
    void onIdle(long idleNs, long rtoNs, long nowNs);

    /**
     * An RTT measurement was taken (RFC 6298 §3 or RFC 7323 §4.1), just before the ACK that carried it is handed
     * to {@link #onAck} (or the recovery methods). NewReno ignores it; CUBIC uses SRTT (RFC 9438 §4.2) and the
     * sample itself (RFC 9406 §4.2, HyStart++).
     *
     * @param rttNs  the measurement R.
     * @param srttNs the smoothed RTT after taking it (RFC 6298 §2).
     */
    default void onRttSample(long rttNs, long srttNs, long nowNs)
    {
    }
}
