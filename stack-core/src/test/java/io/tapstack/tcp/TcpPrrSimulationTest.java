package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameObserver;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.agrona.DirectBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HexFormat;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proportional Rate Reduction (RFC 6937) between two stacks in simulated time: A sends 4 MiB to B over a 10 ms round
 * trip whose far end (B's device) drops 1% of frames each way. A's own device is not impaired, so the link sees A's
 * segments the instant A sends them, and a burst is segments sent at one instant. The data arrives intact, recovery
 * is paced by PRR, no recovery ends in a burst, and the largest burst during recovery is smaller than without PRR on
 * the same seed (RFC 6675's cwnd - pipe, or RFC 5681's inflated window).
 */
class TcpPrrSimulationTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");
    private static final int PORT = 5000;
    private static final int BYTES = 4 * 1024 * 1024;

    /** Data segments A sends per instant, sorted by whether A was recovering from a loss then. */
    static final class BurstMeter implements FrameObserver, TcpEventListener
    {
        final TcpSimulationTest.PcapRing pcap = new TcpSimulationTest.PcapRing(4096);
        boolean inRecovery;
        long exitNs = -1;
        long instantNs = -1;
        int segments;
        boolean instantInRecovery;
        boolean instantIsExit;
        int recoveries;
        int exits;
        int largestInRecovery;
        int largestAtExit;

        @Override
        public void onCongestionChange(final TcpConnection connection, final String reason, final int cwnd,
            final int ssthresh, final long nowNs)
        {
            switch (reason)
            {
                case CongestionControl.REASON_FAST_RETRANSMIT ->
                {
                    inRecovery = true;
                    recoveries++;
                }
                case CongestionControl.REASON_FULL_ACK ->
                {
                    inRecovery = false;
                    exitNs = nowNs;
                    exits++;
                }
                case CongestionControl.REASON_RTO -> inRecovery = false;
                default ->
                {
                }
            }
        }

        @Override
        public void onFrame(final boolean fromA, final DirectBuffer buffer, final int offset, final int length,
            final long nowNs)
        {
            pcap.onFrame(fromA, buffer, offset, length, nowNs);
            final int ip = offset + 14;
            if (!fromA || length < 54 || buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) != 0x0800
                || buffer.getByte(ip + 9) != 6)
            {
                return;
            }
            final int ipHeader = (buffer.getByte(ip) & 0x0f) * 4;
            final int ipLength = buffer.getShort(ip + 2, ByteOrder.BIG_ENDIAN) & 0xffff;
            final int tcpHeader = ((buffer.getByte(ip + ipHeader + 12) & 0xff) >>> 4) * 4;
            if (ipLength - ipHeader - tcpHeader <= 0)
            {
                return;
            }
            if (nowNs != instantNs)
            {
                close();
                instantNs = nowNs;
            }
            segments++;
            instantInRecovery |= inRecovery;
            instantIsExit |= exitNs == nowNs;
        }

        void close()
        {
            if (instantInRecovery)
            {
                largestInRecovery = Math.max(largestInRecovery, segments);
            }
            if (instantIsExit)
            {
                largestAtExit = Math.max(largestAtExit, segments);
            }
            segments = 0;
            instantInRecovery = false;
            instantIsExit = false;
        }
    }

    record Run(BurstMeter meter, long prrAcks, double seconds)
    {
    }

    private static Run transfer(final long seed, final boolean sack, final boolean prr)
    {
        final Impairment segments = Impairment.NONE.withLoss(0.005).withDelayNs(4 * MS, 0);
        // the ACKs' jitter spreads them out, so A takes one at a time and sends what each allows at its own instant
        final Impairment acks = Impairment.NONE.withLoss(0.005).withDelayNs(4 * MS, 2 * MS);
        final TwoStacks net = new TwoStacks(MS,
            c ->
            {
                tcp(c.tcp(), sack, prr);
                return c.seed(seed * 31 + 1);
            },
            c ->
            {
                tcp(c.tcp(), sack, prr);
                return c.seed(seed * 31 + 2);
            },
            d -> d,
            d -> ImpairedDevice.builder(d).seed(seed).receive(segments).transmit(acks).build());
        final BurstMeter meter = new BurstMeter();
        net.link.observer(meter);
        net.a.tcp().eventListener(meter);
        final byte[] data = TcpSimulationTest.randomBytes(BYTES, seed);
        final TcpSimulationTest.Peer a = new TcpSimulationTest.Peer(data, new byte[0]);
        final TcpSimulationTest.Peer b = new TcpSimulationTest.Peer(new byte[0], data);
        final String name = "prr-" + (sack ? "sack" : "newreno") + (prr ? "" : "-without");
        try
        {
            net.b.tcp().listen(PORT, l -> b.start(l.accept().handler(b)));
            final long start = net.nowNs();
            assertTrue(net.a.tcp().connect(B, PORT, a, start) != null, "connect");
            assertTrue(net.runUntil(() -> b.received == BYTES || b.firstMismatch >= 0 || a.reset || b.reset,
                600 * SECOND), "finished; A: " + a.status() + "; B: " + b.status());
            meter.close();
            assertEquals(-1, b.firstMismatch, "corrupted at " + b.firstMismatch);
            assertEquals(TcpSimulationTest.sha256(data), HexFormat.of().formatHex(b.sha.digest()), "SHA-256");
            assertEquals(0, net.a.counters().get(Counter.STACK_INTERNAL_ERRORS));
            final Run run = new Run(meter, net.a.counters().get(Counter.TCP_PRR_ACKS), (net.nowNs() - start) / 1e9);
            System.out.printf("%s seed %d: %.2f s, %d recoveries, %d ended by a full ACK, largest burst in recovery "
                + "%d, at its end %d, PRR ACKs %d%n", name, seed, run.seconds, meter.recoveries, meter.exits,
                meter.largestInRecovery, meter.largestAtExit, run.prrAcks);
            return run;
        }
        catch (final AssertionError | RuntimeException e)
        {
            final Path file = Path.of("target", "simulation-failures", name + "-seed-" + seed + ".pcap");
            try
            {
                meter.pcap.write(file);
            }
            catch (final IOException io)
            {
                e.addSuppressed(io);
            }
            throw new AssertionError(name + " failed for seed " + seed + "; last frames in " + file.toAbsolutePath()
                + ": " + e.getMessage(), e);
        }
    }

    private static void tcp(final TcpConfig tcp, final boolean sack, final boolean prr)
    {
        tcp.sack(sack).prr(prr).congestionControl(CongestionAlgorithm.NEWRENO)
            .sendBufferBytes(1024 * 1024).receiveBufferBytes(1024 * 1024);
    }

    @ParameterizedTest(name = "SACK {0}, seed {1}")
    @CsvSource({"true, 61", "true, 62", "false, 63", "false, 64"})
    void recoveryIsPacedAndEndsWithoutABurst(final boolean sack, final long seed)
    {
        final Run withPrr = transfer(seed, sack, true);
        final Run without = transfer(seed, sack, false);
        assertTrue(withPrr.meter.exits > 0 && withPrr.prrAcks > 0, "recoveries paced by PRR: " + withPrr);
        assertTrue(withPrr.meter.largestAtExit <= 2, "burst when recovery ended: " + withPrr.meter.largestAtExit);
        assertTrue(withPrr.meter.largestInRecovery <= without.meter.largestInRecovery, "largest burst in recovery "
            + withPrr.meter.largestInRecovery + " with PRR, " + without.meter.largestInRecovery + " without");
        assertEquals(0, without.prrAcks);
    }
}
