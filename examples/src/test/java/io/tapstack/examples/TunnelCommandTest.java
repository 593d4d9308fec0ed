package io.tapstack.examples;

import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapInteropSupport;
import io.tapstack.tap.TapInteropSupport.Netns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The UDP tunnel from the command line. Without root: a mistake in --udp-tunnel is a usage error. As root, in a
 * namespace the test creates: a kernel on a TAP, the {@code tunnel} command relaying that TAP over the
 * namespace's 127.0.0.1 to the {@code http} command run with {@code --udp-tunnel} (no TAP of its own); the
 * kernel pings the stack and fetches a page with curl.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TunnelCommandTest
{
    private static final String KERNEL_IP = "10.99.8.1";
    private static final String STACK_IP = "10.99.8.2";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    @Test
    void aMistakeInTheTunnelOptionsIsAUsageError()
    {
        assertEquals(2, Main.run(new String[] {"echo", "--ip", "10.0.0.2/24", "--udp-tunnel", "7001:127.0.0.1"}));
        assertEquals(2, Main.run(new String[] {"echo", "--ip", "10.0.0.2/24", "--udp-tunnel", "7001:127.0.0.1:0"}));
        assertEquals(2, Main.run(new String[] {"echo", "--ip", "10.0.0.2/24", "--tap", "tap0", "--udp-tunnel",
            "7001:127.0.0.1:7002"}));
        assertEquals(2, Main.run(new String[] {"echo", "--ip", "10.0.0.2/24", "--mode", "dedicated", "--udp-tunnel",
            "7001:127.0.0.1:7002"}));
        assertEquals(2, Main.run(new String[] {"echo", "--ip", "10.0.0.2/24"}), "neither --tap nor --udp-tunnel");
        assertEquals(2, Main.run(new String[] {"tunnel", "--tap", "tap0"}), "tunnel without --udp-tunnel");
        assertEquals(2, Main.run(new String[] {"tunnel", "--udp-tunnel", "7001:127.0.0.1:7002"}), "without --tap");
    }

    @Test
    void aKernelOnATapReachesAStackThroughTheTunnel() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("ping", "iputils-ping", "curl", "curl");
        final Path site = Files.createTempDirectory("tapstack-tunnel-site");
        Files.writeString(site.resolve("index.html"), "over the tunnel\n");
        try (Netns netns = Netns.create())
        {
            netns.execOk("ip", "link", "set", "lo", "up");
            netns.execOk("ip", "tuntap", "add", "dev", "tap0", "mode", "tap");
            netns.execOk("ip", "addr", "add", KERNEL_IP + "/24", "dev", "tap0");
            netns.execOk("ip", "link", "set", "tap0", "up");
            try (Launched tunnel = Launched.start(netns, "tunnel", "--tap", "tap0", "--udp-tunnel",
                    "7001:127.0.0.1:7002");
                Launched http = Launched.start(netns, "http", "--udp-tunnel", "7002:127.0.0.1:7001", "--ip",
                    STACK_IP + "/24", "--root", site.toString()))
            {
                tunnel.awaitOutput("relaying frames");
                http.awaitOutput("listening on");
                final Cmd.Result ping = netns.exec(Duration.ofSeconds(15), "ping", "-c", "3", "-W", "5", STACK_IP);
                assertTrue(ping.ok(), () -> ping + "\n" + tunnel.output() + http.output());
                final Cmd.Result page = netns.exec(Duration.ofSeconds(15), "curl", "-sS", "--max-time", "10",
                    "http://" + STACK_IP + "/index.html");
                assertTrue(page.ok() && page.output().contains("over the tunnel"),
                    () -> page + "\n" + tunnel.output() + http.output());
                final String tunnelOut = tunnel.stop();
                assertTrue(tunnelOut.contains("0 malformed in, 0 from foreign senders"), tunnelOut);
                final String httpOut = http.stop();
                assertTrue(httpOut.contains("counters of " + STACK_IP), httpOut);
            }
        }
        finally
        {
            Files.deleteIfExists(site.resolve("index.html"));
            Files.deleteIfExists(site);
        }
    }

    /** An example command as its own JVM in the namespace; closing stops it with SIGTERM. */
    private static final class Launched implements AutoCloseable
    {
        private final Process process;
        private final Path output;
        private String finalOutput;

        private Launched(final Process process, final Path output)
        {
            this.process = process;
            this.output = output;
        }

        static Launched start(final Netns netns, final String command, final String... args) throws Exception
        {
            final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns.name,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Main.class.getName(), command));
            cmd.addAll(List.of(args));
            final Path out = Files.createTempFile("tapstack-tunnel", ".out");
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            return new Launched(p, out);
        }

        String output()
        {
            try
            {
                return finalOutput != null ? finalOutput : Files.readString(output, StandardCharsets.UTF_8);
            }
            catch (final java.io.IOException ex)
            {
                return "[output unreadable: " + ex + "]";
            }
        }

        void awaitOutput(final String text) throws Exception
        {
            final long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline)
            {
                if (output().contains(text))
                {
                    return;
                }
                if (!process.isAlive())
                {
                    throw new AssertionError("exited (" + process.exitValue() + ") before '" + text + "':\n"
                        + output());
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no '" + text + "' within " + START_TIMEOUT + ":\n" + output());
        }

        String stop() throws Exception
        {
            if (finalOutput == null)
            {
                process.destroy();
                if (!process.waitFor(15, TimeUnit.SECONDS))
                {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
                finalOutput = output();
            }
            return finalOutput;
        }

        @Override
        public void close() throws Exception
        {
            try
            {
                stop();
            }
            finally
            {
                Files.deleteIfExists(output);
            }
        }
    }
}
