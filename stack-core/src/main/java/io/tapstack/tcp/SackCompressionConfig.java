package io.tapstack.tcp;

import java.util.concurrent.TimeUnit;

/**
 * Receiver SACK compression, as Linux's tcp_comp_sack_*: while data is missing, the first
 * {@link #immediateDuplicateAcks()} duplicate ACKs of an episode (one value of RCV.NXT) go at once, as RFC 5681 §4.2
 * says; after them, out-of-order segments that only extend the highest range held are acknowledged together, at
 * most {@link #maxDelayNs()} (and a {@link #rttDivisor()}th of the round trip) later or after
 * {@link #maxHeldSegments()} of them. A segment that fills a hole (all or part), a duplicate, or one that opens a
 * new range while another's growth is still unreported is acknowledged at once. Fluent setters; part of
 * {@link TcpConfig#sackCompression}.
 */
public final class SackCompressionConfig
{
    /** RFC 5681 §3.2 DupThresh: the sender needs three duplicate ACKs to retransmit without SACK information. */
    public static final int MIN_IMMEDIATE_DUPLICATE_ACKS = 3;

    private boolean enabled;
    private int immediateDuplicateAcks = MIN_IMMEDIATE_DUPLICATE_ACKS;
    private long maxDelayNs = TimeUnit.MILLISECONDS.toNanos(1);
    private int rttDivisor = 20;
    private int maxHeldSegments = 44;

    /**
     * Off by default: every duplicate ACK goes at once (RFC 5681 §4.2). On, they are compressed as above: fewer
     * packets from a receiver behind a hole (in the two-stack simulation at 1% and 5% loss, 28% and 12% fewer, goodput
     * and timeouts no worse), but at 10% loss a held ACK that is lost takes several segments' reports with it and
     * thins the ACK clock of a small window: goodput fell by a quarter and timeouts rose from 68 to 119 over ten
     * seeds ({@code TcpSackCompressionSimulationTest}), so it is not the default until that is understood.
     */
    public SackCompressionConfig enabled(final boolean enabled)
    {
        this.enabled = enabled;
        return this;
    }

    public boolean enabled()
    {
        return enabled;
    }

    /**
     * Duplicate ACKs of an episode sent at once before any is held: at least 3 (RFC 5681's DupThresh, so a sender
     * that counts duplicate ACKs retransmits as early as without compression); 3 by default, as Linux.
     */
    public SackCompressionConfig immediateDuplicateAcks(final int acks)
    {
        if (acks < MIN_IMMEDIATE_DUPLICATE_ACKS)
        {
            throw new IllegalArgumentException("immediateDuplicateAcks must be at least "
                + MIN_IMMEDIATE_DUPLICATE_ACKS + ": " + acks);
        }
        this.immediateDuplicateAcks = acks;
        return this;
    }

    public int immediateDuplicateAcks()
    {
        return immediateDuplicateAcks;
    }

    /** The longest a held ACK waits (1 ms by default, as Linux's tcp_comp_sack_delay_ns); 0 holds none. */
    public SackCompressionConfig maxDelayNs(final long ns)
    {
        if (ns < 0)
        {
            throw new IllegalArgumentException("maxDelayNs must be >= 0: " + ns);
        }
        this.maxDelayNs = ns;
        return this;
    }

    public long maxDelayNs()
    {
        return maxDelayNs;
    }

    /**
     * A held ACK waits at most the round-trip time divided by this (20 by default: 5%, as Linux), so the sender's
     * loss detection is late by a small part of a round trip; at least 1. With no RTT sample yet, nothing is held.
     */
    public SackCompressionConfig rttDivisor(final int divisor)
    {
        if (divisor < 1)
        {
            throw new IllegalArgumentException("rttDivisor must be >= 1: " + divisor);
        }
        this.rttDivisor = divisor;
        return this;
    }

    public int rttDivisor()
    {
        return rttDivisor;
    }

    /** Out-of-order segments acknowledged by one held ACK at most (44 by default, Linux's tcp_comp_sack_nr); >= 1. */
    public SackCompressionConfig maxHeldSegments(final int segments)
    {
        if (segments < 1)
        {
            throw new IllegalArgumentException("maxHeldSegments must be >= 1: " + segments);
        }
        this.maxHeldSegments = segments;
        return this;
    }

    public int maxHeldSegments()
    {
        return maxHeldSegments;
    }
}
