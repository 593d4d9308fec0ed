package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpOptions;

/**
 * The timestamps option of one connection (RFC 7323 §3-5): our TSval clock, TS.Recent and Last.ACK.sent, the TSecr
 * we echo, RTT samples from the peer's TSecr and PAWS. Read RFC 7323 §3.2 (the option, when it is sent), §4.3 (which
 * timestamp to echo), §4.1 (RTT measurement) and §5.3-5.5 (PAWS, the 24-day rule) first.
 *
 * <p>TSval is a 1 ms clock made from the injected {@code nowNs}, plus a random offset per connection (RFC 7323
 * §5.4, §7.1): the peer learns nothing of our uptime, and two connections' clocks are unrelated. Owned by the stack
 * thread.
 */
final class TcpTimestamps
{
    /** RFC 7323 §5.4: the timestamp clock ticks every millisecond (within the RFC's 1 ms to 1 s). */
    static final long TICK_NS = 1_000_000L;
    /** RFC 7323 §5.5: TS.Recent older than 24 days is invalid (2^31 ms is 24.8 days; the RFC rounds down). */
    static final long PAWS_IDLE_LIMIT_NS = 24L * 24 * 3600 * 1_000_000_000L;

    /** Added to the clock's ticks to make TSval; random per connection. */
    private final int offset;
    /** Both SYNs carried the option (RFC 7323 §3.2): every segment but a RST carries it from now on. */
    boolean enabled;
    /** TS.Recent (RFC 7323 §4.3): the timestamp to echo, from the earliest segment the next ACK acknowledges. */
    int tsRecent;
    /** When TS.Recent was last set (RFC 7323 §5.5: older than 24 days it is invalid for PAWS). */
    long tsRecentNs;
    /** Last.ACK.sent (RFC 7323 §4.3): the ACK field of the last segment we sent. */
    int lastAckSent;
    /** The TSecr of the latest acceptable segment: the receiver's round-trip samples (receive autotuning). */
    int lastTsEcr;

    TcpTimestamps(final int offset)
    {
        this.offset = offset;
    }

    /** The random offset of this connection's clock (a TIME-WAIT record keeps it to go on answering). */
    int offset()
    {
        return offset;
    }

    /** Our TSval at {@code nowNs}: the 1 ms clock plus this connection's offset (wraps modulo 2^32). */
    int tsVal(final long nowNs)
    {
        return clock(nowNs, offset);
    }

    /** The TSval of a 1 ms clock with {@code offset} at {@code nowNs} (for segments sent without a connection). */
    static int clock(final long nowNs, final int offset)
    {
        return (int)Math.floorDiv(nowNs, TICK_NS) + offset;
    }

    /** The peer's SYN (or SYN-ACK) carried the option and we use it: its TSval is the first TS.Recent. */
    void onSyn(final TcpOptions options, final long nowNs)
    {
        enabled = true;
        tsRecent = options.tsVal;
        tsRecentNs = nowNs;
    }

    /** RFC 7323 §5.5: TS.Recent idle for more than 24 days may have wrapped; PAWS does not use it then. */
    boolean tsRecentValid(final long nowNs)
    {
        return nowNs - tsRecentNs <= PAWS_IDLE_LIMIT_NS;
    }

    /** RFC 7323 §5.3 R1: the segment's TSval is older than TS.Recent (and TS.Recent is still valid). */
    boolean pawsRejects(final TcpOptions options, final long nowNs)
    {
        return SeqNum.lt(options.tsVal, tsRecent) && tsRecentValid(nowNs);
    }

    /**
     * RFC 7323 §4.3 (2) and §5.3 R3: an acceptable segment's TSval becomes TS.Recent if it is not older and the
     * segment starts at or before Last.ACK.sent: the next ACK then echoes the earliest segment it acknowledges (a
     * delayed ACK), and out-of-order data above a hole does not move it (the sender's RTO is not underestimated).
     */
    void onAcceptableSegment(final int seq, final TcpOptions options, final long nowNs)
    {
        lastTsEcr = options.hasTimestamps ? options.tsEcr : lastTsEcr;
        if (!options.hasTimestamps || SeqNum.gt(seq, lastAckSent))
        {
            return;
        }
        // RFC 7323 §5.5: after 24 idle days TS.Recent is replaced whatever the comparison says
        if (!SeqNum.lt(options.tsVal, tsRecent) || !tsRecentValid(nowNs))
        {
            tsRecent = options.tsVal;
            tsRecentNs = nowNs;
        }
    }

    /**
     * RFC 7323 §4.1: the round-trip time from the TSecr of an ACK of new data: our clock now minus the TSval it
     * echoes. Unambiguous even for a retransmitted segment (the retransmission carried its own TSval), so Karn's rule
     * is not needed. Returns -1 when the echo is from the future (a broken peer).
     */
    long rttSampleNs(final int tsEcr, final long nowNs)
    {
        final int ticks = tsVal(nowNs) - tsEcr;
        return ticks < 0 ? -1 : ticks * TICK_NS;
    }
}
