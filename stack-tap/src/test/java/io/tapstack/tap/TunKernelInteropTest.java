package io.tapstack.tap;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.udp.UdpHandler;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static io.tapstack.tap.TapInteropSupport.PingSummary;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack in {@link StackConfig.LinkType#RAW_IP} mode on a Linux TUN (IFF_TUN | IFF_NO_PI) inside a namespace
 * of the test's own (kernel side 10.99.7.1, stack 10.99.7.2, a point-to-point link): the kernel pings it, sends
 * and receives TCP with nc, and has UDP echoed. No ARP crosses a TUN, so none is sent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TunKernelInteropTest
{
    private static final String KERNEL_IP = "10.99.7.1";
    private static final String STACK_IP = "10.99.7.2";
    private static final Duration LONG = Duration.ofSeconds(60);

    private NamespacedTap link;
    private Netns netns;
    private String tunName;
    private NetStack stack;
    private StackLoop loop;
    private Path scratch;

    @BeforeAll
    void setUp() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("nc", "netcat-openbsd", "ping", "iputils-ping");
        try
        {
            link = NamespacedTap.openTun(KERNEL_IP, STACK_IP, 4096);
            netns = link.netns;
            tunName = link.tapName;
            final TapFrameDevice device = new TapFrameDevice(link.tap);
            assertEquals(1500, device.maxFrameLength(), "a TUN frame is the IP packet alone");
            final StackConfig config = new StackConfig().ipAddress(STACK_IP + "/24")
                .linkType(StackConfig.LinkType.RAW_IP);
            stack = new NetStack(config, device);
            loop = new StackLoop(stack, device, tunName).start();
            scratch = Files.createTempDirectory("tapstack-tun");
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
            if (loop != null)
            {
                loop.close();
            }
        }
        finally
        {
            try
            {
                if (link != null)
                {
                    link.close(); // the TUN and its namespace
                }
            }
            finally
            {
                if (scratch != null)
                {
                    try (var files = Files.list(scratch))
                    {
                        files.forEach(p -> p.toFile().delete());
                    }
                    Files.deleteIfExists(scratch);
                }
            }
        }
    }

    private long counter(final Counter counter) throws Exception
    {
        return loop.call(() -> stack.counters().get(counter), Duration.ofSeconds(5));
    }

    @Test
    void kernelPingsTheStackWithoutLossAndNoArp() throws Exception
    {
        final Cmd.Result ping = netns.exec(Duration.ofSeconds(30), "ping", "-c", "10", "-i", "0.05", "-W", "2",
            STACK_IP);
        final PingSummary summary = PingSummary.parse(ping.output());
        assertEquals(10, summary.received(), summary.line());
        // a 3000-byte ping is fragmented by the kernel and reassembled, answered and fragmented by the stack
        final Cmd.Result big = netns.exec(Duration.ofSeconds(30), "ping", "-c", "2", "-s", "3000", "-W", "2",
            STACK_IP);
        assertEquals(2, PingSummary.parse(big.output()).received(), big.output());
        assertTrue(counter(Counter.IP_REASSEMBLED) >= 2);
        assertEquals(0, counter(Counter.ARP_TX_REQUESTS) + counter(Counter.ARP_TX_GRATUITOUS));
        assertEquals(0, counter(Counter.ETH_RX_FRAMES));
    }

    @Test
    void kernelSendsTcpToAStackListenerWithNc() throws Exception
    {
        final Path file = scratch.resolve("upload");
        final byte[] data = new byte[5 * 1024 * 1024];
        new java.util.SplittableRandom(7).nextBytes(data);
        Files.write(file, data);
        final TcpStreams.DigestSink sink = new TcpStreams.DigestSink();
        loop.call(() -> stack.tcp().listen(5001, l ->
        {
            final TcpConnection c = l.accept();
            c.handler(sink);
            sink.drain(c);
        }), Duration.ofSeconds(5));
        final Cmd.Result nc = netns.exec(LONG, "sh", "-c", "nc -N " + STACK_IP + " 5001 < " + file);
        final String digest = sink.done.get(30, TimeUnit.SECONDS);
        assertTrue(nc.ok(), () -> "nc failed: " + nc);
        assertEquals(data.length, sink.bytes);
        assertEquals(TcpKernelInteropTest.sha256Of(file), digest);
    }

    @Test
    void stackSendsTcpToAKernelListener() throws Exception
    {
        final Path received = scratch.resolve("download");
        final Process listener = new ProcessBuilder("ip", "netns", "exec", netns.name, "sh", "-c",
            "nc -l " + KERNEL_IP + " 5002 > " + received).redirectErrorStream(true).start();
        try
        {
            netns.awaitTcpListener(5002);
            final TcpStreams.RandomSource source = new TcpStreams.RandomSource(8, 5L * 1024 * 1024);
            assertNotNull(loop.call(() -> stack.tcp().connect(Ipv4Address.parse(KERNEL_IP), 5002, source,
                System.nanoTime()), Duration.ofSeconds(5)));
            final String sentDigest = source.sent.get(30, TimeUnit.SECONDS);
            assertTrue(listener.waitFor(30, TimeUnit.SECONDS), "nc -l did not finish");
            assertEquals(5L * 1024 * 1024, Files.size(received));
            assertEquals(sentDigest, TcpKernelInteropTest.sha256Of(received));
        }
        finally
        {
            listener.destroyForcibly();
        }
    }

    @Test
    void stackEchoesUdpToNc() throws Exception
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
        loop.call(() -> stack.udp().bind(7007, new UdpHandler()
        {
            @Override
            public void onReadable(final UdpEndpoint endpoint)
            {
                int n;
                while ((n = endpoint.receive(buffer, 0, buffer.capacity())) >= 0)
                {
                    endpoint.send(endpoint.lastRemoteAddress(), endpoint.lastRemotePort(), buffer, 0,
                        Math.min(n, buffer.capacity()), System.nanoTime());
                }
            }
        }), Duration.ofSeconds(5));
        final Cmd.Result nc = netns.exec(Duration.ofSeconds(15), "sh", "-c",
            "printf 'hello over a tun\\n' | nc -u -w 2 " + STACK_IP + " 7007");
        assertTrue(nc.output().contains("hello over a tun"), () -> "no echo: " + nc);
        assertTrue(counter(Counter.UDP_TX) >= 1);
    }

    @Test
    void kernelIpv6OnTheTunIsCountedAndDropped() throws Exception
    {
        // the kernel may send IPv6 (router solicitations, MLD) on a TUN that is up; make sure of one packet
        netns.exec(Duration.ofSeconds(10), "sh", "-c",
            "ip -6 addr add fd00:99:7::1/64 dev " + tunName + " nodad; "
                + "ping -6 -c 1 -W 1 fd00:99:7::2 >/dev/null 2>&1; true");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (counter(Counter.RAW_DROP_NOT_IPV4) == 0 && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        assertTrue(counter(Counter.RAW_DROP_NOT_IPV4) > 0, "the IPv6 packet was not counted as not IPv4");
        assertEquals(0, counter(Counter.STACK_INTERNAL_ERRORS));
    }
}
