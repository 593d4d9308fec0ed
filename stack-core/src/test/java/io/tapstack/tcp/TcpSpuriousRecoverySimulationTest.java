package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.Impairment;
import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HexFormat;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spurious recoveries undone between two stacks in simulated time: a path that reorders but never drops (1% of
 * frames held back 3 ms on a 10 ms round trip) makes fast retransmits that are not needed. With D-SACKs (RFC 3708) or
 * timestamps (RFC 3522) they are found and their window cuts given back (RFC 4015); the data arrives intact, and the
 * transfer is no slower than with every cut kept.
 */
class TcpSpuriousRecoverySimulationTest
{
    private static final int B = io.tapstack.wire.Ipv4Address.parse("10.0.0.2");
    private static final int PORT = 5000;
    private static final int BYTES = 4 * 1024 * 1024;
    private static final Impairment REORDERING = Impairment.NONE.withDelayNs(2 * MS, MS / 5);

    record Run(long undone, long fastRetransmits, double seconds)
    {
    }

    private static Run transfer(final long seed, final boolean sack, final boolean undo)
    {
        final TcpSimulationTest.Net n = new TcpSimulationTest.Net(seed, REORDERING, tcp -> tcp.sack(sack)
            .timestamps(!sack).undoSpuriousRecoveries(undo).sendBufferBytes(1024 * 1024)
            .receiveBufferBytes(1024 * 1024));
        final TwoStacks net = n.net;
        final byte[] data = TcpSimulationTest.randomBytes(BYTES, seed);
        final TcpSimulationTest.Peer a = new TcpSimulationTest.Peer(data, new byte[0]);
        final TcpSimulationTest.Peer b = new TcpSimulationTest.Peer(new byte[0], data);
        final long[] elapsed = new long[1];
        n.verify("spurious-" + (sack ? "dsack" : "eifel") + (undo ? "" : "-kept"), () ->
        {
            net.b.tcp().listen(PORT, l -> b.start(l.accept().handler(b)));
            final long start = net.nowNs();
            assertTrue(net.a.tcp().connect(B, PORT, a, start) != null, "connect");
            assertTrue(net.runUntil(() -> b.received == BYTES || b.firstMismatch >= 0 || a.reset || b.reset,
                600 * SECOND), "finished; A: " + a.status() + "; B: " + b.status());
            assertEquals(-1, b.firstMismatch, "corrupted at " + b.firstMismatch);
            assertEquals(TcpSimulationTest.sha256(data), HexFormat.of().formatHex(b.sha.digest()), "SHA-256");
            elapsed[0] = net.nowNs() - start;
        });
        final Run run = new Run(net.a.counters().get(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE),
            net.a.counters().get(Counter.TCP_FAST_RETRANSMITS), elapsed[0] / 1e9);
        System.out.printf("%s, undo %s, seed %d: %.2f s, %d fast retransmits, %d undone; %s%n",
            sack ? "D-SACK" : "Eifel", undo, seed, run.seconds, run.fastRetransmits, run.undone, n.describe());
        return run;
    }

    @ParameterizedTest(name = "SACK {0} (else timestamps), seed {1}")
    @CsvSource({"true, 71", "true, 72", "false, 73", "false, 74"})
    void spuriousFastRetransmitsAreUndone(final boolean sack, final long seed)
    {
        final Run undo = transfer(seed, sack, true);
        final Run kept = transfer(seed, sack, false);
        assertTrue(undo.fastRetransmits > 0, "the reordering caused fast retransmits");
        assertTrue(undo.undone > 0, "some were found spurious and undone: " + undo);
        assertEquals(0, kept.undone);
        assertTrue(undo.seconds <= kept.seconds, "with undo " + undo.seconds + " s, without " + kept.seconds + " s");
    }
}
