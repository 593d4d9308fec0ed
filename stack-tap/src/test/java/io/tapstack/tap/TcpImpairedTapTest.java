package io.tapstack.tap;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TCP against the kernel through impairments the stack itself applies: a seeded {@link ImpairedDevice} around
 * the TAP device (the same class the in-memory simulations use, and what the examples' --loss, --duplicate,
 * --reorder and --delay switch on), inside a namespace of the test's own. 20 MB each way at once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpImpairedTapTest
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpImpairedTapTest.class);
    private static final String KERNEL_IP = "10.99.3.1";
    private static final String STACK_IP = "10.99.3.2";
    private static final long BYTES = 20L * 1024 * 1024;

    @Test
    void twentyMegabytesEachWayThroughLossDuplicationReorderingAndDelayOnTheStackSide() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        org.junit.jupiter.api.Assumptions.assumeTrue(Cmd.onPath("nc"), "nc (netcat-openbsd) is missing");
        final Path scratch = Files.createTempDirectory("tapstack-impaired");
        try (Netns netns = Netns.create())
        {
            final String tapName = "tst" + TapInteropSupport.randomHex(8);
            // created in the root namespace down and without an address: nothing is sent there
            try (TapDevice tap = TapDevice.open(new TapConfig().name(tapName).mtu(1500).txQueueLength(4096)))
            {
                final Cmd.Result move = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "set", tapName,
                    "netns", netns.name);
                assertTrue(move.ok(), () -> "moving the TAP failed: " + move);
                netns.execOk("ip", "link", "set", "lo", "up");
                netns.execOk("ip", "addr", "add", KERNEL_IP + "/24", "dev", tapName);
                netns.execOk("ip", "link", "set", tapName, "up");

                final TapFrameDevice tapDevice = new TapFrameDevice(tap);
                // as --loss 2% --duplicate 1% --reorder 10% --delay 5 --seed 7 on the examples' command line
                final Impairment impairment = Impairment.NONE.withLoss(0.02).withDuplicate(0.01)
                    .withReorder(0.10, 1_000_000L).withDelayNs(5_000_000L, 0);
                final ImpairedDevice impaired = ImpairedDevice.builder(tapDevice).seed(7).both(impairment)
                    .build();
                final NetStack stack = new NetStack(new StackConfig().ipAddress(STACK_IP + "/24"), impaired);
                try (StackLoop loop = new StackLoop(stack, tapDevice, tapName).start())
                {
                    final Path file = scratch.resolve("to-stack");
                    writeRandom(file, 12);
                    final TcpStreams.DigestSink sink = new TcpStreams.DigestSink();
                    loop.call(() -> stack.tcp().listen(5000, l ->
                    {
                        final TcpConnection c = l.accept();
                        c.handler(sink);
                        sink.drain(c);
                    }), Duration.ofSeconds(5));
                    final Path received = scratch.resolve("from-stack");
                    final Process kernelListener = new ProcessBuilder("ip", "netns", "exec", netns.name, "sh", "-c",
                        "nc -l " + KERNEL_IP + " 5001 > " + received).redirectErrorStream(true).start();
                    try
                    {
                        netns.awaitTcpListener(5001);
                        final long start = System.nanoTime();
                        final TcpStreams.RandomSource source = new TcpStreams.RandomSource(13, BYTES);
                        loop.call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 5001, source, System.nanoTime()),
                            Duration.ofSeconds(5));
                        final Cmd.Result nc = netns.exec(Duration.ofSeconds(90), "sh", "-c",
                            "nc -N " + STACK_IP + " 5000 < " + file);
                        assertTrue(nc.ok(), () -> "nc failed: " + nc);
                        assertEquals(TcpKernelInteropTest.sha256Of(file), sink.done.get(60, TimeUnit.SECONDS));
                        final String sent = source.sent.get(60, TimeUnit.SECONDS);
                        assertTrue(kernelListener.waitFor(60, TimeUnit.SECONDS), "nc -l did not finish");
                        assertEquals(sent, TcpKernelInteropTest.sha256Of(received));
                        final double seconds = (System.nanoTime() - start) / 1e9;
                        final String report = loop.call(() -> String.format(
                            "dropped %d, duplicated %d, reordered %d, delayed %d frames; stack retransmitted %d",
                            impaired.framesDropped(), impaired.framesDuplicated(), impaired.framesReordered(),
                            impaired.framesDelayed(), stack.counters().get(Counter.TCP_RETRANSMITTED_SEGMENTS)),
                            Duration.ofSeconds(5));
                        LOG.info("20 MB each way through stack-side impairments in {} s: {}",
                            String.format("%.1f", seconds), report);
                        final long dropped = loop.call(impaired::framesDropped, Duration.ofSeconds(5));
                        final long reordered = loop.call(impaired::framesReordered, Duration.ofSeconds(5));
                        assertTrue(dropped > 100 && reordered > 100, "the impairments did not apply: " + report);
                        assertTrue(seconds < 60, "took " + seconds + " s");
                    }
                    finally
                    {
                        kernelListener.destroyForcibly();
                    }
                }
            }
        }
        finally
        {
            TapInteropSupport.deleteScratch(scratch);
        }
    }

    private static void writeRandom(final Path file, final long seed) throws Exception
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file))
        {
            for (long written = 0; written < BYTES; written += block.length)
            {
                for (int i = 0; i < block.length; i++)
                {
                    block[i] = (byte)random.nextInt();
                }
                out.write(block);
            }
        }
    }
}
