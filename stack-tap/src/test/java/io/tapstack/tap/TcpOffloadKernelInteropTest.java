package io.tapstack.tap;

import io.tapstack.NetStack;
import io.tapstack.StackCounters.Counter;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.testkit.Frames;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.TcpFlags;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack's TCP against the Linux kernel's over a TAP with offloads (IFF_VNET_HDR, TUN_F_CSUM | TUN_F_TSO4),
 * inside a namespace of the test's own (kernel side 10.99.21.1, stack 10.99.21.2): 100 MB each way intact, with
 * the device's counters proving that super-frames went both ways (the kernel's GSO into the stack, the stack's
 * glued segments out for the kernel to cut) and the stack's that partial checksums were skipped; a frame with a
 * bad checksum and no DATA_VALID is still dropped. Without offloads, {@link TcpKernelInteropTest} runs the same
 * transfers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class TcpOffloadKernelInteropTest
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpOffloadKernelInteropTest.class);
    private static final String PREFIX = "10.99.21";
    private static final String KERNEL_IP = PREFIX + ".1";
    private static final String STACK_IP = PREFIX + ".2";
    private static final int MB = 1024 * 1024;
    private static final Duration LONG = Duration.ofSeconds(120);

    private NamespacedStack ns;
    private Netns netns;
    private NetStack stack;
    private TapFrameDevice device;
    private Path scratch;

    @BeforeAll
    void setUp() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        org.junit.jupiter.api.Assumptions.assumeTrue(Cmd.onPath("nc"), "nc (netcat-openbsd) is missing");
        try
        {
            ns = NamespacedStack.start(PREFIX, 4096, true, c -> c.tcp().sendBufferBytes(4 * MB)
                .receiveBufferBytes(4 * MB), UnaryOperator.identity());
            netns = ns.netns;
            stack = ns.stack;
            device = ns.device;
            scratch = Files.createTempDirectory("tapstack-offload");
        }
        catch (final Throwable ex)
        {
            tearDown();
            throw ex;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(
            device.offloads() == (TapDevice.TUN_F_CSUM | TapDevice.TUN_F_TSO4), "this kernel's TAP has no offloads");
    }

    @AfterAll
    void tearDown() throws Exception
    {
        try
        {
            if (ns != null)
            {
                ns.close();
            }
        }
        finally
        {
            TapInteropSupport.deleteScratch(scratch);
        }
    }

    private <T> T call(final Callable<T> action) throws Exception
    {
        return ns.call(action);
    }

    @Test
    void kernelSends100MegabytesAsSuperFramesThatArriveIntact() throws Exception
    {
        final Path file = scratch.resolve("data");
        try (var out = Files.newOutputStream(file))
        {
            final java.util.SplittableRandom random = new java.util.SplittableRandom(51);
            final byte[] block = new byte[MB];
            for (int i = 0; i < 100; i++)
            {
                for (int j = 0; j < block.length; j++)
                {
                    block[j] = (byte)random.nextInt();
                }
                out.write(block);
            }
        }
        final long superFramesBefore = device.superFramesReceived();
        final long partialBefore = call(() -> stack.counters().get(Counter.TCP_RX_CHECKSUM_PARTIAL));
        final long badBefore = call(() -> stack.counters().get(Counter.TCP_DROP_BAD_CHECKSUM));
        final TcpStreams.DigestSink sink = new TcpStreams.DigestSink();
        call(() -> stack.tcp().listen(5101, l ->
        {
            final TcpConnection c = l.accept();
            c.handler(sink);
            sink.drain(c);
        }));
        final long start = System.nanoTime();
        final Process nc = new ProcessBuilder("ip", "netns", "exec", netns.name, "sh", "-c",
            "nc -N " + STACK_IP + " 5101 < " + file).redirectErrorStream(true).start();
        // the second half only: the first warms the JIT (interpreted code allocates what compiled code does not)
        final long allocatedBefore = allocatedOnceAt(() -> sink.bytes, 40L * MB);
        final long allocated = allocatedOnceAt(() -> sink.bytes, 90L * MB) - allocatedBefore;
        final String digest = sink.done.get(LONG.toSeconds(), TimeUnit.SECONDS);
        assertTrue(nc.waitFor(30, TimeUnit.SECONDS) && nc.exitValue() == 0, "nc failed");
        final double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(100L * MB, sink.bytes);
        assertEquals(TcpKernelInteropTest.sha256Of(file), digest);
        final long superFrames = device.superFramesReceived() - superFramesBefore;
        final long partial = call(() -> stack.counters().get(Counter.TCP_RX_CHECKSUM_PARTIAL)) - partialBefore;
        LOG.info("kernel -> stack with offloads: 100 MB in {} s = {} MB/s; {} super-frames, {} partial checksums",
            String.format("%.2f", seconds), String.format("%.1f", 100 / seconds), superFrames, partial);
        assertTrue(superFrames > 100, "the kernel sent super-frames: " + superFrames);
        assertTrue(partial >= superFrames, "their partial checksums were skipped: " + partial);
        assertEquals(badBefore, call(() -> stack.counters().get(Counter.TCP_DROP_BAD_CHECKSUM)));
        assertAllocatesNothingPerFrame(allocated, superFrames);
    }

    @Test
    void stackSends100MegabytesAsSuperFramesTheKernelCutsAndReceivesIntact() throws Exception
    {
        final Path received = scratch.resolve("received");
        final long superFramesBefore = device.superFramesTransmitted();
        final long partialSentBefore = call(() -> stack.counters().get(Counter.TCP_TX_CHECKSUM_PARTIAL));
        final Process listener = new ProcessBuilder("ip", "netns", "exec", netns.name, "sh", "-c",
            "nc -l " + KERNEL_IP + " 5102 > " + received).redirectErrorStream(true).start();
        try
        {
            netns.awaitTcpListener(5102);
            final TcpStreams.RandomSource source = new TcpStreams.RandomSource(52, 100L * MB);
            final long start = System.nanoTime();
            assertNotNull(call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 5102, source,
                System.nanoTime())));
            final long allocatedBefore = allocatedOnceAt(() -> source.produced, 40L * MB);
            final long allocated = allocatedOnceAt(() -> source.produced, 90L * MB) - allocatedBefore;
            final String sentDigest = source.sent.get(100, TimeUnit.SECONDS);
            assertTrue(listener.waitFor(60, TimeUnit.SECONDS), "nc -l did not finish");
            final double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(100L * MB, Files.size(received));
            assertEquals(sentDigest, TcpKernelInteropTest.sha256Of(received));
            final long superFrames = device.superFramesTransmitted() - superFramesBefore;
            LOG.info("stack -> kernel with offloads: 100 MB in {} s = {} MB/s; {} super-frames, {} segments in them",
                String.format("%.2f", seconds), String.format("%.1f", 100 / seconds), superFrames,
                device.segmentsInSuperFramesTransmitted());
            assertTrue(superFrames > 100, "the stack sent super-frames: " + superFrames);
            assertEquals(0, device.transmitErrors(), "the kernel took every one");
            // every segment left with the pseudo-header sum only, marked NEEDS_CSUM, and the kernel completed it
            assertTrue(call(() -> stack.counters().get(Counter.TCP_TX_CHECKSUM_PARTIAL)) - partialSentBefore
                >= 100L * MB / 65536, "segments sent with partial checksums");
            assertAllocatesNothingPerFrame(allocated, superFrames);
        }
        finally
        {
            listener.destroyForcibly();
        }
    }

    /**
     * A segment the kernel's side sends through a packet socket carries no DATA_VALID and no NEEDS_CSUM (its
     * checksum is "none": the virtio-net header's flags are 0), so the stack verifies it: a bad checksum is dropped,
     * the same segment with its checksum right is answered (a RST: no listener on that port).
     */
    @Test
    void aSegmentWithABadChecksumAndNoDataValidIsStillDropped() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3");
        final long stackMac = stack.macAddress();
        final long kernelMac = ns.kernelMac();
        final byte[] good = Frames.ipv4(stackMac, kernelMac, Ipv4Address.parse(KERNEL_IP), Ipv4Address.parse(STACK_IP),
            IpProtocol.TCP, 7, Ipv4Header.FLAG_DONT_FRAGMENT, Frames.tcp(Ipv4Address.parse(KERNEL_IP),
                Ipv4Address.parse(STACK_IP), 40000, 5999, 1000, 0, TcpFlags.SYN, 1000, new byte[0], new byte[0]));
        final byte[] bad = good.clone();
        bad[14 + 20 + 16] ^= 0x55; // the TCP checksum

        final long badBefore = call(() -> stack.counters().get(Counter.TCP_DROP_BAD_CHECKSUM));
        final long closedBefore = call(() -> stack.counters().get(Counter.TCP_TO_CLOSED_PORT));
        sendFromKernelSide(bad);
        assertTrue(waitFor(() -> stack.counters().get(Counter.TCP_DROP_BAD_CHECKSUM) == badBefore + 1),
            "the bad checksum was verified and the segment dropped");
        assertEquals(closedBefore, call(() -> stack.counters().get(Counter.TCP_TO_CLOSED_PORT)));
        sendFromKernelSide(good);
        assertTrue(waitFor(() -> stack.counters().get(Counter.TCP_TO_CLOSED_PORT) == closedBefore + 1),
            "the good one was taken (and answered with a RST)");
        assertEquals(badBefore + 1, call(() -> stack.counters().get(Counter.TCP_DROP_BAD_CHECKSUM)));
    }

    /**
     * Bytes the stack thread allocated so far, less the TCP buffers' growth (rare doublings, not per frame): the
     * test's own handlers on that thread allocate nothing per read or write.
     */
    private long stackThreadAllocated() throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        return threads.getThreadAllocatedBytes(ns.loop.thread().getId())
            - call(() -> stack.counters().get(Counter.TCP_MEMORY_ALLOCATED_BYTES));
    }

    /**
     * {@link #stackThreadAllocated()} once {@code progress} (a field the stack thread writes, read racily: a poll)
     * reaches {@code bytes}.
     */
    private long allocatedOnceAt(final java.util.function.LongSupplier progress, final long bytes) throws Exception
    {
        final long deadline = System.nanoTime() + LONG.toNanos();
        while (progress.getAsLong() < bytes && System.nanoTime() < deadline)
        {
            Thread.sleep(1); // polling the transfer's progress, not protocol time
        }
        return stackThreadAllocated();
    }

    /**
     * Style rule 3 on the TAP's offload path, from 40 to 90 MB (the first part warms the JIT: interpreted code
     * allocates what compiled code does not): about 36,000 segments and 800 super-frames; an object per segment
     * would be over 500 KB. The bound leaves room for the test's own calls onto the stack thread.
     */
    private static void assertAllocatesNothingPerFrame(final long allocated, final long superFrames)
    {
        LOG.info("the stack thread allocated {} bytes from 40 to 90 MB ({} super-frames in all)", allocated,
            superFrames);
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes over 50 MB");
    }

    /** The kernel's UDP leaves its checksum partial on a TAP with TUN_F_CSUM: the stack takes it unverified. */
    @Test
    void aKernelUdpDatagramWithAPartialChecksumIsTaken() throws Exception
    {
        final long partialBefore = call(() -> stack.counters().get(Counter.UDP_RX_CHECKSUM_PARTIAL));
        final long closedBefore = call(() -> stack.counters().get(Counter.UDP_TO_CLOSED_PORT));
        final long badBefore = call(() -> stack.counters().get(Counter.UDP_DROP_BAD_CHECKSUM));
        final Cmd.Result nc = netns.exec(Duration.ofSeconds(10), "sh", "-c", "printf hello | nc -u -w 1 " + STACK_IP
            + " 9");
        assertTrue(waitFor(() -> stack.counters().get(Counter.UDP_TO_CLOSED_PORT) > closedBefore),
            () -> "the datagram reached UDP: " + nc);
        assertEquals(badBefore, call(() -> stack.counters().get(Counter.UDP_DROP_BAD_CHECKSUM)));
        assertTrue(call(() -> stack.counters().get(Counter.UDP_RX_CHECKSUM_PARTIAL)) > partialBefore,
            "its checksum was partial (NEEDS_CSUM)");
    }

    private void sendFromKernelSide(final byte[] frame)
    {
        final String script = "import socket\n"
            + "s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
            + "s.bind(('" + ns.tapName + "', 0))\n"
            + "s.send(bytes.fromhex('" + HexFormat.of().formatHex(frame) + "'))\n";
        final Cmd.Result r = netns.exec(Duration.ofSeconds(10), "/usr/bin/python3", "-c", script);
        assertTrue(r.ok(), () -> "python3 packet socket: " + r);
    }

    private boolean waitFor(final Callable<Boolean> condition) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline)
        {
            if (call(condition))
            {
                return true;
            }
            Thread.sleep(10); // waiting on the kernel and the stack's thread, not on protocol time
        }
        return false;
    }
}
