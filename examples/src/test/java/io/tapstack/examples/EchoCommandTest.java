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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.examples.ExampleProcess.STACK_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code echo} command over a real TAP, each test in a namespace of its own: 50 netcat clients at once over
 * TCP and over UDP, and ICMP port unreachable for a UDP datagram to a closed port.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EchoCommandTest
{
    private static final int CLIENTS = 50;
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);

    @BeforeAll
    static void requirements()
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("nc", "netcat-openbsd", "ping", "iputils-ping");
    }

    @Test
    void echoesFiftyConcurrentTcpClientsEachItsOwnBytes() throws Exception
    {
        final Path dir = Files.createTempDirectory("tapstack-echo");
        try (ExampleProcess echo = ExampleProcess.startServer("echo"))
        {
            // each client sends 64 KiB of its own, then holds its side open a second: all 50 overlap
            final String script = "set -e; cd " + dir + "\n"
                + "for i in $(seq 1 " + CLIENTS + "); do head -c 65536 /dev/urandom > in.$i; done\n"
                + "for i in $(seq 1 " + CLIENTS + "); do\n"
                + "  ( { cat in.$i; sleep 1; } | nc -N -w 20 " + STACK_IP + " 7 > out.$i ) &\n"
                + "done\n"
                + "wait\n"
                + "for i in $(seq 1 " + CLIENTS + "); do\n"
                + "  cmp -s in.$i out.$i || { echo \"client $i: reply of $(wc -c < out.$i) bytes differs\"; exit 1; }\n"
                + "done\n"
                + "echo ALL-MATCH\n";
            final Cmd.Result result = echo.shOk(SCRIPT_TIMEOUT, script);
            assertTrue(result.output().contains("ALL-MATCH"), result::toString);
            final String out = echo.stop();
            final Matcher m = Pattern.compile("echo: (\\d+) TCP connections on port 7 \\(at most (\\d+) at once\\)")
                .matcher(out);
            assertTrue(m.find(), () -> "no TCP summary in:\n" + out);
            assertEquals(CLIENTS, Integer.parseInt(m.group(1)), out);
            assertEquals(CLIENTS, Integer.parseInt(m.group(2)), () -> "the clients did not overlap:\n" + out);
            assertTrue(out.contains("counters of " + STACK_IP), () -> "no counters at SIGTERM:\n" + out);
        }
        finally
        {
            deleteTree(dir);
        }
    }

    @Test
    void echoesFiftyConcurrentUdpClientsEachItsOwnDatagram() throws Exception
    {
        final Path dir = Files.createTempDirectory("tapstack-echo-udp");
        try (ExampleProcess echo = ExampleProcess.startServer("echo", "--mode", "dedicated"))
        {
            final String script = "set -e; cd " + dir + "\n"
                + "for i in $(seq 1 " + CLIENTS + "); do\n"
                + "  echo \"client $i $(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n')\" > in.$i\n"
                + "done\n"
                + "for i in $(seq 1 " + CLIENTS + "); do\n"
                + "  ( nc -u -w 2 " + STACK_IP + " 7 < in.$i > out.$i ) &\n"
                + "done\n"
                + "wait\n"
                + "for i in $(seq 1 " + CLIENTS + "); do\n"
                + "  cmp -s in.$i out.$i || { echo \"client $i: got '$(cat out.$i)' for '$(cat in.$i)'\"; exit 1; }\n"
                + "done\n"
                + "echo ALL-MATCH\n";
            final Cmd.Result result = echo.shOk(SCRIPT_TIMEOUT, script);
            assertTrue(result.output().contains("ALL-MATCH"), result::toString);
            final String out = echo.stop();
            assertTrue(out.contains("echo: " + CLIENTS + " UDP datagrams"), () -> "UDP summary:\n" + out);
        }
        finally
        {
            deleteTree(dir);
        }
    }

    @Test
    void udpToAClosedPortIsRefusedWithIcmpPortUnreachable() throws Exception
    {
        TapInteropSupport.assumeTools("/usr/bin/python3", "python3");
        try (ExampleProcess echo = ExampleProcess.startServer("echo"))
        {
            // a connected UDP socket turns the ICMP port unreachable into ECONNREFUSED on its next receive
            final String python = "import socket\n"
                + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                + "s.connect(('" + STACK_IP + "', 4444))\n"
                + "s.settimeout(3)\n"
                + "for attempt in range(3):\n"
                + "    s.send(b'x')\n"
                + "    try:\n"
                + "        s.recv(100)\n"
                + "        print('REPLY')\n"
                + "        break\n"
                + "    except ConnectionRefusedError:\n"
                + "        print('REFUSED')\n"
                + "        break\n"
                + "    except socket.timeout:\n"
                + "        print('TIMEOUT')\n";
            // nc -u sees it too: the kernel turns the stack's port unreachable into ECONNREFUSED on nc's connected
            // socket; with -v, nc checks the port first and exits 1 on it (without -v it just ends, exit 0) ...
            final String twoDatagrams = "(echo x; sleep 0.5; echo y; sleep 0.5) | nc -u -v -w 1 " + STACK_IP + " ";
            final Cmd.Result refused = echo.netns.exec(Duration.ofSeconds(20), "sh", "-c", twoDatagrams + "4444");
            assertEquals(1, refused.exitCode(), refused::toString);
            // ... where the open port answers and nc exits 0
            final Cmd.Result open7 = echo.netns.exec(Duration.ofSeconds(20), "sh", "-c", twoDatagrams + "7");
            assertEquals(0, open7.exitCode(), open7::toString);
            assertTrue(open7.output().contains("succeeded") && open7.output().contains("y"), open7::toString);
            final Cmd.Result result = echo.netns.exec(Duration.ofSeconds(20), "/usr/bin/python3", "-c", python);
            assertTrue(result.ok(), result::toString);
            assertTrue(result.output().contains("REFUSED"), result::toString);
            // and the open port still answers
            final Cmd.Result open = echo.shOk(Duration.ofSeconds(10),
                "echo still-here | nc -u -w 1 " + STACK_IP + " 7");
            assertTrue(open.output().contains("still-here"), open::toString);
            final String out = echo.stop();
            assertTrue(Pattern.compile("udp_to_closed_port\\s+[1-9]").matcher(out).find(), out);
            assertTrue(Pattern.compile("icmp_errors_tx\\s+[1-9]").matcher(out).find(), out);
        }
    }

    static void deleteTree(final Path dir) throws Exception
    {
        if (dir == null || !Files.exists(dir))
        {
            return;
        }
        try (var paths = Files.walk(dir))
        {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
