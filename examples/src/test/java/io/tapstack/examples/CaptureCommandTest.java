package io.tapstack.examples;

import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapInteropSupport;
import io.tapstack.testkit.Tcpdump;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.examples.ExampleProcess.STACK_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Captures and traces of a stack on a real TAP, each test in a namespace of its own, read back with tcpdump: the pcap
 * streamed to stdout (and nothing else there) with a filter, the trace against tcpdump's lines for the same frames,
 * the two capture points around the impairments, and a rotating ring of files.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CaptureCommandTest
{
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{6}) (?:(In|Out) )?(.*)$");

    @TempDir
    Path dir;

    @BeforeAll
    static void requirements()
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("ping", "iputils-ping");
        Tcpdump.require();
    }

    /** ping-responder with {@code extra} options, stdout and stderr in files of their own. */
    private final class Responder implements AutoCloseable
    {
        final ExampleProcess namespace;
        final Path stdout = dir.resolve("stdout");
        final Path stderr = dir.resolve("stderr");
        final Process process;

        Responder(final String... extra) throws Exception
        {
            namespace = ExampleProcess.prepare();
            final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace.netns.name));
            cmd.addAll(ExampleProcess.javaCommand("ping-responder", extra));
            process = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).directory(dir.toFile()).start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!stderr().contains("answering ARP and ping"))
            {
                if (!process.isAlive() || System.nanoTime() > deadline)
                {
                    throw new AssertionError("ping-responder did not start:\n" + stderr());
                }
                Thread.sleep(50);
            }
        }

        String stderr()
        {
            try
            {
                return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        }

        Cmd.Result ping(final String... args)
        {
            final List<String> cmd = new ArrayList<>(List.of("ping", "-q"));
            cmd.addAll(List.of(args));
            cmd.add(STACK_IP);
            return namespace.netns.exec(PING_TIMEOUT, cmd.toArray(new String[0]));
        }

        /** SIGTERM, as Ctrl-C: the stack closes its captures and prints its counters. */
        void stop() throws Exception
        {
            process.destroy();
            assertTrue(process.waitFor(15, TimeUnit.SECONDS), "stopped on SIGTERM");
        }

        @Override
        public void close() throws Exception
        {
            if (process.isAlive())
            {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            namespace.close();
        }
    }

    @Test
    void pcapToStdoutCarriesTheFilteredCaptureAloneAndTheTraceReadsAsTcpdump() throws Exception
    {
        final Path trace = dir.resolve("trace.txt");
        try (Responder r = new Responder("--pcap", "-", "--pcap-filter", "icmp", "--trace", trace.toString()))
        {
            assertTrue(r.ping("-c", "3", "-i", "0.2").ok());
            r.stop();
            final byte[] stream = Files.readAllBytes(r.stdout);
            assertEquals(0xA1B2_3C4D, ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN).getInt(0),
                "stdout starts with a pcap header");
            final List<String> tcpdump = Tcpdump.read(r.stdout, "-n");
            assertEquals(6, tcpdump.size(), () -> "three requests, three replies, nothing else:\n" + tcpdump);
            assertTrue(tcpdump.stream().allMatch(l -> l.contains(": ICMP echo ")), tcpdump::toString);
            final String stderr = r.stderr();
            assertTrue(stderr.contains("counters of " + STACK_IP), () -> "the counters went to stderr:\n" + stderr);
            assertTrue(stderr.contains("capture: 6 frames to stdout"), stderr);

            // the same frames, the same words and times (local time of day), less the direction
            final List<String> lines = Files.readAllLines(trace);
            assertEquals(tcpdump.size(), lines.size(), lines::toString);
            for (int i = 0; i < lines.size(); i++)
            {
                final Matcher ours = TIME.matcher(lines.get(i));
                final Matcher theirs = TIME.matcher(tcpdump.get(i));
                assertTrue(ours.matches() && theirs.matches(), lines.get(i) + " / " + tcpdump.get(i));
                assertEquals(theirs.group(1) + " " + theirs.group(3), ours.group(1) + " " + ours.group(3));
                assertEquals(ours.group(3).contains("request") ? "In" : "Out", ours.group(2));
            }
        }
    }

    @Test
    void bothCapturePointsShowWhatTheStackSentAndWhatTheWireCarried() throws Exception
    {
        final Path cap = dir.resolve("cap.pcap");
        try (Responder r = new Responder("--pcap", cap.toString(), "--pcap-point", "both", "--pcap-filter", "icmp",
            "--loss", "30%", "--seed", "5"))
        {
            final Cmd.Result ping = r.ping("-c", "20", "-i", "0.05", "-W", "1");
            r.stop();
            final Matcher m = Pattern.compile("(\\d+) received").matcher(ping.output());
            assertTrue(m.find(), ping::toString);
            final int received = Integer.parseInt(m.group(1));
            final Path stackFile = dir.resolve("cap.stack.pcap");
            final Path wireFile = dir.resolve("cap.wire.pcap");
            final long wireRequests = count(wireFile, "echo request");
            final long wireReplies = count(wireFile, "echo reply");
            final long stackRequests = count(stackFile, "echo request");
            final long stackReplies = count(stackFile, "echo reply");
            assertEquals(20, wireRequests, "the wire carried every request the kernel sent");
            assertEquals(stackRequests, stackReplies, "the stack answered every request that reached it");
            assertEquals(received, wireReplies, "the replies the wire carried are those ping got");
            assertTrue(stackRequests < wireRequests || wireReplies < stackReplies,
                "30% loss each way lost something between the two points");
            assertEquals(20 - received, (wireRequests - stackRequests) + (stackReplies - wireReplies),
                "every lost ping was lost between the two points");
        }
    }

    @Test
    void aSizeCappedCaptureRotatesAmongItsFilesLikeTcpdumpCW() throws Exception
    {
        final Path cap = dir.resolve("ring.pcap");
        try (Responder r = new Responder("--pcap", cap.toString(), "--pcap-max-bytes", "3k", "--pcap-files", "3",
            "--pcap-filter", "icmp"))
        {
            // 1,042-byte frames: two fit a 3,000-byte file, so 30 pings turn the ring of 3 many times
            assertTrue(r.ping("-c", "30", "-i", "0.02", "-s", "1000").ok());
            r.stop();
            for (int i = 0; i < 3; i++)
            {
                final Path file = dir.resolve("ring." + i + ".pcap");
                assertTrue(Files.size(file) <= 3000, file + " is " + Files.size(file) + " bytes");
                assertTrue(Tcpdump.read(file, "-n").size() <= 2);
            }
            assertTrue(Files.notExists(dir.resolve("ring.pcap")) && Files.notExists(dir.resolve("ring.3.pcap")));
            final List<String> last = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                last.addAll(Tcpdump.read(dir.resolve("ring." + i + ".pcap"), "-n"));
            }
            assertTrue(last.stream().anyMatch(l -> l.contains("echo reply") && l.contains("seq 30,")),
                () -> "the newest frames are kept:\n" + last);
            assertTrue(r.stderr().contains("rotating among 3 files"), r::stderr);
        }
    }

    private static long count(final Path pcap, final String what) throws Exception
    {
        return Tcpdump.read(pcap, "-n").stream().filter(l -> l.contains(what)).count();
    }
}
