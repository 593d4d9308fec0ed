package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPermitted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When a new loss recovery may begin after the last one: a recovery ends with the cumulative ACK of RecoveryPoint
 * (RFC 6675 §5 (A)), here exactly SND.MAX as it was when the recovery began, and the very next segment is lost. With SACK
 * nothing in RFC 6675 §5 holds a new recovery back (only an RTO does, until the ACK reaches the RecoveryPoint it set,
 * §5.1); without SACK RFC 6582 §3.2 enters only when the ACK "covers more than recover", which it defines as
 * ack_number - 1 &gt; recover with recover the highest octet sent: one octet beyond SND.NXT as it was.
 *
 * <p>Ten segments S0..S9 of 1,000 bytes go out (the initial window), ten more wait; {@code seg(i)} is the first
 * sequence number of Si. S0 is lost; the duplicate ACKs' limited transmit (RFC 6675 §5 step (3.3), RFC 3042) sends S10
 * and S11 before the third, so the recovery's RecoveryPoint (and RFC 6582's recover) is seg(12).
 */
class TcpRecoveryReentryTest
{
    private TcpScript t;
    private TcpConnection c;

    private int seg(final int i)
    {
        return t.stack(1 + 1000 * i);
    }

    private void open(final boolean withSack, final long roundTripNs, final Consumer<TcpConfig> config)
    {
        t = new TcpScript(tcp ->
        {
            tcp.congestionControl(CongestionAlgorithm.NEWRENO);
            config.accept(tcp);
        });
        t.listen(4);
        t.synToListener(withSack ? options(mss(1000), sackPermitted()) : mss(1000));
        t.s.advance(roundTripNs);
        t.send(ACK, t.peer(1), t.stack(1));
        c = t.accepted.remove(0);
        t.write(c, bytes(10_000));
        assertEquals("0 1 2 3 4 5 6 7 8 9", sent());
        t.write(c, bytes(10_000));
    }

    /** An ACK of everything before {@code ack}, with SACK blocks as edges. */
    private void ack(final int ack, final int... edges)
    {
        t.send(ACK, t.peer(1), ack, t.peerWindow, edges.length > 0 ? sack(edges) : NONE, NONE);
    }

    /** The segments the stack sent since the last call, by index. */
    private String sent()
    {
        final StringBuilder out = new StringBuilder();
        TcpScript.Seg s;
        while ((s = t.nextOrNull()) != null)
        {
            out.append(out.length() > 0 ? " " : "").append((s.seq() - seg(0)) / 1000);
        }
        return out.toString();
    }

    /** S0 lost, found by three duplicate ACKs (SACKing S1..S3 when SACK is on), and resent; RecoveryPoint seg(12). */
    private void firstRecovery(final boolean withSack)
    {
        ack(seg(0), withSack ? new int[] {seg(1), seg(2)} : new int[0]);
        ack(seg(0), withSack ? new int[] {seg(1), seg(3)} : new int[0]);
        assertEquals("10 11", sent(), "limited transmit");
        ack(seg(0), withSack ? new int[] {seg(1), seg(4)} : new int[0]);
        assertEquals("0", sent(), "fast retransmit");
        ack(seg(12)); // the full ACK: RecoveryPoint, SND.NXT when the recovery began
        assertEquals("12 13", sent(), "RFC 6582 §3.2 step 5 option (1): min(ssthresh, FlightSize + SMSS)");
        assertEquals(1, t.count(Counter.TCP_FAST_RETRANSMITS));
    }

    @Test
    void rfc6675Section5ASegmentLostRightAfterTheRecoveryPointStartsANewRecovery()
    {
        open(true, 0, tcp -> tcp.rack(false)); // RFC 6675's own loss detection (no time passes in this script)
        firstRecovery(true);
        // S12, the first segment past the old RecoveryPoint, lost; three duplicate ACKs SACK S13..S15
        ack(seg(12), seg(13), seg(14));
        assertEquals("14", sent(), "RFC 6675 §5 step (3.3)");
        ack(seg(12), seg(13), seg(15));
        assertEquals("15", sent());
        ack(seg(12), seg(13), seg(16)); // IsLost(S12): a second recovery, not a wait for the RTO
        // the fast retransmit; then PRR (RFC 6937 §3): pipe (S12 again) is below ssthresh (FlightSize S12..S15 / 2),
        // so PRR-SSRB sends one more than the ACK delivered
        assertEquals("12 16", sent());
        assertEquals(2, t.count(Counter.TCP_SACK_RECOVERIES));
        assertEquals(0, t.count(Counter.TCP_RTO_EXPIRIES));
    }

