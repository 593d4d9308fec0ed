package io.tapstack.tcp;

/**
 * One answer per connection per received burst: segments that arrive in order in one duty cycle's burst of frames
 * are acknowledged together, and the data they let the connection send (an echo, new data the peer's ACKs allowed)
 * goes with that ACK at the end of the burst, as Linux's GRO gives the kernel's TCP one coalesced segment for a
 * burst; where the device offloads TSO, that data leaves in one super-frame. An ACK then covers more than two
 * full-sized segments (a stretch ACK); RFC 9293 §3.8.6.3 (SHLD-19) and RFC 5681 §4.2 ask for an ACK of at least every
 * second full-sized segment as a SHOULD, and the ACK here is late by the burst's reading (microseconds), never by a
 * timer, while segments that the RFCs want answered at once still are: out-of-order data, a hole filled (RFC 5681
 * §4.2, with the SACK blocks of RFC 2018 §4), duplicates, unacceptable segments (RFC 9293 §3.10.7.4) and the
 * handshake's. In a loss recovery nothing waits: its end sets cwnd from FlightSize (RFC 6937 §3, RFC 6675 §5), which
 * data held back would leave near zero. A runner that hands the stack one frame per duty cycle sees no difference.
 * Fluent setters; part of {@link TcpConfig#burstAcks}.
 */
public final class BurstAckConfig
{
    /** Linux's GRO stops at 64 KiB: 44 full segments of 1,448 bytes. */
    public static final int DEFAULT_MAX_SEGMENTS = 44;

    private boolean enabled;
    private int maxSegments = DEFAULT_MAX_SEGMENTS;

    /**
     * Off by default in a {@code NetStack}; {@code TapStack} turns it on, where a duty cycle reads up to
     * {@code receiveBurst} frames from a TAP and every frame sent is a write(2) (docs/benchmarks.md, "TCP on a lossy
     * or delayed link", has the figures). Off, every segment is answered as it is processed (an ACK of every second
     * full-sized segment, RFC 9293 §3.8.6.3). Not yet the default in the simulation: a sender of this stack grows
     * cwnd in slow start by at most one SMSS per ACK (RFC 5681 §3.1), so stretch ACKs slow its growth, and the
     * two-stack simulation's CUBIC and SACK comparisons shift with it.
     */
    public BurstAckConfig enabled(final boolean enabled)
    {
        this.enabled = enabled;
        return this;
    }

    public boolean enabled()
    {
        return enabled;
    }

    /**
     * The most full-sized segments one ACK may cover (at least 2, RFC 9293 §3.8.6.3's rule); a burst longer than
     * that is acknowledged as soon as it reaches it. 44 by default, as a 64 KiB GRO super-frame.
     */
    public BurstAckConfig maxSegments(final int segments)
    {
        if (segments < 2)
        {
            throw new IllegalArgumentException("maxSegments must be at least 2: " + segments);
        }
        this.maxSegments = segments;
        return this;
    }

    public int maxSegments()
    {
        return maxSegments;
    }
}
