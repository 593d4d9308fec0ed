package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;

import static io.tapstack.tcp.TcpConnection.NONE;

/**
 * Receiver SACK compression (Linux's tcp_sack_compress; settings in {@link SackCompressionConfig}): fewer duplicate
 * ACKs while data is missing, without hiding anything the sender needs.
 *
 * <p>RFC 5681 §4.2 says a receiver SHOULD send an immediate duplicate ACK for each out-of-order segment. With SACK
 * the sender learns from the blocks, not from counting ACKs (RFC 6675 §5 counts SACKed bytes, RFC 8985 compares send
 * times), so once it has had DupThresh duplicate ACKs of the episode (RFC 5681 §3.2), those that only report more
 * data past the highest hole can be batched: the next ACK reports the grown range first (RFC 2018 §4). Only such
 * arrivals are held. A segment that fills all or part of a gap is acknowledged at once (RFC 5681 §4.2), a duplicate
 * at once with its D-SACK block (RFC 2883 §4), and a segment that opens a new range while the growth of another is
 * held also at once: the ACK then reports the new range first and the held one second (RFC 2018 §4's order), so a
 * held change never falls out of the three or four blocks an ACK carries. A held ACK goes when the first hold is
 * {@code min(maxDelay, RTT / rttDivisor)} old (the delayed-ACK timer of the connection) or when
 * {@code maxHeldSegments} arrivals wait. Owned by the stack thread; allocation-free.
 */
final class SackCompressor
{
    private final SackCompressionConfig config;
    private final StackCounters counters;
    private final TcpConnection connection;

    /** RCV.NXT of the last ACK sent (valid once {@link #ackSent}); ACKs repeating it while holes exist are duplicates. */
    private int lastAckRcvNxt;
    private boolean ackSent;
    /** Duplicate ACKs sent since RCV.NXT last moved (the episode), while data was missing. */
    private int duplicateAcks;
    /** Out-of-order arrivals whose ACK is held; when the first of them must be acknowledged. */
    private int held;
    private long deadlineNs = NONE;
    /** Why the ACK about to go releases the held ones, when it was decided on an arrival; null otherwise. */
    private String releaseReason;

    SackCompressor(final SackCompressionConfig config, final StackCounters counters, final TcpConnection connection)
    {
        this.config = config;
        this.counters = counters;
        this.connection = connection;
    }

    /**
     * An accepted out-of-order segment that reaches past the highest range held, or opens one above it, arrived
     * (not a gap's fill nor a duplicate: those are acknowledged at once by the caller).
     *
     * @param rcvNxt   RCV.NXT now
     * @param newBlock the segment opened a range of its own (a new hole below it)
     * @param rttNs    the round-trip time estimate, 0 when there is none yet
     * @return when its ACK must go at the latest, or {@link TcpConnection#NONE} for at once
     */
    long onExtendingArrival(final int rcvNxt, final boolean newBlock, final long rttNs, final long nowNs)
    {
        if (!config.enabled() || !ackSent || lastAckRcvNxt != rcvNxt
            || duplicateAcks < config.immediateDuplicateAcks() || rttNs <= 0)
        {
            // RFC 5681 §4.2 and §3.2: the first duplicate ACKs of an episode go at once (DupThresh of them at least)
            return NONE;
        }
        if (newBlock && held > 0)
        {
            // RFC 2018 §4: this ACK reports the new range first and the held growth second, before it can fall out
            releaseReason = TcpEventListener.SACK_RELEASE_NEW_BLOCK;
            return NONE;
        }
        final long delayNs = Math.min(config.maxDelayNs(), rttNs / config.rttDivisor());
        if (delayNs <= 0)
        {
            return NONE;
        }
        held++;
        counters.increment(Counter.TCP_SACK_COMPRESSED_SEGMENTS);
        if (held >= config.maxHeldSegments())
        {
            releaseReason = TcpEventListener.SACK_RELEASE_COUNT;
            return NONE;
        }
        if (deadlineNs == NONE)
        {
            deadlineNs = nowNs + delayNs;
        }
        return deadlineNs;
    }

    /**
     * An ACK went out: it reports all that was held.
     *
     * @param rcvNxt   the ACK's acknowledgment number
     * @param hasHoles whether data beyond a hole is held (the ACK carried SACK blocks)
     */
    void onAckSent(final int rcvNxt, final boolean hasHoles, final long nowNs)
    {
        if (held > 0)
        {
            counters.increment(Counter.TCP_SACK_COMPRESSED_ACKS);
            final String reason = releaseReason != null ? releaseReason
                : nowNs >= deadlineNs ? TcpEventListener.SACK_RELEASE_TIMER
                : TcpEventListener.SACK_RELEASE_OTHER_ACK;
            connection.events().onSackCompressedAck(connection, held, reason, nowNs);
        }
        held = 0;
        deadlineNs = NONE;
        releaseReason = null;
        if (!hasHoles || !ackSent || rcvNxt != lastAckRcvNxt)
        {
            duplicateAcks = 0; // a new episode (or none): RCV.NXT moved, so this ACK is not a duplicate
        }
        else
        {
            duplicateAcks++;
        }
        ackSent = true;
        lastAckRcvNxt = rcvNxt;
    }

    /** Arrivals whose ACK is held now (for tests and TcpInfo-like views). */
    int held()
    {
        return held;
    }
}
