package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.FIN;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Retransmission: RFC 6298 (RTO, backoff, Karn), RFC 5681 §3.2 (fast retransmit), RFC 9293 §3.8.3 (user
 * timeout); gVisor packetimpact's retransmits, FIN retransmission and user-timeout tests.
 */
class TcpRetransmissionTest
{
    /** Passive open whose handshake measured an RTT of 100 ms: SRTT 100 ms, RTTVAR 50 ms, RTO 300 ms. */
    private static TcpConnection openWith100MsRtt(final TcpScript t, final TcpHandler handler)
    {
        t.listen(4);
        t.synToListener(1460);
        t.s.advance(100 * MS);
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = t.accepted.remove(0);
        c.handler(handler);
        return c;
    }

    @Test
    void initialRtoIsOneSecondAndDoublesOnEachSynRetransmission()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        assertEquals(SECOND, c.rtoNs());
        long wait = SECOND;
        for (int i = 0; i < 4; i++)
        {
            t.s.advance(wait - 1);
            t.expectNothing();
            t.s.advance(1);
            t.expect(SYN, t.stack(0), 0);
            wait *= 2;
        }
    }

    @Test
    void rtoFollowsRfc6298AfterRttSamples()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        assertEquals(100 * MS, c.srttNs());
        assertEquals(300 * MS, c.rtoNs(), "SRTT + 4 * RTTVAR = 100 + 4 * 50");
        t.write(c, bytes(10));
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        t.s.advance(200 * MS);
        t.send(ACK, t.peer(1), t.stack(11));
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
        assertEquals(112_500_000L, c.srttNs());
        assertEquals(112_500_000L + 4 * 62_500_000L, c.rtoNs());
    }

    @Test
    void retransmitsWithDoublingBackoff()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        final byte[] data = bytes(100);
        t.write(c, data);
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
        long wait = 300 * MS;
        for (int i = 0; i < 4; i++)
        {
            t.s.advance(wait - 1);
            t.expectNothing();
            t.s.advance(1);
            t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
            wait *= 2;
        }
        assertEquals(4, t.count(Counter.TCP_RTO_EXPIRIES));
        assertEquals(1460, c.cwnd(), "RFC 5681 §3.1: loss window is one segment");
    }

    @Test
    void karnNoSampleFromARetransmittedSegment()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        t.write(c, bytes(10));
        t.next();
        t.s.advance(300 * MS);
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        t.s.advance(50 * MS);
        t.send(ACK, t.peer(1), t.stack(11));
        assertEquals(100 * MS, c.srttNs(), "an ambiguous ACK gives no sample");
        assertEquals(600 * MS, c.rtoNs(), "the backed-off RTO stays until a new sample (RFC 6298 §5.7)");
        // the next segment is timed again
        t.write(c, bytes(10));
        t.next();
        t.s.advance(100 * MS);
        t.send(ACK, t.peer(1), t.stack(21));
        assertEquals(100 * MS, c.srttNs());
        assertEquals(100 * MS + 4 * 37_500_000L, c.rtoNs());
    }

    @Test
    void rtoRetransmissionGoesBackToSndUna()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        c.nagle(false);
        t.write(c, bytes(3000));
        t.expect(ACK, t.stack(1), t.peer(1), 1460);
        t.expect(ACK, t.stack(1461), t.peer(1), 1460);
        t.expect(ACK | PSH, t.stack(2921), t.peer(1), 80);
        t.send(ACK, t.peer(1), t.stack(1461));
        // that ACK measured 0 ms: RTTVAR = 3/4 * 50 + 1/4 * 100 = 62.5, SRTT = 87.5, RTO = 337.5 ms
        assertEquals(337_500_000L, c.rtoNs());
        t.s.advance(337_500_000L - 1);
        t.expectNothing();
        t.s.advance(1);
        // one segment (cwnd = 1 SMSS) from SND.UNA
        t.expect(ACK, t.stack(1461), t.peer(1), 1460);
        t.expectNothing();
        t.send(ACK, t.peer(1), t.stack(2921));
        t.expect(ACK | PSH, t.stack(2921), t.peer(1), 80);
        t.expectNothing();
    }

    @Test
    void pureAckAfterGoBackCarriesSndMax()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        c.nagle(false);
        t.write(c, bytes(2920));
        t.next();
        t.next();
        // the peer's ACKs are lost: the RTO goes back to SND.UNA
        t.s.advance(300 * MS);
        t.expect(ACK, t.stack(1), t.peer(1), 1460);
        // data from the peer (still acknowledging old data) is ACKed with SEQ = SND.MAX, which the peer accepts
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(10));
        t.s.advance(40 * MS);
        t.expect(ACK, t.stack(2921), t.peer(11), 0);
    }

    @Test
    void finIsRetransmitted()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1), 0);
        t.s.advance(300 * MS);
        t.expect(FIN | ACK, t.stack(1), t.peer(1), 0);
        t.s.advance(600 * MS);
        t.expect(FIN | ACK, t.stack(1), t.peer(1), 0);
        t.send(ACK, t.peer(1), t.stack(2));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        t.s.advance(10 * SECOND);
        t.expectNothing();
    }

    @Test
    void finWithDataIsRetransmittedTogether()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        t.write(c, bytes(10));
        c.close();
        t.s.step();
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        t.expect(FIN | ACK, t.stack(11), t.peer(1), 0);
        t.s.advance(300 * MS);
        t.expect(FIN | ACK | PSH, t.stack(1), t.peer(1), 10);
        t.expectNothing();
    }

    @Test
    void fastRetransmitOnTheThirdDuplicateAck()
    {
        // RFC 5681's inflated window, without PRR (RFC 6937 replaces it: TcpPrrTest)
        final TcpScript t = new TcpScript(c -> c.prr(false));
        // NewReno's numbers, chosen for this accepted connection before it sends (CUBIC's: the test below)
        final TcpConnection c = openWith100MsRtt(t, null).congestionControl(CongestionAlgorithm.NEWRENO);
        c.nagle(false);
        t.write(c, bytes(5 * 1460));
        for (int i = 0; i < 5; i++)
        {
            t.expect(i == 4 ? ACK | PSH : ACK, t.stack(1 + i * 1460), t.peer(1), 1460);
        }
        t.send(ACK, t.peer(1), t.stack(1));
        t.send(ACK, t.peer(1), t.stack(1));
        t.expectNothing();
        t.send(ACK, t.peer(1), t.stack(1));
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 1460);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_FAST_RETRANSMITS));
        // RFC 5681 §3.2: ssthresh = max(FlightSize / 2, 2 * SMSS), cwnd = ssthresh + 3 * SMSS
        assertEquals(5 * 1460 / 2, c.ssthresh());
        assertEquals(5 * 1460 / 2 + 3 * 1460, c.cwnd());
    }

    @Test
    void cubicReducesByBetaOnTheThirdDuplicateAck()
    {
        final TcpScript t = new TcpScript(c -> c.prr(false));
        final TcpConnection c = openWith100MsRtt(t, null); // CUBIC is the default
        c.nagle(false);
        t.write(c, bytes(5 * 1460));
        for (int i = 0; i < 5; i++)
        {
            t.expect(i == 4 ? ACK | PSH : ACK, t.stack(1 + i * 1460), t.peer(1), 1460);
        }
        for (int i = 0; i < 3; i++)
        {
            t.send(ACK, t.peer(1), t.stack(1));
        }
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 1460);
        t.expectNothing();
        // RFC 9438 §4.6: ssthresh = FlightSize * 0.7 = 5110; RFC 5681 §3.2 step 3: cwnd = ssthresh + 3 * SMSS
        assertEquals(5_110, c.ssthresh());
        assertEquals(5_110 + 3 * 1460, c.cwnd());
    }

    @Test
    void congestionControlCannotChangeOnceDataWasSent()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        t.write(c, bytes(100));
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
        assertThrows(IllegalStateException.class, () -> c.congestionControl(CongestionAlgorithm.NEWRENO));
    }

    @Test
    void duplicateAcksWithAWindowChangeAreNotCounted()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        c.nagle(false);
        t.write(c, bytes(3 * 1460));
        t.next();
        t.next();
        t.next();
        for (int w = 60000; w < 60003; w++)
        {
            t.send(ACK, t.peer(1), t.stack(1), w, TcpScript.NONE, TcpScript.NONE);
        }
        t.expectNothing();
        assertEquals(0, t.count(Counter.TCP_FAST_RETRANSMITS));
    }

    @Test
    void userTimeoutAbortsADeadConnection()
    {
        final TcpScript t = new TcpScript(c -> c.userTimeoutNs(10 * SECOND));
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = openWith100MsRtt(t, r);
        t.write(c, bytes(10));
        t.next();
        // 0.3 + 0.6 + 1.2 + 2.4 + 4.8 = 9.3 s of retransmissions, the next expiry at 18.9 s is past 10 s
        t.s.advance(9300 * MS);
        for (int i = 0; i < 5; i++)
        {
            t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        }
        t.s.advance(9600 * MS);
        // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>
        t.expect(RST, t.stack(11), 0);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("reset: user timeout: data unacknowledged too long"), r.events);
        assertEquals(1, t.count(Counter.TCP_USER_TIMEOUTS));
        assertEquals(0, t.tcp.connectionCount());
    }

    @Test
    void rtoAfterSynTimeoutStartsDataAtThreeSeconds()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        t.s.advance(SECOND);
        t.expect(SYN, t.stack(0), 0);
        t.send(SYN | ACK, t.peer(0), t.stack(1));
        t.expect(ACK, t.stack(1), t.peer(1));
        // RFC 6298 §5.7: no sample from the retransmitted SYN; data starts with RTO = 3 s
        assertEquals(3 * SECOND, c.rtoNs());
    }

    @Test
    void anRtoRetransmitsASegmentShorterThanTheMssDespiteNagleAndSwsAvoidance()
    {
        // found by TcpStateMachineProperties: after go-back, a sub-MSS segment below SND.MAX was held back by
        // the new-data rules (RFC 9293 §3.7.4, §3.8.6.2.1) and the connection died of its user timeout
        final TcpScript t = new TcpScript();
        final TcpConnection c = openWith100MsRtt(t, null);
        t.send(ACK, t.peer(1), t.stack(1), 1000, TcpScript.NONE, TcpScript.NONE);
        t.write(c, bytes(3000));
        t.s.advance(300 * MS); // the SWS override timer sends what the 1000-byte window allows
        final TcpScript.Seg first = t.next();
        assertEquals(t.stack(1), first.seq());
        assertEquals(1000, first.data().length);
        t.expectNothing();
        t.s.advance(700 * MS); // no ACK: the RTO must send those 1000 bytes again
        final TcpScript.Seg again = t.next();
        assertEquals(t.stack(1), again.seq(), "retransmitted from SND.UNA");
        assertEquals(1000, again.data().length);
        assertEquals(1, t.count(Counter.TCP_RTO_EXPIRIES));
    }
}