    @Test
    void rfc8985Section6p2RacksTimerFindsASegmentLostRightAfterTheRecoveryPointAndStartsANewRecovery()
    {
        open(true, 100 * MS, tcp ->
        {
        });
        t.s.advance(100 * MS);
        firstRecovery(true);
        t.s.advance(100 * MS);
        ack(seg(12), seg(13), seg(14)); // S13 delivered, S12 not: RACK waits its reordering window (25 ms)
        assertEquals("14", sent());
        t.s.advance(25 * MS);
        assertEquals("12", sent(), "RACK's timer deems S12 lost and a new recovery resends it");
        assertEquals(2, t.count(Counter.TCP_SACK_RECOVERIES));
        assertEquals(0, t.count(Counter.TCP_RTO_EXPIRIES));
    }

    /**
     * RFC 5681 §3.2 and RFC 6675 §5 (2.b) with RACK (RFC 8985 §9.3): a loss of data sent after a recovery began is a
     * new congestion event, even when RACK found it and resent it inside that recovery. S12 goes out after the first
     * recovery's cut and is lost; RACK resends it (with S0's lost retransmission); when the cumulative ACK reaches the
     * RecoveryPoint, S12's retransmission is still on its way: a second recovery cuts the window again, and resends
     * nothing twice.
     */
    @Test
    void rfc6675Section5ALossSentAfterTheRecoveryBeganAndResentInsideItStartsAnotherOneAtItsEnd()
    {
        open(true, 100 * MS, tcp -> tcp.minRtoNs(TcpScript.SECOND)); // the RTO out of the way
        t.s.advance(100 * MS);
        ack(seg(0), seg(1), seg(2));
        ack(seg(0), seg(1), seg(3));
        assertEquals("10 11", sent());
        ack(seg(0), seg(1), seg(4)); // RACK: S0 lost; RecoveryPoint seg(12)
        assertEquals("0", sent());
        assertEquals(5_000, c.ssthresh(), "cwnd / 2");
        t.s.advance(MS);
        for (int k = 5; k <= 12; k++)
        {
            ack(seg(0), seg(1), seg(k));
        }
        assertEquals("12 13 14 15", sent(), "PRR's new data, sent after the cut");
        t.s.advance(99 * MS);
        ack(seg(0), seg(13), seg(14), seg(1), seg(12)); // S13 delivered: S12 lost, and S0's retransmission too
        assertEquals("0 12 16", sent());
        assertEquals(1, t.count(Counter.TCP_SACK_RECOVERIES));
        t.s.advance(100 * MS);
        ack(seg(12), seg(13), seg(16)); // RecoveryPoint reached; S12's retransmission still on its way
        assertEquals(2, t.count(Counter.TCP_SACK_RECOVERIES), "a second congestion event");
        assertEquals(2_500, c.ssthresh(), "cut again");
        final String out = sent();
        assertTrue(!(" " + out + " ").contains(" 12 "), "S12 is not resent twice: " + out);
        assertEquals(3, t.count(Counter.TCP_RETRANSMITTED_SEGMENTS), "S0 twice, S12 once");
    }

    @Test
    void rfc6675Section5p1AfterAnRtoNoNewRecoveryUntilTheAckReachesItsRecoveryPoint()
    {
        open(true, 0, tcp -> tcp.rack(false));
        t.s.advance(c.rtoNs());
        assertEquals("0", sent(), "RTO: go back to S0");
        final int ssthresh = c.ssthresh();
        ack(seg(0), seg(1), seg(4)); // late SACKs of S1..S3: IsLost(S0), but HighACK is below RecoveryPoint (seg(10))
        assertEquals(0, t.count(Counter.TCP_SACK_RECOVERIES));
        assertEquals(ssthresh, c.ssthresh(), "no second reduction for the loss the timeout answered");
    }

    @Test
    void rfc6582Section3p2WithoutSackTheDuplicatesOfTheOldRecoverDoNotCoverMoreThanIt()
    {
        open(false, 0, tcp ->
        {
        });
        firstRecovery(false);
        // S12 lost: the duplicate ACKs carry ack_number = recover + 1 (one past the highest octet sent then), which
        // covers no more than recover (RFC 6582 §3.2: ack_number - 1 > recover); they may stem from retransmissions
        ack(seg(12));
        ack(seg(12));
        assertEquals("14 15", sent(), "limited transmit (RFC 3042)");
        ack(seg(12));
        assertEquals("", sent(), "no fast retransmit");
        assertEquals(1, t.count(Counter.TCP_FAST_RETRANSMITS));
    }

    @Test
    void rfc6582Section3p2WithoutSackALossOneSegmentPastTheOldRecoverStartsANewRecovery()
    {
        open(false, 0, tcp ->
        {
        });
        firstRecovery(false);
        ack(seg(13)); // S12 arrived: the ACK covers more than recover
        assertEquals("14 15", sent());
        // S13 lost: three duplicate ACKs of seg(13)
        ack(seg(13));
        ack(seg(13));
        assertEquals("16 17", sent(), "limited transmit (RFC 3042)");
        ack(seg(13));
        assertEquals("13", sent(), "fast retransmit");
        assertEquals(2, t.count(Counter.TCP_FAST_RETRANSMITS));
    }
}
