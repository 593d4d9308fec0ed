package io.tapstack.tcp;

/**
 * Follows what every connection does, for tracers and teaching labs: state changes, retransmissions with their
 * reason, RTO changes, congestion-window changes, window updates and buffer growth. Runs on the stack thread;
 * reasons are constants.
 */
public interface TcpEventListener
{
    String RETRANSMIT_RTO = "rto";
    String RETRANSMIT_FAST = "fast-retransmit";
    String RETRANSMIT_PARTIAL_ACK = "partial-ack";
    String RETRANSMIT_SYN = "syn-timeout";
    /** RFC 6675 NextSeg() rules 1 and 3: a hole below SACKed data during SACK recovery. */
    String RETRANSMIT_SACK = "sack";
    /** RFC 6675 NextSeg() rule 4: the rescue retransmission. */
    String RETRANSMIT_RESCUE = "rescue";
    String PROBE_ZERO_WINDOW = "zero-window-probe";
    /** RFC 8985 §6.2 with RFC 6675 NextSeg(): a segment RACK deemed lost. */
    String RETRANSMIT_RACK = "rack";
    /** RFC 8985 §7.3: a tail loss probe that resends the last segment sent. */
    String RETRANSMIT_TLP = "tlp";
    /** RFC 8985 §7.3: a tail loss probe of new data (sent beyond cwnd). */
    String PROBE_TLP_NEW_DATA = "tlp-new-data";
    /** {@link #onLossDetected} reasons: RACK on an ACK (RFC 8985 §6.2 step 5), on its reordering timer; §7.4.2. */
    String LOSS_RACK = "rack";
    String LOSS_RACK_TIMER = "rack-timer";
    String LOSS_TLP = "tlp-repaired";
    /** {@link #onSackCompressedAck} reasons: the hold's time ran out; enough segments waited; a new range arrived. */
    String SACK_RELEASE_TIMER = "timer";
    String SACK_RELEASE_COUNT = "count";
    String SACK_RELEASE_NEW_BLOCK = "new-block";
    /** An ACK sent for its own reason (a filled gap, a duplicate, data or a window update) took the held ones. */
    String SACK_RELEASE_OTHER_ACK = "other-ack";

    default void onStateChange(final TcpConnection connection, final TcpState from, final TcpState to,
        final long nowNs)
    {
    }

    default void onRetransmit(final TcpConnection connection, final int seq, final int length, final String reason,
        final long nowNs)
    {
    }

    default void onRtoChange(final TcpConnection connection, final long rtoNs, final long nowNs)
    {
    }

    default void onCongestionChange(final TcpConnection connection, final String reason, final int cwnd,
        final int ssthresh, final long nowNs)
    {
    }

    /**
     * A buffer of the connection grew: the receive buffer by autotuning ({@code receive}), or the send buffer
     * following the congestion window; {@code capacity} is its new limit in bytes.
     */
    default void onBufferGrowth(final TcpConnection connection, final boolean receive, final int capacity,
        final long nowNs)
    {
    }

    /**
     * A buffer of the connection stayed empty for {@link IdleBufferConfig#delayNs()} and gave its array of
     * {@code bytes} back: the receive buffer ({@code receive}) or the send buffer.
     */
    default void onBufferRelease(final TcpConnection connection, final boolean receive, final int bytes,
        final long nowNs)
    {
    }

    /** Sequence space {@code [seq, seq + length)} was deemed lost, for {@code reason} (a {@code LOSS_*} constant). */
    default void onLossDetected(final TcpConnection connection, final int seq, final int length, final String reason,
        final long nowNs)
    {
    }

    /**
     * Receiver SACK compression ({@link SackCompressionConfig}): an ACK went that acknowledged {@code heldSegments}
     * out-of-order segments whose own ACKs were held, for {@code reason} (a {@code SACK_RELEASE_*} constant).
     */
    default void onSackCompressedAck(final TcpConnection connection, final int heldSegments, final String reason,
        final long nowNs)
    {
    }

    /** The peer's advertised window changed. */
    default void onSendWindow(final TcpConnection connection, final int window, final long nowNs)
    {
    }
}
