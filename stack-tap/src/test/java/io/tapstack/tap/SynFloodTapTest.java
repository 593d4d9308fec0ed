package io.tapstack.tap;

import io.tapstack.NetStack;
import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpListener;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A SYN flood against the stack over a TAP, inside a namespace of the test's own (kernel side 10.99.9.1, the stack
 * 10.99.9.2/24 with the kernel side as its default gateway): 20,000 spoofed SYNs in 5 s to a listener, written from
 * inside the namespace by {@code syn_flood.py} (an AF_PACKET socket on the TAP, standard-library Python) from three
 * kinds of sources: on-link addresses whose ARP goes unanswered, on-link addresses the stack learns to be at a MAC
 * that drops (a black hole), and off-link addresses behind the gateway (which does not forward). Meanwhile a
 * legitimate kernel client ({@code syn_client.py}) connects every half second, and once more at once after the
 * flood: each connect must take under 1 s and its 4,096 bytes come back echoed.
 *
 * <p>RFC 4987 §3.6: the half-open queue (the listener's backlog) fills with the first spoofed SYNs, and everything
 * after it is answered with SYN cookies that keep no state, so the stack's memory stays bounded: the connection
 * table never holds more than the backlog plus the client's connections, and the JVM heap in use (after a GC) grows
 * by less than {@link #HEAP_GROWTH_BOUND}: the backlog's connections cost about 134 KB each (two 64 KiB buffers),
 * 17 MB for 128, where a stack keeping state for every SYN would need 20,000 of them, 2.7 GB. The client's
 * connections are made from cookies, carrying their options in the cookie's TSval.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SynFloodTapTest
{
    private static final Logger LOG = LoggerFactory.getLogger(SynFloodTapTest.class);
    private static final String PREFIX = "10.99.9";
    private static final String KERNEL_IP = PREFIX + ".1";
    private static final String STACK_IP = PREFIX + ".2";
    private static final int PORT = 8080;
    private static final int BACKLOG = 128;
    private static final int SYNS = 20_000;
    private static final int FLOOD_SECONDS = 5;
    private static final int CLIENT_BYTES = 4096;
    /** Twice and a half what the backlog's half-open connections cost: state per SYN would be 100 times it. */
    private static final long HEAP_GROWTH_BOUND = 48L * 1024 * 1024;

    private NamespacedStack ns;
    // the parts of ns the test uses
    private Netns netns;
    private String tapName;
    private NetStack stack;
    private StackLoop loop;
    private TcpListener listener;
    private Path scripts;

    @BeforeAll
    void setUp() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("/usr/bin/python3", "python3");
        try
        {
            ns = NamespacedStack.start(PREFIX, 4096, c -> c.gateway(Ipv4Address.parse(KERNEL_IP)),
                UnaryOperator.identity());
            netns = ns.netns;
            tapName = ns.tapName;
            stack = ns.stack;
            loop = ns.loop;
            // the kernel side is the stack's gateway but forwards nothing: off-link SYN-ACKs end there
            netns.execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
            listener = loop.call(() -> stack.tcp().listen(PORT, BACKLOG, l ->
            {
                TcpConnection c;
                while ((c = l.accept()) != null)
                {
                    final Echo echo = new Echo();
                    c.handler(echo);
                    echo.pump(c);
                }
            }), Duration.ofSeconds(5));
            scripts = Files.createTempDirectory("tapstack-synflood");
            copyScript("syn_flood.py");
            copyScript("syn_client.py");
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
            TapInteropSupport.deleteScratch(scripts);
        }
    }

    private void copyScript(final String name) throws IOException
    {
        try (InputStream in = SynFloodTapTest.class.getResourceAsStream(name))
        {
            assertTrue(in != null, "test resource " + name);
            Files.copy(in, scripts.resolve(name));
        }
    }

    /** A python script from the test's resources, run inside the namespace, in the background. */
    private Process python(final String script, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns.name, "/usr/bin/python3",
            scripts.resolve(script).toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
            new java.io.File("/dev/null"))).start();
    }

    private static String finish(final Process process, final long seconds) throws Exception
    {
        final boolean done = process.waitFor(seconds, TimeUnit.SECONDS);
        if (!done)
        {
            process.destroyForcibly();
        }
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(done, () -> "did not finish in " + seconds + " s: " + output);
        assertEquals(0, process.exitValue(), () -> "failed: " + output);
        return output;
    }

    private Process client(final int attempts) throws IOException
    {
        return python("syn_client.py", "--host", STACK_IP, "--port", Integer.toString(PORT), "--attempts",
            Integer.toString(attempts), "--interval", "0.5", "--bytes", Integer.toString(CLIENT_BYTES));
    }

    /** Every line of the client's output says the connect took under 1 s and the echo came back whole. */
    private static int assertClientServed(final String output, final String when)
    {
        int attempts = 0;
        for (final String line : output.strip().split("\n"))
        {
            final String[] f = line.strip().split(" ");
            assertEquals("ok", f[0], () -> when + ": " + line + "\n" + output);
            final double connectMs = Double.parseDouble(f[1]);
            assertTrue(connectMs < 1000, () -> when + ": connect took " + connectMs + " ms");
            assertEquals(CLIENT_BYTES, Integer.parseInt(f[2]), () -> when + ": " + line);
            attempts++;
        }
        return attempts;
    }

    private static long heapUsedAfterGc()
    {
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    @Test
    void aLegitimateClientIsServedDuringAndAfterAFloodOfSpoofedSynsAndMemoryStaysBounded() throws Exception
    {
        // the client works before the flood (and the kernel side has resolved the stack)
        assertClientServed(finish(client(1), 10), "before the flood");
        final StackCounters counters = stack.counters();
        final long baselineHeap = heapUsedAfterGc();
        final long cookiesSentBefore = counters.get(Counter.TCP_SYN_COOKIES_SENT);

        final Process flood = python("syn_flood.py", "--interface", tapName, "--stack-mac",
            MacAddress.toString(stack.macAddress()), "--stack-ip", STACK_IP, "--port", Integer.toString(PORT),
            "--count", Integer.toString(SYNS), "--seconds", Integer.toString(FLOOD_SECONDS),
            "--unanswered", "10.99.9.100,50", "--blackhole", "10.99.9.200,50", "--offlink", "198.18.0.0");
        Thread.sleep(300); // the half-open queue fills within the first 100 ms
        final Process during = client(2 * FLOOD_SECONDS - 1);
        int maxConnections = 0;
        int maxHalfOpen = 0;
        long maxHeapSeen = 0;
        while (flood.isAlive())
        {
            final int[] sizes = loop.call(() -> new int[] {stack.tcp().connectionCount(), listener.halfOpen()},
                Duration.ofSeconds(5));
            maxConnections = Math.max(maxConnections, sizes[0]);
            maxHalfOpen = Math.max(maxHalfOpen, sizes[1]);
            maxHeapSeen = Math.max(maxHeapSeen, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            Thread.sleep(100);
        }
        final String floodOutput = finish(flood, 1);
        final String after = finish(client(1), 10); // at once after the flood
        final int servedDuring = assertClientServed(finish(during, 15), "during the flood");
        assertClientServed(after, "right after the flood");
        final long heapGrowth = heapUsedAfterGc() - baselineHeap;

        final long cookiesSent = counters.get(Counter.TCP_SYN_COOKIES_SENT) - cookiesSentBefore;
        final long cookiesValid = counters.get(Counter.TCP_SYN_COOKIES_VALID);
        LOG.info("flood: {}; stack: {} cookies sent, {} valid ({} with options), {} half-open at most, {} connections "
            + "at most, heap +{} KB after GC ({} KB at most seen), ARP queue drops {}, TCP frames in {}",
            floodOutput.strip(), cookiesSent, cookiesValid, counters.get(Counter.TCP_SYN_COOKIES_WITH_OPTIONS),
            maxHalfOpen, maxConnections, heapGrowth / 1024, maxHeapSeen / 1024,
            counters.get(Counter.ARP_QUEUE_FULL_DROPS), counters.get(Counter.TCP_RX));

        assertEquals(2 * FLOOD_SECONDS - 1, servedDuring);
        assertTrue(maxHalfOpen <= BACKLOG, "half-open " + maxHalfOpen);
        assertTrue(maxConnections <= BACKLOG + 2, "connections " + maxConnections + ": the backlog and the client's");
        assertTrue(heapGrowth < HEAP_GROWTH_BOUND, "heap grew by " + heapGrowth / 1024 + " KB");
        final Matcher sent = Pattern.compile("sent (\\d+) frames").matcher(floodOutput);
        assertTrue(sent.find(), floodOutput);
        final int synsSent = Integer.parseInt(sent.group(1));
        assertTrue(synsSent >= SYNS * 9 / 10, "the TAP took only " + synsSent + " SYNs: " + floodOutput);
        // every SYN beyond the backlog's was answered with a cookie (a few may still wait in the TAP's queue)
        assertTrue(cookiesSent >= synsSent * 9 / 10 - BACKLOG, "cookies sent: " + cookiesSent + " for " + synsSent);
        // the half-open queue stayed full all through the flood, so the client's connects there were cookies: all
        // but perhaps the first, which on a loaded machine can come before the flood has filled the queue
        assertTrue(cookiesValid >= servedDuring - 1, "cookies validated: " + cookiesValid);
        assertTrue(counters.get(Counter.TCP_SYN_COOKIES_WITH_OPTIONS) > 0);
        assertEquals(0, counters.get(Counter.STACK_INTERNAL_ERRORS));
        assertTrue(loop.failure() == null, () -> "stack loop failed: " + loop.failure());
    }

    /** Echoes what it reads, and closes after the peer's FIN once all is echoed. */
    private static final class Echo implements TcpHandler
    {
        private final byte[] buffer = new byte[16 * 1024];

        void pump(final TcpConnection c)
        {
            int n;
            while (c.writable() > 0 && (n = c.read(buffer, 0, Math.min(buffer.length, c.writable()))) > 0)
            {
                c.write(buffer, 0, n);
            }
            if (c.isEndOfStream() && c.isOutputOpen())
            {
                c.close();
            }
        }

        @Override
        public void onReadable(final TcpConnection c)
        {
            pump(c);
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            pump(c);
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            pump(c);
        }
    }
}
