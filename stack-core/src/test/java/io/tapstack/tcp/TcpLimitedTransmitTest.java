package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Limited transmit (RFC 3042 §2) without SACK, one rule per test against a scripted peer: MSS 1000, NewReno, the
 * initial window of 10 segments unless a test says otherwise; {@code seg(i)} is the first sequence number of Si.
 */
class TcpLimitedTransmitTest
{
    private TcpScript t;
    private TcpConnection c;

    private int seg(final int i)
    {
        return t.stack(1 + 1000 * i);
    }

    /** A passive open without SACK, then {@code written} bytes written and {@code sent} segments sent. */
    private void open(final Consumer<TcpConfig> config, final int written, final int sent)
    {
        open(config, 65_535, written, sent);
    }

    private void open(final Consumer<TcpConfig> config, final int peerWindow, final int written, final int sent)
    {
        t = new TcpScript(tcp ->
        {
            tcp.congestionControl(CongestionAlgorithm.NEWRENO);
            config.accept(tcp);
        });
        t.peerWindow = peerWindow;
        t.listen(4);
        t.synToListener(1000);
        t.send(ACK, t.peer(1), t.stack(1));
        c = t.accepted.remove(0);
        t.write(c, bytes(written));
        for (int i = 0; i < sent; i++)
        {
            t.expect(i == written / 1000 - 1 ? ACK | PSH : ACK, seg(i), t.peer(1), 1000);
        }
        t.expectNothing();
    }

    private void duplicate()
    {
        t.send(ACK, t.peer(1), seg(0));
    }

    @Test
    void rfc3042Section2OneNewSegmentForEachOfTheFirstTwoDuplicateAcks()
    {
        open(tcp ->
        {
        }, 15_000, 10);
        duplicate();
        t.expect(ACK, seg(10), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(10_000, c.cwnd(), "cwnd is not changed");
        duplicate();
        t.expect(ACK, seg(11), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(10_000, c.cwnd());
        duplicate(); // the third: fast retransmit (RFC 5681 §3.2)
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(2, t.count(Counter.TCP_LIMITED_TRANSMITS));
        // RFC 5681 §3.2 step 2: what limited transmit sent is not in the FlightSize that is halved
        assertEquals(5_000, c.ssthresh());
    }

    @Test
    void rfc3042Section2OnlyWhatTheReceiverWindowAllows()
    {
        // the peer's window of 10,000 bytes is full (the same window on every ACK: duplicates, RFC 5681 §2)
        open(tcp ->
        {
        }, 10_000, 15_000, 10);
        duplicate();
        duplicate();
        t.expectNothing();
        assertEquals(0, t.count(Counter.TCP_LIMITED_TRANSMITS));
    }

    @Test
    void rfc3042Section2OnlyPreviouslyUnsentData()
    {
        open(tcp ->
        {
        }, 10_000, 10);
        duplicate();
        duplicate();
        t.expectNothing(); // nothing new to send, and nothing is resent before the third duplicate
        assertEquals(0, t.count(Counter.TCP_LIMITED_TRANSMITS));
    }

    /**
     * RFC 3042 §1's case: a window of three segments, the first lost, brings only two duplicate ACKs. Limited transmit
     * sends two more segments, whose duplicates make the third: fast retransmit instead of a timeout.
     */
    @Test
    void rfc3042Section1ASmallWindowRecoversByFastRetransmit()
    {
        open(tcp -> tcp.initialWindowSegments(3), 10_000, 3);
        duplicate();
        t.expect(ACK, seg(3), t.peer(1), 1000);
        duplicate();
        t.expect(ACK, seg(4), t.peer(1), 1000);
        duplicate(); // for S3
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_FAST_RETRANSMITS));
        assertEquals(0, t.count(Counter.TCP_RTO_EXPIRIES));
    }

    @Test
    void switchedOffNewDataWaitsForCwnd()
    {
        open(tcp -> tcp.limitedTransmit(false).initialWindowSegments(3), 10_000, 3);
        duplicate();
        duplicate();
        t.expectNothing(); // and a third duplicate will not come: only the RTO is left
        assertEquals(0, t.count(Counter.TCP_LIMITED_TRANSMITS));
    }
}
