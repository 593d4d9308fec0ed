package io.tapstack.examples;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command line a user may get wrong, run as the real jar's main in a JVM of its own: exit status 2, exactly
 * one line on stderr naming the option and what it accepts, nothing on stdout, no stack trace. All fail before a
 * TAP opens, so no root and no namespace are needed.
 */
class RejectedCommandLineTest
{
    private static final String STACK = "--tap t0 --ip 10.0.0.2/24";

    static Stream<Arguments> rejected()
    {
        return Stream.of(
            // ping's own options
            line("--count", "ping 10.0.0.1 " + STACK + " --count -1"),
            line("--count", "ping 10.0.0.1 " + STACK + " --count many"),
            line("--size", "ping 10.0.0.1 " + STACK + " --size 0"),
            line("--size", "ping 10.0.0.1 " + STACK + " --size 70000"),
            line("--interval", "ping 10.0.0.1 " + STACK + " --interval -5"),
            line("--timeout", "ping 10.0.0.1 " + STACK + " --timeout 0"),
            line("HOST", "ping 10.0.0.300 " + STACK),
            line("HOST", "ping 192.168.7.1 " + STACK),
            line("HOST", "ping 255.255.255.255 " + STACK),
            line("HOST", "ping " + STACK),
            // --ip
            line("--ip", "echo --tap t0 --ip 24/5"),
            args("--ip", "echo", "--tap", "t0", "--ip", ""),
            line("--ip", "echo --tap t0 --ip 10.0.0.2"),
            line("--ip", "echo --tap t0 --ip 10.0.0.2/0"),
            line("--ip", "echo --tap t0 --ip 10.0.0.2/33"),
            line("--ip", "echo --tap t0 --ip 10.0.0.2/x"),
            line("--ip", "echo --tap t0 --ip 255.255.255.255/24"),
            line("--ip", "echo --tap t0 --ip 10.0.0.0/24"),
            line("--ip", "echo --tap t0 --ip 10.0.0.255/24"),
            line("--ip", "echo --tap t0 --ip 127.0.0.1/8"),
            line("--ip", "echo --tap t0 --ip 224.0.0.1/4"),
            line("--ip", "echo --tap t0 --ip 0.0.0.0/24"),
            line("--ip", "echo --tap t0 --ip"),
            line("--ip", "ping-responder --tap t0"),
            // the other stack options
            line("--mac", "echo " + STACK + " --tun --mac 02:00:00:00:00:01"),
            line("--tun", "echo --udp-tunnel 7001:127.0.0.1:7002 --ip 10.0.0.2/24 --tun"),
            line("--tap", "echo --ip 10.0.0.2/24"),
            args("--tap", "echo", "--tap", "", "--ip", "10.0.0.2/24"),
            line("--tap", "echo --tap a-name-far-too-long --ip 10.0.0.2/24"),
            line("--mtu", "echo " + STACK + " --mtu 0"),
            line("--mtu", "echo " + STACK + " --mtu 67"),
            line("--mtu", "echo " + STACK + " --mtu 65536"),
            line("--mtu", "echo " + STACK + " --mtu big"),
            line("--gateway", "echo " + STACK + " --gateway 10.0.1.1"),
            line("--gateway", "echo " + STACK + " --gateway 10.0.0.2"),
            line("--gateway", "echo " + STACK + " --gateway router"),
            line("--mac", "echo " + STACK + " --mac zz:00:00:00:00:01"),
            line("--mac", "echo " + STACK + " --mac 01:00:5e:00:00:01"),
            line("--mac", "echo " + STACK + " --mac 00:00:00:00:00:00"),
            line("--mode", "echo " + STACK + " --mode turbo"),
            line("--loss", "echo " + STACK + " --loss 150%"),
            line("--loss", "echo " + STACK + " --loss NaN"),
            line("--duplicate", "echo " + STACK + " --duplicate -1%"),
            line("--delay", "echo " + STACK + " --delay -1"),
            line("--jitter", "echo " + STACK + " --jitter soon"),
            line("--loss", "echo " + STACK + " --loss up:2%"),
            line("--loss", "echo " + STACK + " --loss 2% --loss in:1%"),
            line("--corrupt", "echo " + STACK + " --corrupt 2"),
            line("--gemodel", "echo " + STACK + " --gemodel 1%,2%,3%,4%,5%"),
            line("--rate", "echo " + STACK + " --rate 10"),
            line("--rate", "echo " + STACK + " --rate out:10mbit,burst=1000"),
            line("--rate", "echo " + STACK + " --rate 10mbit,latency=soon"),
            line("--seed", "echo " + STACK + " --seed x"),
            line("--pcap", "echo " + STACK + " --pcap /nonexistent-dir/x.pcap"),
            // capture and trace: a filter libpcap refuses is named with libpcap's own words
            args("--pcap-filter: can't parse filter expression: syntax error", "echo", "--tap", "t0", "--ip",
                "10.0.0.2/24", "--pcap", "/tmp/x.pcap", "--pcap-filter", "tcp prot 80"),
            args("--pcap-filter", "echo", "--tap", "t0", "--ip", "10.0.0.2/24", "--trace", "log", "--pcap-filter",
                "port 99999"),
            args("--pcap-filter", "echo", "--tap", "t0", "--ip", "10.0.0.2/24", "--pcap-filter", "icmp"),
            line("--pcap-point", "echo " + STACK + " --pcap /tmp/x.pcap --pcap-point kernel"),
            line("--pcap-point", "echo " + STACK + " --pcap - --pcap-point both"),
            line("--pcap-point", "echo " + STACK + " --pcap-point wire"),
            line("--pcap-max-bytes", "echo " + STACK + " --pcap /tmp/x.pcap --pcap-max-bytes 100"),
            line("--pcap-max-bytes", "echo " + STACK + " --pcap /tmp/x.pcap --pcap-max-bytes 10X"),
            line("--pcap-max-bytes", "echo " + STACK + " --pcap - --pcap-max-bytes 10M"),
            line("--pcap-files", "echo " + STACK + " --pcap /tmp/x.pcap --pcap-files 3"),
            line("--pcap-files", "echo " + STACK + " --pcap /tmp/x.pcap --pcap-max-bytes 1M --pcap-files 0"),
            line("--trace", "echo " + STACK + " --trace /nonexistent-dir/t.txt"),
            line("--trace", "echo " + STACK + " --trace - --pcap -"),
            line("--bogus", "echo " + STACK + " --bogus"),
            line("stray", "echo " + STACK + " stray"),
            // the servers' options
            line("--port", "echo " + STACK + " --port 0"),
            line("--port", "discard " + STACK + " --port 70000"),
            line("--max-clients", "chargen " + STACK + " --max-clients 0"),
            line("--root", "http " + STACK + " --root /nonexistent-dir"),
            line("--keep-alive-timeout", "http " + STACK + " --keep-alive-timeout 0"),
            line("--max-header-bytes", "http " + STACK + " --max-header-bytes 10"),
            // the services' options
            line("--http-port", "services " + STACK + " --http-port 70000"),
            line("--echo-port", "services " + STACK + " --echo-port -7"),
            line("--http-port", "services " + STACK + " --http-port 7"),
            line("--chargen-port", "services " + STACK + " --discard-port 19"),
            line("--echo-port", "services " + STACK + " --echo-port 0 --discard-port 0 --chargen-port 0 --http-port 0"),
            line("--max-connections", "services " + STACK + " --max-connections 0"),
            line("--buffer-bytes", "services " + STACK + " --buffer-bytes 100"),
            line("--callback-threads", "services " + STACK + " --callback-threads 1000"),
            line("--keep-alive-timeout", "services " + STACK + " --keep-alive-timeout 0"),
            // the command itself
            args("COMMAND"),
            line("unknown command", "pong " + STACK));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("rejected")
    void aMistakeIsOneLineNamingTheOptionAndExitStatus2(final String names, final String commandLine,
        final String[] args) throws Exception
    {
        final Run run = run(args);
        final String all = run.stdout + run.stderr;
        assertEquals(2, run.status, all);
        final String[] lines = run.stderr.split("\n", -1);
        assertEquals(2, lines.length, () -> "one line on stderr:\n" + run.stderr); // the line and its newline
        assertTrue(lines[0].contains(names), () -> "names " + names + ": " + lines[0]);
        assertEquals("", run.stdout, "nothing on stdout, no help");
        assertFalse(all.contains("Exception") || all.contains("at io.") || all.contains("at java."), all);
    }

    private static Arguments line(final String names, final String commandLine)
    {
        return Arguments.of(names, commandLine, commandLine.split(" "));
    }

    private static Arguments args(final String names, final String... args)
    {
        return Arguments.of(names, Arrays.toString(args), args);
    }

    record Run(int status, String stdout, String stderr)
    {
    }

    /** The jar's main with {@code args} in a JVM of its own. */
    static Run run(final String... args) throws IOException, InterruptedException
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xshare:auto");
        cmd.add("-cp");
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        final Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File(
            "/dev/null"))).start();
        final var err = p.getErrorStream();
        final var errText = new java.util.concurrent.CompletableFuture<String>();
        new Thread(() ->
        {
            try
            {
                errText.complete(new String(err.readAllBytes(), StandardCharsets.UTF_8));
            }
            catch (final IOException ex)
            {
                errText.completeExceptionally(ex);
            }
        }).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            throw new AssertionError("still running after 30 s: " + String.join(" ", args) + "\n" + out);
        }
        return new Run(p.exitValue(), out, errText.join());
    }
}
