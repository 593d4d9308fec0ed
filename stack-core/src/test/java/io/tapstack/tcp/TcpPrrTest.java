package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPermitted;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proportional Rate Reduction (RFC 6937 §3) in the sender, against a scripted peer, in the setting of the RFC's first
 * example: 20 segments S0..S19 in flight (MSS 1000, NewReno's halving, an initial window of 20), S0 lost, and the
 * peer acknowledging S1..S19 one ACK each. {@code seg(i)} is the first sequence number of Si.
 */
class TcpPrrTest
{
    private TcpScript t;
    private TcpConnection c;

    private int seg(final int i)
    {
        return t.stack(1 + 1000 * i);
    }

    private void twentyInFlight(final boolean sack, final boolean prr)
    {
        t = new TcpScript(c -> c.congestionControl(CongestionAlgorithm.NEWRENO).initialWindowSegments(20).prr(prr));
        t.listen(4);
        t.synToListener(sack ? options(mss(1000), sackPermitted()) : mss(1000));
        t.send(ACK, t.peer(1), t.stack(1));
        c = t.accepted.remove(0);
        t.write(c, bytes(40_000));
        for (int i = 0; i < 20; i++)
        {
            t.expect(ACK, seg(i), t.peer(1), 1000);
        }
        t.expectNothing();
    }

    /** The peer's ACK of S0's predecessor SACKing S1..S(k) (with SACK), or a plain duplicate (without). */
    private void duplicate(final boolean withSack, final int k)
    {
        t.send(ACK, t.peer(1), seg(0), t.peerWindow, withSack ? sack(seg(1), seg(k + 1)) : NONE, NONE);
    }

    /** What the stack sent for the last ACK: "R" the retransmission of S0, "N" a new segment, "." nothing. */
    private String sent()
    {
        final StringBuilder out = new StringBuilder();
        TcpScript.Seg s;
        while ((s = t.nextOrNull()) != null)
        {
            assertEquals(1000, s.len(), "full segments only; got " + s);
            out.append(s.seq() == seg(0) ? "R" : "N");
        }
        return out.length() == 0 ? "." : out.toString();
    }

    private String ackOneByOne(final boolean withSack, final int last)
    {
        final StringBuilder pattern = new StringBuilder();
        for (int k = 1; k <= last; k++)
        {
            duplicate(withSack, k);
            pattern.append(k > 1 ? " " : "").append(sent());
        }
        return pattern.toString();
    }

    /**
     * The RFC's first example, PRR row: after the fast retransmit one new segment for every two ACKs (SACK's own
     * limited transmit, RFC 6675 §5 step (3.3), sends the first two), until pipe is down to ssthresh; from then on the
     * reduction bound holds it there. (The RFC's figure takes ssthresh = 10 and counts the lost segment in pipe, so
     * there the proportional part runs to the last ACK; RFC 6675 halves the 22 segments out, and its pipe leaves the
     * lost segment out.)
     */
    @Test
    void rfc6937Section3SendPatternOfTheFirstExampleWithSack()
    {
        twentyInFlight(true, true);
        assertEquals("N N R . N . N . N . N . N . N . . N N", ackOneByOne(true, 19));
        // RFC 6675 §5 (4.2): FlightSize / 2 of the 22 segments out, the two its step (3.3) sent included
        assertEquals(11_000, c.ssthresh());
        assertEquals(c.ssthresh(), c.cwnd(), "PRR brought what is in flight down to ssthresh");
        assertEquals(17, t.count(Counter.TCP_PRR_ACKS));
    }

    /**
     * The same ACKs without PRR: RFC 6675 sends nothing until pipe falls below cwnd = ssthresh = 11, then one per ACK
     * (the RFC's RFC 6675 row).
     */
    @Test
    void rfc6675WithoutPrrWaitsHalfAWindowThenSendsOnePerAck()
    {
        twentyInFlight(true, false);
        assertEquals("N N R . . . . . . . . N N N N N N N N", ackOneByOne(true, 19));
        assertEquals(0, t.count(Counter.TCP_PRR_ACKS));
    }

    /**
     * Without SACK (RFC 6582 recovery) PRR counts one segment delivered per duplicate ACK (RFC 6937 §3), limited
     * transmit (RFC 3042) sends the first two and ssthresh is the RFC's 10: its PRR row, until pipe (estimated as
     * FlightSize less what the duplicates delivered) is down to ssthresh.
     */
    @Test
    void rfc6937Section3WithoutSackEachDuplicateAckDeliversOneSegment()
    {
        twentyInFlight(false, true);
        assertEquals("N N R . N . N . N . N . N . N . N . .", ackOneByOne(false, 19));
        assertEquals(10_000, c.ssthresh(), "RFC 5681 §3.2 step 2: without what limited transmit sent");
        assertEquals(c.ssthresh(), c.cwnd(), "PRR brought what is in flight down to ssthresh");
        assertEquals(17, t.count(Counter.TCP_PRR_ACKS));
    }

    /** RFC 6582 §3.2 step 5 option (1) after PRR: the full ACK releases one segment, not a burst. */
    @Test
    void rfc6937Section3NoBurstWhenRecoveryEnds()
    {
        twentyInFlight(true, true);
        ackOneByOne(true, 19); // S20..S29 went out: 2 by RFC 6675's limited transmit, 8 by PRR
        t.send(ACK, t.peer(1), seg(22), t.peerWindow, NONE, NONE); // S0 again, S20 and S21 arrived: a full ACK
        assertEquals("N", sent(), "one segment: cwnd = min(ssthresh, FlightSize + SMSS)");
        assertEquals(9_000, c.cwnd(), "FlightSize S22..S29 = 8,000 bytes + SMSS");
    }

    /** RFC 6937 §3: a retransmission counts in prr_out like new data, so the partial ACK's resend is paid for. */
    @Test
    void rfc6937Section3RetransmissionsCountInPrrOut()
    {
        twentyInFlight(false, true);
        ackOneByOne(false, 3); // R
        t.send(ACK, t.peer(1), seg(2), t.peerWindow, NONE, NONE); // a partial ACK: S1 is the next hole
        final TcpScript.Seg resent = t.next();
        assertEquals(seg(2), resent.seq(), "RFC 6582 §3.2 step 5: the first unacknowledged segment again");
        assertEquals(ACK | PSH, resent.flags());
        t.expectNothing();
    }
}
