package io.tapstack.examples;

import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapInteropSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static io.tapstack.examples.ExampleProcess.STACK_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example commands with {@code --tun}: the stack on a TUN (bare IPv4, no Ethernet, no ARP) in a namespace
 * of the test's own, the kernel side a point-to-point address. ping, TCP and UDP echo with nc, curl from http,
 * and a pcap of LINKTYPE_RAW that tcpdump reads.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TunCommandTest
{
    @BeforeAll
    static void requirements()
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("nc", "netcat-openbsd", "ping", "iputils-ping", "curl", "curl");
    }

    @Test
    void echoOnATunAnswersPingTcpAndUdpWithoutArp() throws Exception
    {
        final Path dir = Files.createTempDirectory("tapstack-tun");
        final Path pcap = dir.resolve("tun.pcap");
        try (ExampleProcess echo = ExampleProcess.startServer(true, "echo", "--pcap", pcap.toString()))
        {
            final Cmd.Result ping = echo.shOk(Duration.ofSeconds(20), "ping -c 3 -i 0.2 -W 2 " + STACK_IP);
            assertTrue(ping.output().contains("3 received"), ping::toString);
            final Cmd.Result tcp = echo.shOk(Duration.ofSeconds(20),
                "head -c 200000 /dev/urandom > " + dir + "/in; nc -N -w 10 " + STACK_IP + " 7 < " + dir
                    + "/in > " + dir + "/out; cmp " + dir + "/in " + dir + "/out && echo TCP-MATCH");
            assertTrue(tcp.output().contains("TCP-MATCH"), tcp::toString);
            final Cmd.Result udp = echo.shOk(Duration.ofSeconds(20),
                "echo udp-over-tun | nc -u -w 1 " + STACK_IP + " 7");
            assertTrue(udp.output().contains("udp-over-tun"), udp::toString);
            final String out = echo.stop();
            assertTrue(Pattern.compile("raw_tx_packets\\s+[1-9]").matcher(out).find(), out);
            assertTrue(Pattern.compile("arp_tx_requests\\s+0\\b").matcher(out).find()
                || !out.contains("arp_tx_requests"), out);
            // the capture is LINKTYPE_RAW: tcpdump reads IP straight away
            final Cmd.Result read = Cmd.run(Duration.ofSeconds(20), "tcpdump", "-n", "-r", pcap.toString(), "icmp");
            assertTrue(read.output().contains("RAW") || read.output().contains("raw"), read::toString);
            assertTrue(read.output().contains(STACK_IP + " > " + ExampleProcess.KERNEL_IP + ": ICMP echo reply"),
                read::toString);
        }
        finally
        {
            EchoCommandTest.deleteTree(dir);
        }
    }

    @Test
    void curlFetchesFromTheHttpServerOnATunInDedicatedMode() throws Exception
    {
        final Path root = Files.createTempDirectory("tapstack-tun-www");
        try (ExampleProcess http = ExampleProcess.startServer(true, "http", "--root", root.toString(),
            "--mode", "dedicated"))
        {
            Files.writeString(root.resolve("hello.txt"), "hello over a tun\n");
            final Cmd.Result result = http.shOk(Duration.ofSeconds(30),
                "curl -sS --fail --max-time 20 http://" + STACK_IP + "/hello.txt");
            assertEquals("hello over a tun", result.output().trim(), result::toString);
        }
        finally
        {
            EchoCommandTest.deleteTree(root);
        }
    }
}
