package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.Impairment;
import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SACK (RFC 2018, RFC 2883) and RFC 6675 loss recovery between two stacks over an impaired link in simulated time,
 * 10 ms round trip (1 ms of link each way plus 2 ms of delay on each device, which a frame meets twice): data
 * arrives intact under 1%, 5% and 10% loss both ways with reordering, and SACK's goodput beats NewReno's on the same
 * seeds at 5% and 10% loss (by 1.4x and 2.2x) and comes close to it at 1% (0.9x, both at AIMD's ceiling).
 */
class TcpSackSimulationTest
{
    private static final int B = io.tapstack.wire.Ipv4Address.parse("10.0.0.2");
    private static final int PORT = 5000;

    /** Per device, met twice by every frame: {@code perHop} loss each time, reordering, 2 ms delay. */
    private static Impairment lossy(final double perHop)
    {
        return Impairment.NONE.withLoss(perHop).withReorder(0.01, 2 * MS).withDelayNs(2 * MS, 0);
    }

    @ParameterizedTest(name = "end-to-end loss {0}%, seed {1}")
    @CsvSource({"1, 41", "1, 42", "5, 43", "5, 44", "10, 45", "10, 46"})
    void dataArrivesIntactBothWaysWithSack(final int lossPercent, final long seed)
    {
        final double perHop = 1 - Math.sqrt(1 - lossPercent / 100.0);
        TcpSimulationTest.bidirectional("sack" + lossPercent, seed, lossy(perHop), 512 * 1024, 3_600 * SECOND);
    }

    @Test
    void sackNegotiatedAndUsedBetweenTwoStacks()
    {
        final Result r = transfer(true, 47, lossy(0.005), 2 * 1024 * 1024);
        assertEquals(1, r.counter(Counter.TCP_SACK_PERMITTED_NEGOTIATED, true), "A");
        assertEquals(1, r.counter(Counter.TCP_SACK_PERMITTED_NEGOTIATED, false), "B");
        assertTrue(r.counter(Counter.TCP_SACK_BLOCKS_TX, false) > 0, "B sent SACK blocks");
        assertTrue(r.counter(Counter.TCP_SACK_RECOVERIES, true) > 0, "A recovered with SACK");
    }

    /**
     * Goodput with SACK against NewReno on the same seeds: 4 MiB each, 1 MiB buffers, seeds 40 to 49, the goodput of
     * all ten together (their bytes over their summed time, so no one lucky seed decides). Measured: 19.5 against 22.0
     * Mbit/s at 1% loss, 6.0 against 4.3 at 5%, 2.4 against 1.1 at 10%, with 1, 9 and 138 RTOs against NewReno's 7,
     * 130 and 752 (CUBIC; with PRR, spurious-recovery undo, and RACK-TLP with SACK, limited transmit without). At 1% both sit at the ceiling AIMD allows (Mathis: MSS / RTT ·
     * 1.22 / √p ≈ 14 Mbit/s): losses rarely come several to a window, where SACK's advantage lies, so the 3x at
     * 1% is not reachable by loss recovery alone. (Before the fixes of RACK-TLP's combination with PRR and the undo,
     * SACK measured 35, 22 and 34 Mbit/s on seed 48 at 1, 5 and 10%: far above that ceiling, because back-to-back
     * recoveries cut ssthresh from FlightSize, SACKed data included, and it grew from one to the next.) The bounds
     * asserted are those measured, with a margin.
     */
    @ParameterizedTest(name = "per-hop loss {0}, at least {1}x")
    @CsvSource({"0.005, 0.8", "0.0253, 1.25", "0.0513, 1.8"})
    void sackGoodputBeatsNewRenoOnTheSameSeeds(final double perHop, final double factor)
    {
        final int bytes = 4 * 1024 * 1024;
        double sackSeconds = 0;
        double newRenoSeconds = 0;
        long sackRtos = 0;
        long newRenoRtos = 0;
        for (long seed = 40; seed < 50; seed++)
        {
            final Result sack = transfer(true, seed, lossy(perHop), bytes);
            final Result newReno = transfer(false, seed, lossy(perHop), bytes);
            sackSeconds += sack.seconds;
            newRenoSeconds += newReno.seconds;
            sackRtos += sack.counter(Counter.TCP_RTO_EXPIRIES, true);
            newRenoRtos += newReno.counter(Counter.TCP_RTO_EXPIRIES, true);
        }
        final double sackMbps = 10.0 * bytes * 8 / (sackSeconds * 1e6);
        final double newRenoMbps = 10.0 * bytes * 8 / (newRenoSeconds * 1e6);
        System.out.printf("per-hop loss %.4f, 10 ms RTT, seeds 40-49: SACK %.1f Mbit/s (%d RTOs), NewReno %.1f Mbit/s "
            + "(%d RTOs)%n", perHop, sackMbps, sackRtos, newRenoMbps, newRenoRtos);
        assertTrue(sackMbps >= factor * newRenoMbps,
            "SACK " + sackMbps + " Mbit/s, NewReno " + newRenoMbps + " Mbit/s");
    }

    record Result(TcpSimulationTest.Net net, double seconds)
    {
        long counter(final Counter c, final boolean a)
        {
            return (a ? net.net.a : net.net.b).counters().get(c);
        }
    }

    /** A sends {@code bytes} to B with 1 MiB buffers; the simulated seconds until B has read them all. */
    private static Result transfer(final boolean sack, final long seed, final Impairment perDevice, final int bytes)
    {
        final TcpSimulationTest.Net n = new TcpSimulationTest.Net(seed, perDevice,
            tcp -> tcp.sack(sack).sendBufferBytes(1024 * 1024).receiveBufferBytes(1024 * 1024));
        final TwoStacks net = n.net;
        final byte[] data = TcpSimulationTest.randomBytes(bytes, seed);
        final TcpSimulationTest.Peer a = new TcpSimulationTest.Peer(data, new byte[0]);
        final TcpSimulationTest.Peer b = new TcpSimulationTest.Peer(new byte[0], data);
        final long[] elapsed = new long[1];
        n.verify(sack ? "sackGoodput" : "newRenoGoodput", () ->
        {
            net.b.tcp().listen(PORT, l -> b.start(l.accept().handler(b)));
            final long start = net.nowNs();
            assertTrue(net.a.tcp().connect(B, PORT, a, start) != null, "connect");
            assertTrue(net.runUntil(() -> b.received == bytes || b.firstMismatch >= 0 || a.reset || b.reset,
                3_600 * SECOND), "finished; A: " + a.status() + "; B: " + b.status());
            assertEquals(-1, b.firstMismatch, "corrupted at " + b.firstMismatch);
            assertEquals(bytes, b.received);
            elapsed[0] = net.nowNs() - start;
        });
        return new Result(n, elapsed[0] / 1e9);
    }
}
