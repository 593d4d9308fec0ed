package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.Impairment;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

import static io.tapstack.tcp.TcpSimulationTest.randomBytes;
import static io.tapstack.tcp.TcpSimulationTest.sha256;
import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CUBIC (RFC 9438) between two stacks over an impaired link in simulated time: bulk data arrives intact through
 * loss at a 10 ms RTT, and on a 50 ms RTT path with 0.1% random loss it moves at least as many bytes in the same
 * simulated time as NewReno with the same seed (loss not caused by the sender is where CUBIC's beta of 0.7 and
 * its Reno-friendly region pay).
 */
class TcpCubicSimulationTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");
    private static final int PORT = 5000;

    /** Counts the congestion events of every connection of a stack, by reason. */
    static final class Reasons implements TcpEventListener
    {
        final Map<String, Integer> counts = new HashMap<>();

        @Override
        public void onCongestionChange(final TcpConnection connection, final String reason, final int cwnd,
            final int ssthresh, final long nowNs)
        {
            counts.merge(reason, 1, Integer::sum);
        }

        int count(final String reason)
        {
            return counts.getOrDefault(reason, 0);
        }
    }

    /**
     * 1 ms link plus 2 ms per device each way: 5 ms one way, 10 ms RTT; each device drops 0.5% both ways (about
     * 1% of segments end to end) and duplicates and reorders a little.
     */
    private static final Impairment TEN_MS_LOSSY = Impairment.NONE.withLoss(0.005).withDuplicate(0.002)
        .withReorder(0.005, MS).withDelayNs(2 * MS, 0);

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {41, 42, 43})
    void bulkDataArrivesIntactWithCubicThroughLossAtTenMillisecondsRtt(final long seed)
    {
        final int bytes = 8 * 1024 * 1024;
        final TcpSimulationTest.Net n = new TcpSimulationTest.Net(seed, TEN_MS_LOSSY,
            tcp -> tcp.congestionControl(CongestionAlgorithm.CUBIC).sendBufferBytes(1 << 20).receiveBufferBytes(1 << 20));
        final TwoStacks net = n.net;
        final Reasons reasons = new Reasons();
        net.a.tcp().eventListener(reasons);
        final byte[] data = randomBytes(bytes, seed);
        final TcpSimulationTest.Peer a = new TcpSimulationTest.Peer(data, new byte[0]);
        final TcpSimulationTest.Peer b = new TcpSimulationTest.Peer(new byte[0], data);
        n.verify("cubic10ms", () ->
        {
            net.b.tcp().listen(PORT, l -> b.start(l.accept().handler(b)));
            assertTrue(net.a.tcp().connect(B, PORT, a, net.clock.nanoTime()) != null, "connect");
            final boolean finished = net.runUntil(() -> a.done() && b.done() || a.reset || b.reset
                || b.firstMismatch >= 0, 600 * SECOND);
            final String status = "A: " + a.status() + "; B: " + b.status();
            assertEquals(-1, b.firstMismatch, "A->B stream corrupted at byte " + b.firstMismatch + "; " + status);
            assertTrue(finished && !a.reset && !b.reset, "did not finish: " + status);
            assertEquals(sha256(data), HexFormat.of().formatHex(b.sha.digest()), "SHA-256; " + status);
            assertTrue(net.a.counters().get(Counter.TCP_FAST_RETRANSMITS) > 0, "the loss was recovered from");
            assertTrue(reasons.count(CongestionControl.REASON_CUBIC_EPOCH) > 0, "CUBIC ran: " + reasons.counts);
        });
        System.out.printf("cubic10ms seed %d: %d bytes in %.2f s simulated; %s; %s%n", seed, bytes,
            (net.nowNs() - 1_000 * SECOND) / 1e9, n.describe(), reasons.counts);
    }

    // ------------------------------------------------------------------------------------------------ goodput

    /** Writes forever from one chunk. */
    static final class Source implements TcpHandler
    {
        final byte[] chunk = new byte[64 * 1024];

        @Override
        public void onConnected(final TcpConnection c)
        {
            onWritable(c);
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            while (c.write(chunk, 0, chunk.length) > 0)
            {
                // the send buffer takes what it has room for
            }
        }
    }

    /** Reads and counts. */
    static final class Sink implements TcpHandler
    {
        final byte[] chunk = new byte[64 * 1024];
        long received;

        @Override
        public void onReadable(final TcpConnection c)
        {
            int n;
            while ((n = c.read(chunk, 0, chunk.length)) > 0)
            {
                received += n;
            }
        }
    }

    /** 1 ms link plus 12 ms per device each way: 25 ms one way, 50 ms RTT; 0.05% loss per device and direction. */
    private static final Impairment FIFTY_MS_LOSSY = Impairment.NONE.withLoss(0.0005).withDelayNs(12 * MS, 0);
    private static final int BUFFER = 4 * 1024 * 1024;
    private static final long GOODPUT_TIME_NS = 30 * SECOND;

    /** Bytes A delivers to B in {@link #GOODPUT_TIME_NS} of simulated time after connecting. */
    private static long goodput(final long seed, final CongestionAlgorithm algorithm, final Reasons reasons)
    {
        final TcpSimulationTest.Net n = new TcpSimulationTest.Net(seed, FIFTY_MS_LOSSY,
            tcp -> tcp.congestionControl(algorithm).sendBufferBytes(BUFFER).receiveBufferBytes(BUFFER));
        final TwoStacks net = n.net;
        net.a.tcp().eventListener(reasons);
        final Source source = new Source();
        final Sink sink = new Sink();
        final long[] received = new long[1];
        n.verify("goodput-" + algorithm, () ->
        {
            net.b.tcp().listen(PORT, l -> l.accept().handler(sink));
            assertTrue(net.a.tcp().connect(B, PORT, source, net.clock.nanoTime()) != null, "connect");
            net.runFor(GOODPUT_TIME_NS);
            received[0] = sink.received;
            assertTrue(received[0] > 0, "nothing arrived");
        });
        System.out.printf("goodput seed %d %s: %.2f MB/s over %d s simulated; %s; %s%n", seed, algorithm,
            received[0] / (GOODPUT_TIME_NS / 1e9) / 1e6, GOODPUT_TIME_NS / SECOND, n.describe(), reasons.counts);
        return received[0];
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {51, 52, 53})
    void cubicMovesAtLeastAsMuchAsNewRenoAtFiftyMillisecondsRttWithRandomLoss(final long seed)
    {
        final Reasons cubicReasons = new Reasons();
        final long cubic = goodput(seed, CongestionAlgorithm.CUBIC, cubicReasons);
        final long newReno = goodput(seed, CongestionAlgorithm.NEWRENO, new Reasons());
        assertTrue(cubicReasons.count(CongestionControl.REASON_CUBIC_EPOCH) > 0, "CUBIC ran: " + cubicReasons.counts);
        assertTrue(cubic >= newReno, "CUBIC " + cubic + " bytes < NewReno " + newReno + " bytes (seed " + seed + ")");
    }

    @Test
    void newRenoSelectedInTheConfigRunsNoCubicEpochs()
    {
        final Reasons reasons = new Reasons();
        goodput(51, CongestionAlgorithm.NEWRENO, reasons);
        assertEquals(0, reasons.count(CongestionControl.REASON_CUBIC_EPOCH), reasons.counts.toString());
        assertTrue(reasons.count(CongestionControl.REASON_CONGESTION_AVOIDANCE) > 0, reasons.counts.toString());
    }
}
