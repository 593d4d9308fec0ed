package io.tapstack.examples;

import io.tapstack.tap.TapInteropSupport;
import io.tapstack.tap.Cmd;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static io.tapstack.examples.ExampleProcess.KERNEL_IP;
import static io.tapstack.examples.ExampleProcess.STACK_IP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code discard}, {@code chargen} and {@code ping} commands over a real TAP, each test in a namespace of its
 * own, against netcat and the kernel's ICMP.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ThroughputCommandsTest
{
    private static final int MB = 1024 * 1024;

    @BeforeAll
    static void requirements()
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("nc", "netcat-openbsd", "ping", "iputils-ping");
    }

    @Test
    void discardTakesTenMegabytesAndLogsTheRate() throws Exception
    {
        try (ExampleProcess discard = ExampleProcess.startServer("discard"))
        {
            discard.shOk(Duration.ofSeconds(60), "head -c 10M /dev/urandom | nc -N -w 30 " + STACK_IP + " 9");
            // the log line comes when the server has read to the end
            discard.awaitOutput(KERNEL_IP, Duration.ofSeconds(10));
            discard.awaitOutput("sent " + 10 * MB + " bytes in", Duration.ofSeconds(10));
            final String out = discard.stop();
            assertTrue(Pattern.compile("sent 10485760 bytes in [\\d.]+ s \\([\\d.]+ [kMG]bit/s\\)").matcher(out).find(),
                out);
            // offloads are on by default: the kernel's GSO super-frames came in whole, their checksums partial
            assertTrue(Pattern.compile("tap_rx_super_frames +[1-9]").matcher(out).find(), out);
            assertTrue(Pattern.compile("tcp_rx_checksum_partial +[1-9]").matcher(out).find(), out);
        }
    }

    @Test
    void chargenSendsTheRfc864PatternUntilThePeerCloses() throws Exception
    {
        final Path received = Files.createTempFile("tapstack-chargen", ".bin");
        try (ExampleProcess chargen = ExampleProcess.startServer("chargen"))
        {
            final Cmd.Result count = chargen.shOk(Duration.ofSeconds(30),
                "nc -d -w 20 " + STACK_IP + " 19 | head -c 1M | wc -c");
            assertEquals(String.valueOf(MB), count.output().trim(), count::toString);
            chargen.shOk(Duration.ofSeconds(30), "nc -d -w 20 " + STACK_IP + " 19 | head -c 100000 > " + received);
            assertArrayEquals(Chargen.pattern(100_000), Files.readAllBytes(received), "not the RFC 864 pattern");
            // the peer's close ends the stream: the server logs each one and serves the next
            chargen.awaitOutput("sent " + KERNEL_IP, Duration.ofSeconds(10));
            final String out = chargen.stop();
            assertTrue(out.contains("chargen: 2 TCP connections on port 19"), out);
            // and the stack's segments went out glued into super-frames the kernel cut
            assertTrue(Pattern.compile("tap_tx_super_frames +[1-9]").matcher(out).find(), out);
        }
        finally
        {
            Files.deleteIfExists(received);
        }
    }

    @Test
    void pingFromTheStackGetsTheKernelsReplies() throws Exception
    {
        try (ExampleProcess namespace = ExampleProcess.prepare())
        {
            final Cmd.Result ping = namespace.runToEnd(Duration.ofSeconds(30), "ping", KERNEL_IP, "--count", "3",
                "--interval", "200");
            assertTrue(ping.ok(), ping::toString);
            assertTrue(Pattern.compile("64 bytes from " + Pattern.quote(KERNEL_IP) + ": icmp_seq=1 time=[\\d.]+ ms")
                .matcher(ping.output()).find(), ping::toString);
            assertTrue(ping.output().contains("3 packets transmitted, 3 received, 0% packet loss"), ping::toString);
            assertTrue(ping.output().contains("rtt min/avg/max/mdev = "), ping::toString);

            // nobody at .9: no reply, exit status 1, as ping(8)
            final Cmd.Result silent = namespace.runToEnd(Duration.ofSeconds(30), "ping", "10.99.7.9", "--count", "2",
                "--interval", "100", "--timeout", "300");
            assertEquals(1, silent.exitCode(), silent::toString);
            assertTrue(silent.output().contains("2 packets transmitted, 0 received, 100% packet loss"),
                silent::toString);
        }
    }
}
