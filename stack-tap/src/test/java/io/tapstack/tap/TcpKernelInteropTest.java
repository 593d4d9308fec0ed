package io.tapstack.tap;

import io.tapstack.NetStack;
import io.tapstack.StackCounters.Counter;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack's TCP against the Linux kernel's, over a TAP inside a namespace of the test's own (kernel side
 * 10.99.1.1, stack 10.99.1.2): 100 MB each way with SHA-256 equal, a kernel RST mid-transfer, connects to
 * closed ports, half-close both ways.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpKernelInteropTest
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpKernelInteropTest.class);
    private static final String PREFIX = "10.99.1";
    private static final String KERNEL_IP = PREFIX + ".1";
    private static final String STACK_IP = PREFIX + ".2";
    private static final int MB = 1024 * 1024;
    private static final Duration LONG = Duration.ofSeconds(90);

    private NamespacedStack ns;
    // the parts of ns the tests use
    private Netns netns;
    private NetStack stack;
    private StackLoop loop;
    private Path scratch;

    @BeforeAll
    void setUp() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        org.junit.jupiter.api.Assumptions.assumeTrue(Cmd.onPath("nc"), "nc (netcat-openbsd) is missing");
        try
        {
            ns = NamespacedStack.start(PREFIX, 4096,
                c -> c.tcp().sendBufferBytes(256 * 1024).receiveBufferBytes(64 * 1024), UnaryOperator.identity());
            netns = ns.netns;
            stack = ns.stack;
            loop = ns.loop;
            scratch = Files.createTempDirectory("tapstack-tcp");
        }
        catch (final Throwable ex)
        {
            tearDown();
            throw ex;
        }
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

    private TcpStreams.DigestSink listen(final int port) throws Exception
    {
        final TcpStreams.DigestSink sink = new TcpStreams.DigestSink();
        loop.call(() -> stack.tcp().listen(port, l ->
        {
            final TcpConnection c = l.accept();
            c.handler(sink);
            sink.drain(c);
        }), Duration.ofSeconds(5));
        return sink;
    }

    private Path randomFile(final long bytes, final long seed) throws IOException
    {
        final Path file = scratch.resolve("data-" + seed);
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] block = new byte[MB];
        try (OutputStream out = Files.newOutputStream(file))
        {
            for (long written = 0; written < bytes; written += block.length)
            {
                for (int i = 0; i < block.length; i++)
                {
                    block[i] = (byte)random.nextInt();
                }
                out.write(block, 0, (int)Math.min(block.length, bytes - written));
            }
        }
        return file;
    }

    static String sha256Of(final Path file) throws Exception
    {
        final MessageDigest digest = TcpStreams.sha256();
        final byte[] buf = new byte[MB];
        try (var in = Files.newInputStream(file))
        {
            int n;
            while ((n = in.read(buf)) > 0)
            {
                digest.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @Test
    void kernelSends100MegabytesToAStackListener() throws Exception
    {
        final Path file = randomFile(100L * MB, 11);
        final TcpStreams.DigestSink sink = listen(5001);
        final long start = System.nanoTime();
        final Cmd.Result nc = netns.exec(LONG, "sh", "-c", "nc -N " + STACK_IP + " 5001 < " + file);
        final String digest = sink.done.get(30, TimeUnit.SECONDS);
        final double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(nc.ok(), () -> "nc failed: " + nc);
        assertEquals(100L * MB, sink.bytes);
        assertEquals(sha256Of(file), digest);
        LOG.info("kernel -> stack: 100 MB in {} s = {} MB/s", String.format("%.2f", seconds),
            String.format("%.1f", 100 / seconds));
    }

    @Test
    void stackSends100MegabytesToAKernelListener() throws Exception
    {
        final Path received = scratch.resolve("received");
        final Process listener = new ProcessBuilder("ip", "netns", "exec", netns.name, "sh", "-c",
            "nc -l " + KERNEL_IP + " 5002 > " + received).redirectErrorStream(true).start();
        try
        {
            netns.awaitTcpListener(5002);
            final TcpStreams.RandomSource source = new TcpStreams.RandomSource(22, 100L * MB);
            final long start = System.nanoTime();
            assertNotNull(loop.call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 5002, source, System.nanoTime()),
                Duration.ofSeconds(5)));
            final String sentDigest = source.sent.get(60, TimeUnit.SECONDS);
            assertTrue(listener.waitFor(60, TimeUnit.SECONDS), "nc -l did not finish");
            final double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(100L * MB, Files.size(received));
            assertEquals(sentDigest, sha256Of(received));
            LOG.info("stack -> kernel: 100 MB in {} s = {} MB/s", String.format("%.2f", seconds),
                String.format("%.1f", 100 / seconds));
        }
        finally
        {
            listener.destroyForcibly();
        }
    }

    @Test
    void aKernelResetMidTransferResetsTheStackConnection() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")),
            "needs /usr/bin/python3 for a listener that closes with SO_LINGER 0");
        final String server = "import socket,struct\n"
            + "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            + "s.bind(('" + KERNEL_IP + "', 5003)); s.listen(1)\n"
            + "c,_=s.accept(); n=0\n"
            + "while n < 1000000: n += len(c.recv(65536))\n"
            + "c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()\n";
        final Process listener = new ProcessBuilder("ip", "netns", "exec", netns.name, "/usr/bin/python3", "-c",
            server).redirectErrorStream(true).start();
        try
        {
            netns.awaitTcpListener(5003);
            final TcpStreams.RandomSource source = new TcpStreams.RandomSource(33, 50L * MB);
            loop.call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 5003, source, System.nanoTime()), Duration.ofSeconds(5));
            assertEquals("connection reset by peer", source.reset.get(30, TimeUnit.SECONDS));
            assertTrue(loop.call(() -> stack.counters().get(Counter.TCP_RST_RX), Duration.ofSeconds(5)) > 0);
        }
        finally
        {
            listener.destroyForcibly();
        }
    }

    @Test
    void connectsToClosedPortsAreRefusedBothWays() throws Exception
    {
        final Cmd.Result nc = netns.exec(Duration.ofSeconds(10), "nc", "-z", "-v", "-w", "3", STACK_IP, "9");
        assertTrue(!nc.ok() && nc.output().contains("refused"), () -> "kernel connect to a closed port: " + nc);

        final TcpStreams.RandomSource source = new TcpStreams.RandomSource(44, 10);
        loop.call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 9, source, System.nanoTime()), Duration.ofSeconds(5));
        assertEquals("connection refused", source.reset.get(10, TimeUnit.SECONDS));
    }

    /**
     * RFC 7323 and RFC 2018 §2: the kernel's SYN and SYN-ACK carry window scale, timestamps and SACK-permitted, so all
     * three are used both ways.
     */
    @Test
    void windowScalingTimestampsAndSackAreNegotiatedWithTheKernelBothWays() throws Exception
    {
        final long sackBefore = counter(Counter.TCP_SACK_PERMITTED_NEGOTIATED);
        final long scaledBefore = counter(Counter.TCP_WINDOW_SCALE_NEGOTIATED);
        final long timestampsBefore = counter(Counter.TCP_TIMESTAMPS_NEGOTIATED);
        // the kernel connects to the stack (its SYN offers both; our SYN-ACK answers)
        final TcpStreams.DigestSink sink = listen(5011);
        final Cmd.Result nc = netns.exec(Duration.ofSeconds(20), "sh", "-c", "printf hello | nc -N " + STACK_IP
            + " 5011");
        assertTrue(nc.ok(), () -> "nc: " + nc);
        sink.done.get(10, TimeUnit.SECONDS);
        assertEquals(1, counter(Counter.TCP_WINDOW_SCALE_NEGOTIATED) - scaledBefore, "passive open");
        assertEquals(1, counter(Counter.TCP_TIMESTAMPS_NEGOTIATED) - timestampsBefore, "passive open");
        assertEquals(1, counter(Counter.TCP_SACK_PERMITTED_NEGOTIATED) - sackBefore, "passive open");
        // the stack connects to the kernel (our SYN offers both; the kernel's SYN-ACK answers)
        final Path received = scratch.resolve("received-rfc7323");
        final Process listener = new ProcessBuilder("ip", "netns", "exec", netns.name, "sh", "-c",
            "nc -l " + KERNEL_IP + " 5012 > " + received).redirectErrorStream(true).start();
        try
        {
            netns.awaitTcpListener(5012);
            final TcpStreams.RandomSource source = new TcpStreams.RandomSource(88, 100_000);
            loop.call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 5012, source, System.nanoTime()),
                Duration.ofSeconds(5));
            source.sent.get(20, TimeUnit.SECONDS);
            assertTrue(listener.waitFor(20, TimeUnit.SECONDS), "nc -l did not finish");
            assertEquals(100_000, Files.size(received));
        }
        finally
        {
            listener.destroyForcibly();
        }
        assertEquals(2, counter(Counter.TCP_WINDOW_SCALE_NEGOTIATED) - scaledBefore, "active open");
        assertEquals(2, counter(Counter.TCP_TIMESTAMPS_NEGOTIATED) - timestampsBefore, "active open");
        assertEquals(2, counter(Counter.TCP_SACK_PERMITTED_NEGOTIATED) - sackBefore, "active open");
    }

    private long counter(final Counter counter) throws Exception
    {
        return loop.call(() -> stack.counters().get(counter), Duration.ofSeconds(5));
    }

    @Test
    void halfCloseFromTheKernel() throws Exception
    {
        // the kernel sends and shuts down its side; the stack answers after end of stream, then closes
        final TcpStreams.DigestSink sink = listen(5004);
        sink.answerAtEnd = "thanks".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final Cmd.Result nc = netns.exec(Duration.ofSeconds(20), "sh", "-c", "printf hello | nc -N " + STACK_IP
            + " 5004");
        assertTrue(nc.ok(), () -> "nc: " + nc);
        assertEquals("thanks", nc.output().trim());
        sink.done.get(10, TimeUnit.SECONDS);
        assertEquals(5, sink.bytes);
    }

    @Test
    void halfCloseFromTheStack() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")),
            "needs /usr/bin/python3 for a listener that answers after end of stream");
        final String server = "import socket\n"
            + "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            + "s.bind(('" + KERNEL_IP + "', 5005)); s.listen(1)\n"
            + "c,_=s.accept(); n=0\n"
            + "while True:\n"
            + "    b = c.recv(65536)\n"
            + "    if not b: break\n"
            + "    n += len(b)\n"
            + "c.sendall(b'got %d' % n); c.close()\n";
        final Process listener = new ProcessBuilder("ip", "netns", "exec", netns.name, "/usr/bin/python3", "-c",
            server).redirectErrorStream(true).start();
        try
        {
            netns.awaitTcpListener(5005);
            final TcpStreams.RandomSource source = new TcpStreams.RandomSource(55, 300_000);
            loop.call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 5005, source, System.nanoTime()), Duration.ofSeconds(5));
            assertEquals("got 300000", source.received.get(20, TimeUnit.SECONDS));
        }
        finally
        {
            listener.destroyForcibly();
        }
    }

    @Test
    void twentyMegabytesEachWayThroughTwoPercentLossInstalledWithNftables() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(Cmd.onPath("nft"), "nft (nftables) is missing");
        final String tapName = ns.tapName;
        final Path rules = scratch.resolve("lossy.nft");
        // 2% random loss on the TAP in both hooks, inside the namespace only; counters prove it dropped
        Files.writeString(rules, "table inet tapstack_loss {\n"
            + "  chain in { type filter hook input priority 0; iifname \"" + tapName
            + "\" numgen random mod 100 < 2 counter drop; }\n"
            + "  chain out { type filter hook output priority 0; oifname \"" + tapName
            + "\" numgen random mod 100 < 2 counter drop; }\n"
            + "}\n");
        final Cmd.Result install = netns.exec(Duration.ofSeconds(10), "nft", "-f", rules.toString());
        assertTrue(install.ok(), () -> "could not install the nftables loss rules (the test must not run clean): "
            + install);
        try
        {
            final Path file = randomFile(20L * MB, 66);
            final TcpStreams.DigestSink sink = listen(5006);
            final Path received = scratch.resolve("received-lossy");
            final Process kernelListener = new ProcessBuilder("ip", "netns", "exec", netns.name, "sh", "-c",
                "nc -l " + KERNEL_IP + " 5007 > " + received).redirectErrorStream(true).start();
            try
            {
                netns.awaitTcpListener(5007);
                final long start = System.nanoTime();
                final TcpStreams.RandomSource source = new TcpStreams.RandomSource(77, 20L * MB);
                loop.call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 5007, source, System.nanoTime()), Duration.ofSeconds(5));
                final Cmd.Result nc = netns.exec(LONG, "sh", "-c", "nc -N " + STACK_IP + " 5006 < " + file);
                assertTrue(nc.ok(), () -> "nc failed: " + nc);
                assertEquals(sha256Of(file), sink.done.get(60, TimeUnit.SECONDS));
                final String sentDigest = source.sent.get(60, TimeUnit.SECONDS);
                assertTrue(kernelListener.waitFor(60, TimeUnit.SECONDS), "nc -l did not finish");
                assertEquals(sentDigest, sha256Of(received));
                final double seconds = (System.nanoTime() - start) / 1e9;
                final Cmd.Result ruleset = netns.execOk("nft", "list", "table", "inet", "tapstack_loss");
                final java.util.regex.Matcher m = java.util.regex.Pattern.compile("packets (\\d+)")
                    .matcher(ruleset.output());
                long dropped = 0;
                while (m.find())
                {
                    dropped += Long.parseLong(m.group(1));
                }
                assertTrue(dropped > 100, "nftables dropped only " + dropped + " packets:\n" + ruleset.output());
                final long retransmitted = loop.call(
                    () -> stack.counters().get(Counter.TCP_RETRANSMITTED_SEGMENTS), Duration.ofSeconds(5));
                LOG.info("20 MB each way through 2% loss both ways: {} s, {} packets dropped, {} segments "
                    + "retransmitted by the stack", String.format("%.1f", seconds), dropped, retransmitted);
                assertTrue(seconds < 60, "took " + seconds + " s");
            }
            finally
            {
                kernelListener.destroyForcibly();
            }
        }
        finally
        {
            netns.exec(Duration.ofSeconds(10), "nft", "delete", "table", "inet", "tapstack_loss");
        }
    }

    /**
     * Throughput of the 100 MB transfers both ways against the kernel sending to the kernel over a veth pair
     * between two namespaces of this test, all measured in this one run (docs/benchmarks.md reports them).
     */
    @Test
    void throughputAgainstTheKernelOverVeth() throws Exception
    {
        final Path file = randomFile(100L * MB, 88);
        final String digest = sha256Of(file);

        final TcpStreams.DigestSink sink = listen(5008);
        long start = System.nanoTime();
        final Cmd.Result toStack = netns.exec(LONG, "sh", "-c", "nc -N " + STACK_IP + " 5008 < " + file);
        assertEquals(digest, sink.done.get(30, TimeUnit.SECONDS));
        assertTrue(toStack.ok(), () -> "nc: " + toStack);
        final double kernelToStack = 100 / ((System.nanoTime() - start) / 1e9);

        final Path received = scratch.resolve("received-tp");
        final Process listener = new ProcessBuilder("ip", "netns", "exec", netns.name, "sh", "-c",
            "nc -l " + KERNEL_IP + " 5009 > " + received).redirectErrorStream(true).start();
        final double stackToKernel;
        try
        {
            netns.awaitTcpListener(5009);
            final TcpStreams.RandomSource source = new TcpStreams.RandomSource(99, 100L * MB);
            start = System.nanoTime();
            loop.call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 5009, source, System.nanoTime()), Duration.ofSeconds(5));
            source.sent.get(60, TimeUnit.SECONDS);
            assertTrue(listener.waitFor(60, TimeUnit.SECONDS));
            stackToKernel = 100 / ((System.nanoTime() - start) / 1e9);
        }
        finally
        {
            listener.destroyForcibly();
        }

        final double kernelToKernel;
        try (Netns a = Netns.create(); Netns b = Netns.create())
        {
            final String veth = "tsv" + TapInteropSupport.randomHex(6);
            a.execOk("ip", "link", "add", veth + "a", "type", "veth", "peer", "name", veth + "b", "netns", b.name);
            a.execOk("ip", "addr", "add", "10.99.2.1/24", "dev", veth + "a");
            b.execOk("ip", "addr", "add", "10.99.2.2/24", "dev", veth + "b");
            a.execOk("ip", "link", "set", veth + "a", "up");
            b.execOk("ip", "link", "set", veth + "b", "up");
            final Process kernelListener = new ProcessBuilder("ip", "netns", "exec", b.name, "sh", "-c",
                "nc -l 10.99.2.2 5010 > /dev/null").redirectErrorStream(true).start();
            try
            {
                b.awaitTcpListener(5010);
                start = System.nanoTime();
                final Cmd.Result send = a.exec(LONG, "sh", "-c", "nc -N 10.99.2.2 5010 < " + file);
                assertTrue(send.ok(), () -> "kernel to kernel: " + send);
                assertTrue(kernelListener.waitFor(30, TimeUnit.SECONDS));
                kernelToKernel = 100 / ((System.nanoTime() - start) / 1e9);
            }
            finally
            {
                kernelListener.destroyForcibly();
            }
        }
        LOG.info(String.format("throughput, 100 MB, one run: kernel->stack %.1f MB/s (%.2f of kernel->kernel), "
            + "stack->kernel %.1f MB/s (%.2f), kernel->kernel over veth %.1f MB/s", kernelToStack,
            kernelToStack / kernelToKernel, stackToKernel, stackToKernel / kernelToKernel, kernelToKernel));
    }
}
