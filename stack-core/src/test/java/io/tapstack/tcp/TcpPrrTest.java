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
 *
 * <p>The RFC's examples find the loss with RFC 6675's duplicate-ACK count, and the peer here answers in no time: RACK
 * (RFC 8985 §6.2), on by default with SACK, would deem S0 lost on the first SACK (RACK.rtt and its reordering window
 * are both 0 when no time passes). So the tests of PRR on RFC 6675's loss detection turn RACK off, and
 * {@link #rfc6937Section3WithRackTheSamePatternWhenTheRoundTripTakesTime} runs the first example with RACK over a round
 * trip that takes time, as on a real path.
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
        twentyInFlight(sack, prr, false, 0);
    }

    /**
     * @param rack        RACK-TLP on (with SACK)
     * @param roundTripNs how long the handshake's round trip takes (the RTT samples RACK's min_RTT starts from)
     */
    private void twentyInFlight(final boolean sack, final boolean prr, final boolean rack, final long roundTripNs)
    {
        t = new TcpScript(c -> c.congestionControl(CongestionAlgorithm.NEWRENO).initialWindowSegments(20).prr(prr)
            .rack(rack));
        t.listen(4);
        t.synToListener(sack ? options(mss(1000), sackPermitted()) : mss(1000));
        t.s.advance(roundTripNs);
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
     * limited transmit, RFC 6675 §5 step (3.3), sends the first two), until pipe is down to ssthresh = 10, the RFC's.
     * ssthresh halves the 20 segments of cwnd, not RFC 6675 (4.2)'s FlightSize of 22: with SACK the FlightSize a loss
     * is measured by is at most cwnd, which leaves out what step (3.3) sent for SACKed data, as RFC 5681 §3.2 step 2
     * leaves out RFC 3042's (see RecoveryPacing.lossFlightSize).
     */
    @Test
    void rfc6937Section3SendPatternOfTheFirstExampleWithSack()
    {
        twentyInFlight(true, true);
        assertEquals("N N R . N . N . N . N . N . N . N . .", ackOneByOne(true, 19));
        assertEquals(10_000, c.ssthresh(), "cwnd / 2");
        assertEquals(c.ssthresh(), c.cwnd(), "PRR brought what is in flight down to ssthresh");
        assertEquals(17, t.count(Counter.TCP_PRR_ACKS));
    }

    /**
     * The same ACKs without PRR: RFC 6675 sends nothing until pipe falls below cwnd = ssthresh = 10, then one per ACK
     * (the RFC's RFC 6675 row).
     */
    @Test
    void rfc6675WithoutPrrWaitsHalfAWindowThenSendsOnePerAck()
    {
        twentyInFlight(true, false);
        assertEquals("N N R . . . . . . . . . N N N N N N N", ackOneByOne(true, 19));
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

    /**
     * RFC 8985 §9.3 with RFC 6937 §3: RACK finds the loss, PRR paces the recovery. Over a 10 ms round trip with the ACKs
     * 0.1 ms apart, RACK waits its reordering window (min_RTT / 4) on the first two SACKs and deems S0 lost on the
     * third (DupThresh segments SACKed, §6.2 step 4), the same ACK as RFC 6675; its retransmission, sent after the
     * segments the later ACKs deliver, is not deemed lost again. The send pattern, the window and the end of recovery
     * are the RFC's, as with RFC 6675's loss detection.
     */
    @Test
    void rfc6937Section3WithRackTheSamePatternWhenTheRoundTripTakesTime()
    {
        twentyInFlight(true, true, true, 10 * TcpScript.MS);
        t.s.advance(10 * TcpScript.MS);
        final StringBuilder pattern = new StringBuilder();
        for (int k = 1; k <= 19; k++)
        {
            duplicate(true, k);
            pattern.append(k > 1 ? " " : "").append(sent());
            t.s.advance(TcpScript.MS / 10);
        }
        assertEquals("N N R . N . N . N . N . N . N . N . .", pattern.toString());
        assertEquals(10_000, c.ssthresh());
        assertEquals(c.ssthresh(), c.cwnd(), "PRR brought what is in flight down to ssthresh");
        assertEquals(17, t.count(Counter.TCP_PRR_ACKS));
        assertEquals(1, t.count(Counter.TCP_RACK_LOSSES_DETECTED), "S0, and not its retransmission");
        t.send(ACK, t.peer(1), seg(22), t.peerWindow, NONE, NONE); // a full ACK
        assertEquals("N", sent(), "RFC 6582 §3.2 step 5 option (1): one segment, not a burst");
        assertEquals(8_000, c.cwnd(), "FlightSize S22..S28 = 7,000 bytes + SMSS");
    }

    /**
     * RFC 8985 §9.3 with RFC 6937 §3: a recovery RACK's reordering timer begins has no ACK to pace it, and RFC 6675's
     * cwnd - pipe would resend most of a window at once. S0..S17 are lost and S18, S19 SACKed (fewer than DupThresh, so
     * RACK waits min_RTT / 4 = 25 ms; meanwhile RFC 6675 §5 step (3.3) sends S20 and S21). When the timer deems
     * S0..S17 lost, pipe is the fast retransmit and S20, S21, against cwnd = ssthresh = 10 segments. PRR, with nothing
     * delivered yet, lets one segment go beside the fast retransmit (PRR-SSRB, as Linux's timer does), then one more
     * than is delivered per ACK: slow start up to ssthresh, not a burst of eight.
     */
    @Test
    void rfc6937Section3ARecoveryRacksTimerBeginsSendsNoBurst()
    {
        twentyInFlight(true, true, true, 100 * TcpScript.MS);
        t.s.advance(100 * TcpScript.MS);
        t.send(ACK, t.peer(1), seg(0), t.peerWindow, sack(seg(18), seg(20)), NONE);
        assertEquals("20 21", segmentsSent(), "RFC 6675 §5 (3.3); RACK waits its reordering window");
        t.s.advance(25 * TcpScript.MS);
        assertEquals("0 1", segmentsSent(), "the fast retransmit and one more");
        assertEquals(18, t.count(Counter.TCP_RACK_LOSSES_DETECTED));
        assertEquals(10_000, c.ssthresh(), "cwnd / 2 (FlightSize, 22 segments, at most cwnd)");
        t.s.advance(100 * TcpScript.MS);
        t.send(ACK, t.peer(1), seg(1), t.peerWindow, sack(seg(18), seg(20)), NONE); // S0 delivered
        assertEquals("2 3", segmentsSent(), "PRR-SSRB: one more than delivered");
    }

    /**
     * RFC 9937 §6.2 (PRR's revision of RFC 6937): an ACK that delivers nothing takes no PRR step, so what RACK deems
     * lost on it is resent in place of what left pipe. Over a 100 ms round trip: S0 arrives late (reordering seen, so
     * RACK keeps a 25 ms reordering window in recovery), S10..S13 go out 110, 112, 113 and 115 ms in, S3 is lost and
     * starts a recovery when S10 is SACKed; S13 SACKed at 215 ms leaves S11 and S12 in their windows (until 237 and 238
     * ms); a duplicate of that ACK at 237.5 ms finds S11 lost, and the timer S12.
     */
    @Test
    void rfc9937Section6p2AnAckThatDeliversNothingTakesNoStepAndWhatRackFindsLostOnItIsResent()
    {
        final long ms = TcpScript.MS;
        t = new TcpScript(cfg -> cfg.congestionControl(CongestionAlgorithm.NEWRENO));
        t.listen(4);
        t.synToListener(options(mss(1000), sackPermitted()));
        t.s.advance(100 * ms);
        t.send(ACK, t.peer(1), t.stack(1));
        c = t.accepted.remove(0);
        t.write(c, bytes(10_000));
        assertEquals("0 1 2 3 4 5 6 7 8 9", segmentsSent());
        t.s.advance(100 * ms);
        t.send(ACK, t.peer(1), seg(0), t.peerWindow, sack(seg(1), seg(2)), NONE);
        t.s.advance(10 * ms);
        t.send(ACK, t.peer(1), seg(3), t.peerWindow, NONE, NONE); // S0 was late: reordering seen
        final long[] sendAt = {0, 2, 1, 2};
        for (final long gap : sendAt)
        {
            t.s.advance(gap * ms);
            t.write(c, bytes(1000));
        }
        assertEquals("10 11 12 13", segmentsSent());
        t.write(c, bytes(20_000));
        t.s.advance(95 * ms);
        t.send(ACK, t.peer(1), seg(3), t.peerWindow, sack(seg(4), seg(11)), NONE); // S4..S10: S3 lost
        assertEquals("3 14", segmentsSent(), "fast retransmit, and PRR's share of new data");
        t.s.advance(5 * ms);
        final byte[] latest = sack(seg(13), seg(14), seg(4), seg(11));
        t.send(ACK, t.peer(1), seg(3), t.peerWindow, latest, NONE); // S13 delivered
        assertEquals("15", segmentsSent());
        final long steps = t.count(Counter.TCP_PRR_ACKS);
        t.s.advance(22 * ms + ms / 2);
        t.send(ACK, t.peer(1), seg(3), t.peerWindow, latest, NONE); // the same again: nothing delivered
        assertEquals(steps, t.count(Counter.TCP_PRR_ACKS), "no PRR step");
        assertEquals("11", segmentsSent(), "S11's window passed: deemed lost on this ACK and resent");
        t.s.advance(ms);
        assertEquals("12", segmentsSent(), "the reordering timer: S12");
        assertEquals(3, t.count(Counter.TCP_RACK_LOSSES_DETECTED));
    }

    /** The segments the stack sent for the last event, by index. */
    private String segmentsSent()
    {
        final StringBuilder out = new StringBuilder();
        TcpScript.Seg s;
        while ((s = t.nextOrNull()) != null)
        {
            out.append(out.length() > 0 ? " " : "").append((s.seq() - seg(0)) / 1000);
        }
        return out.toString();
    }

    /** RFC 6582 §3.2 step 5 option (1) after PRR: the full ACK releases one segment, not a burst. */
    @Test
    void rfc6937Section3NoBurstWhenRecoveryEnds()
    {
        twentyInFlight(true, true);
        ackOneByOne(true, 19); // S20..S28 went out: 2 by RFC 6675's limited transmit, 7 by PRR
        t.send(ACK, t.peer(1), seg(22), t.peerWindow, NONE, NONE); // S0 again, S20 and S21 arrived: a full ACK
        assertEquals("N", sent(), "one segment: cwnd = min(ssthresh, FlightSize + SMSS)");
        assertEquals(8_000, c.cwnd(), "FlightSize S22..S28 = 7,000 bytes + SMSS");
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
