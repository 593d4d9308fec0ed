package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 7661 §4.3 in a connection against a scripted peer: an application that writes two segments per round trip
 * (100 ms) for 40 round trips never uses more than a fifth of the initial window, and with validation on cwnd does not
 * grow past what the first round trip gave it; off, every ACK grows it (RFC 5681). And a slow reader whose ACKs come
 * much further apart than the round trip: pipeACK is still measured (§4.2), so its window does not grow either, except
 * while cwnd is at most twice pipeACK (the validated phase, §4.3).
 */
class TcpCongestionWindowValidationTest
{
    @ParameterizedTest(name = "{0}, validation {1}")
    @CsvSource({"NEWRENO, true", "NEWRENO, false", "CUBIC, true", "CUBIC, false"})
    void rfc7661Section4p3ARateLimitedSenderDoesNotGrowTheWindowItDoesNotUse(final CongestionAlgorithm algorithm,
        final boolean validation)
    {
        final TcpScript t = new TcpScript(c -> c.congestionControl(algorithm).congestionWindowValidation(validation)
            .timestamps(false));
        t.listen(4);
        t.synToListener(1000);
        t.s.advance(100 * MS);
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = t.accepted.remove(0);
        int next = 1;
        for (int round = 0; round < 40; round++)
        {
            t.write(c, bytes(2000));
            t.expect(ACK, t.stack(next), t.peer(1), 1000);
            t.expect(ACK | PSH, t.stack(next + 1000), t.peer(1), 1000);
            t.expectNothing();
            t.s.advance(100 * MS);
            t.send(ACK, t.peer(1), t.stack(next + 1000));
            t.send(ACK, t.peer(1), t.stack(next + 2000));
            next += 2000;
        }
        if (validation)
        {
            assertEquals(12_000, c.cwnd(), "IW and the first round trip's two ACKs, before pipeACK was defined");
            assertEquals(1, t.count(Counter.TCP_CWND_NON_VALIDATED));
        }
        else
        {
            assertTrue(c.cwnd() >= 50_000, "every ACK grew it: " + c.cwnd());
            assertEquals(0, t.count(Counter.TCP_CWND_NON_VALIDATED));
        }
    }

    /**
     * RFC 7661 §4.2 and §4.3: a slow reader (window 2000 bytes, closed by the ACK 10 ms after the data and reopened 90
     * ms later) limits the sender, not cwnd. Its ACKs of new data come 100 ms apart, ten round trips: the sample each
     * ACK opens is ended by the next one and holds what its round trip acknowledged (2000 bytes), so pipeACK is
     * defined, below cwnd / 2, and only the first ACK (before any sample) grows cwnd (by one SMSS; two with
     * HyStart++). Samples dropped for spanning more than two round trips left pipeACK undefined, the sender
     * "validated", and every ACK grew the window it never used.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"NEWRENO", "CUBIC"})
    void rfc7661Section4p2ASlowReadersSparseAcksStillMeasurePipeAckAndTheWindowDoesNotGrow(
        final CongestionAlgorithm algorithm)
    {
        final TcpScript t = new TcpScript(c -> c.congestionControl(algorithm).timestamps(false));
        t.listen(4);
        t.synToListener(1000);
        t.s.advance(10 * MS);
        t.peerWindow = 2000;
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = t.accepted.remove(0);
        final int initialWindow = c.cwnd();
        t.write(c, bytes(4000)); // a backlog beyond the peer's window: the sender is never short of data
        int next = 1;
        int firstRoundsWindow = 0;
        for (int round = 0; round < 30; round++)
        {
            t.expect(ACK, t.stack(next), t.peer(1), 1000);
            t.expect(ACK, t.stack(next + 1000), t.peer(1), 1000);
            t.expectNothing();
            next += 2000;
            t.s.advance(10 * MS);
            t.peerWindow = 0;
            t.send(ACK, t.peer(1), t.stack(next)); // the data is in the reader's buffer, unread
            t.write(c, bytes(2000));
            t.expectNothing();
            t.s.advance(90 * MS);
            t.peerWindow = 2000;
            t.send(ACK, t.peer(1), t.stack(next)); // the reader took 2000 bytes: a window update
            firstRoundsWindow = round == 0 ? c.cwnd() : firstRoundsWindow;
        }
        assertTrue(firstRoundsWindow > initialWindow, "the first ACK grew it");
        assertEquals(firstRoundsWindow, c.cwnd(), "no ACK after the first pipeACK sample grew it");
        assertEquals(1, t.count(Counter.TCP_CWND_NON_VALIDATED));
    }

    /**
     * RFC 7661 §4.3, what the tcp-flow-control lab shows: a receiver-limited sender whose first round trip delivered
     * 9000 bytes (pipeACK, for the one-second sampling period of §4.2) stays in the validated phase while cwnd is at
     * most twice that, so its ACKs grow cwnd (RFC 5681 §3.1 has no rule against it) though the reader lets only 2000
     * bytes a round trip go; the first ACK past 2 * pipeACK ends the growth.
     */
    @Test
    void rfc7661Section4p3AReceiverLimitedSenderGrowsWhileCwndIsAtMostTwicePipeAck()
    {
        final TcpScript t = new TcpScript(c -> c.congestionControl(CongestionAlgorithm.NEWRENO).timestamps(false));
        t.listen(4);
        t.synToListener(1000);
        t.s.advance(10 * MS);
        t.peerWindow = 10_000;
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = t.accepted.remove(0);
        assertEquals(10_000, c.cwnd());
        t.write(c, bytes(60_000));
        for (int i = 0; i < 10; i++)
        {
            t.expect(ACK, t.stack(1 + 1000 * i), t.peer(1), 1000);
        }
        t.expectNothing();
        t.s.advance(10 * MS);
        t.peerWindow = 0;
        t.send(ACK, t.peer(1), t.stack(1001));   // opens the first pipeACK sample
        t.send(ACK, t.peer(1), t.stack(10_001)); // 9000 bytes in it
        assertEquals(12_000, c.cwnd(), "pipeACK undefined: validated, slow start");
        int next = 10_001;
        for (int round = 0; round < 8; round++)
        {
            t.s.advance(90 * MS);
            t.peerWindow = 2000;
            t.send(ACK, t.peer(1), t.stack(next)); // the reader took 2000 bytes
            t.expect(ACK, t.stack(next), t.peer(1), 1000);
            t.expect(ACK, t.stack(next + 1000), t.peer(1), 1000);
            t.expectNothing();
            next += 2000;
            t.s.advance(10 * MS);
            t.peerWindow = 0;
            t.send(ACK, t.peer(1), t.stack(next));
            assertEquals(Math.min(13_000 + 1000 * round, 19_000), c.cwnd(), "round " + round);
        }
        assertEquals(1, t.count(Counter.TCP_CWND_NON_VALIDATED), "19000 / 2 is more than 9000");
    }
}
