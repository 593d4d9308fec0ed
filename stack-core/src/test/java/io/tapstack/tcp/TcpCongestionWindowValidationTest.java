package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
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
 * grow past what the first round trip gave it; off, every ACK grows it (RFC 5681).
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
}
