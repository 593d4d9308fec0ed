package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.Impairment;
import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receiver SACK compression between two stacks over a lossy 10 ms path in simulated time, against the same transfer
 * with every duplicate ACK sent at once, on the same seeds: the receiver sends fewer packets while the sender's
 * goodput does not fall and its timeouts do not rise at 1% and 5% loss (the held ACKs wait at most min(1 ms, RTT/20)
 * = 0.5 ms here); at 10% they do, which is why it is off by default.
 */
class TcpSackCompressionSimulationTest
{
    private static final int B = io.tapstack.wire.Ipv4Address.parse("10.0.0.2");
    private static final int PORT = 5000;

    /** As TcpSackSimulationTest's: per device, met twice by every frame; reordering and 2 ms of delay. */
    private static Impairment lossy(final double perHop)
    {
        return Impairment.NONE.withLoss(perHop).withReorder(0.01, 2 * MS).withDelayNs(2 * MS, 0);
    }

    /**
     * Measured (seeds 40-49, 2 MiB each): at per-hop loss 0.005 on 24.3 Mbit/s and 0 RTOs, the receiver sending
     * 10,507 segments, against 22.6, 0 and 14,506 off; at 0.0253 5.91, 4, 12,754 against 5.94, 9, 14,512; at 0.0513
     * 1.84, 119, 13,402 against 2.38, 68, 14,540: the harm at 10% loss that keeps it off by default. Bounds asserted
     * with a margin: goodput and timeouts no worse at 1% and 5%; at 10% goodput no lower than 0.7x (measured 0.77x).
     */
    @ParameterizedTest(name = "per-hop loss {0}")
    @CsvSource({"0.005, 0.95, true", "0.0253, 0.95, true", "0.0513, 0.7, false"})
    void compressionSendsFewerAcksAndKeepsGoodputAndTimeoutsAtModerateLoss(final double perHop,
        final double goodputRatio, final boolean timeoutsNoWorse)
    {
        final int bytes = 2 * 1024 * 1024;
        final Totals on = new Totals();
        final Totals off = new Totals();
        for (long seed = 40; seed < 50; seed++)
        {
            on.add(transfer(true, seed, lossy(perHop), bytes));
            off.add(transfer(false, seed, lossy(perHop), bytes));
        }
        final double onMbps = 10.0 * bytes * 8 / (on.seconds * 1e6);
        final double offMbps = 10.0 * bytes * 8 / (off.seconds * 1e6);
        System.out.printf("SACK compression, per-hop loss %.4f, seeds 40-49: on %.2f Mbit/s, %d RTOs, receiver sent %d"
                + " segments (%d held segments, %d held ACKs); off %.2f Mbit/s, %d RTOs, receiver sent %d%n", perHop,
            onMbps, on.rtos, on.receiverSegments, on.heldSegments, on.heldAcks, offMbps, off.rtos, off.receiverSegments);
        assertTrue(on.heldSegments > 0, "some ACKs were held");
        assertEquals(0, off.heldSegments, "none held when off");
        assertTrue(on.receiverSegments < off.receiverSegments, "fewer ACKs: " + on.receiverSegments + " against "
            + off.receiverSegments);
        assertTrue(onMbps >= goodputRatio * offMbps, "goodput on " + onMbps + ", off " + offMbps);
        if (timeoutsNoWorse)
        {
            assertTrue(on.rtos <= off.rtos + 2, "RTOs on " + on.rtos + ", off " + off.rtos);
        }
    }

    static final class Totals
    {
        double seconds;
        long rtos;
        long receiverSegments;
        long heldSegments;
        long heldAcks;

        void add(final Run r)
        {
            final TcpSimulationTest.Net n = r.net;
            seconds += r.seconds;
            rtos += n.net.a.counters().get(Counter.TCP_RTO_EXPIRIES);
            receiverSegments += n.net.b.counters().get(Counter.TCP_TX);
            heldSegments += n.net.b.counters().get(Counter.TCP_SACK_COMPRESSED_SEGMENTS);
            heldAcks += n.net.b.counters().get(Counter.TCP_SACK_COMPRESSED_ACKS);
        }
    }

    record Run(TcpSimulationTest.Net net, double seconds)
    {
    }

    /** A sends {@code bytes} to B with 1 MiB buffers; the simulated seconds until B has read them all. */
    private static Run transfer(final boolean compression, final long seed,
        final Impairment perDevice, final int bytes)
    {
        final TcpSimulationTest.Net n = new TcpSimulationTest.Net(seed, perDevice,
            tcp -> tcp.sendBufferBytes(1024 * 1024).receiveBufferBytes(1024 * 1024).sackCompression
                .enabled(compression));
        final TwoStacks net = n.net;
        final byte[] data = TcpSimulationTest.randomBytes(bytes, seed);
        final TcpSimulationTest.Peer a = new TcpSimulationTest.Peer(data, new byte[0]);
        final TcpSimulationTest.Peer b = new TcpSimulationTest.Peer(new byte[0], data);
        final double[] seconds = new double[1];
        n.verify(compression ? "sackCompressionOn" : "sackCompressionOff", () ->
        {
            net.b.tcp().listen(PORT, l -> b.start(l.accept().handler(b)));
            final long start = net.nowNs();
            assertTrue(net.a.tcp().connect(B, PORT, a, start) != null, "connect");
            assertTrue(net.runUntil(() -> b.received == bytes || b.firstMismatch >= 0 || a.reset || b.reset,
                3_600 * SECOND), "finished; A: " + a.status() + "; B: " + b.status());
            assertEquals(-1, b.firstMismatch, "corrupted at " + b.firstMismatch);
            assertEquals(bytes, b.received);
            seconds[0] = (net.nowNs() - start) / 1e9;
        });
        return new Run(n, seconds[0]);
    }
}
