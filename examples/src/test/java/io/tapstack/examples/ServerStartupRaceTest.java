package io.tapstack.examples;

import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapInteropSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.tapstack.examples.ExampleProcess.KERNEL_IP;
import static io.tapstack.examples.ExampleProcess.STACK_IP;
import static io.tapstack.examples.ExampleProcess.TAP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server command's TAP appearing means it is ready: the clients wait only for the TAP (made by the command) to
 * be up and for the kernel side's address, then connect at once, several at a time, and are never refused (the
 * command holds received frames until its TCP and UDP listeners exist). Each start is a namespace of its own;
 * the starts alternate shared and dedicated mode.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ServerStartupRaceTest
{
    private static final int STARTS = 4;
    private static final int CLIENTS = 8;
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Waits for the TAP the command creates (up: the kernel routes to it only then, and TapDevice brings it up
     * right after creating it), gives the kernel side its address, and nothing more.
     */
    private static final String AWAIT_TAP = "until ip link show dev " + TAP + " up 2>/dev/null | grep -q " + TAP
        + "; do sleep 0.002; done\n"
        + "ip addr add " + KERNEL_IP + "/24 dev " + TAP + "\n";

    @BeforeAll
    static void requirements()
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("nc", "netcat-openbsd", "curl", "curl");
    }

    @Test
    void httpAnswersTheFirstConnectionsRightAfterItsTapAppears() throws Exception
    {
        for (int start = 1; start <= STARTS; start++)
        {
            try (ExampleProcess http = ExampleProcess.launchWithoutTap("http", "--mode", mode(start)))
            {
                final String script = AWAIT_TAP
                    + "for i in $(seq 1 " + CLIENTS + "); do\n"
                    + "  ( code=$(curl -s -o /dev/null --max-time 20 -w '%{http_code}' http://" + STACK_IP + "/)\n"
                    + "    echo \"client $i: $code exit $?\" ) &\n"
                    + "done\n"
                    + "wait\n";
                final Cmd.Result result = http.netns.exec(SCRIPT_TIMEOUT, "sh", "-c", script);
                final String out = result.output();
                assertEquals(CLIENTS, count(out, ": 200 exit 0"),
                    "start " + start + ": every client gets its page\n" + out + "\n--- server ---\n" + http.output());
                final String server = http.stop();
                assertTrue(!server.contains("tcp_to_closed_port"), () -> "no SYN met a missing listener:\n" + server);
            }
        }
    }

    @Test
    void echoAnswersTcpAndUdpRightAfterItsTapAppears() throws Exception
    {
        for (int start = 1; start <= STARTS; start++)
        {
            try (ExampleProcess echo = ExampleProcess.launchWithoutTap("echo", "--mode", mode(start)))
            {
                final String script = AWAIT_TAP
                    + "for i in $(seq 1 " + CLIENTS + "); do\n"
                    + "  ( r=$(echo tcp-$i | nc -N -w 10 " + STACK_IP + " 7); echo \"tcp $r exit $?\" ) &\n"
                    + "  ( r=$(echo udp-$i | nc -u -w 2 " + STACK_IP + " 7); echo \"udp $r exit $?\" ) &\n"
                    + "done\n"
                    + "wait\n";
                final Cmd.Result result = echo.netns.exec(SCRIPT_TIMEOUT, "sh", "-c", script);
                final String out = result.output();
                final String server = echo.stop();
                final int n = start;
                assertTrue(!server.contains("tcp_to_closed_port") && !server.contains("udp_to_closed_port"),
                    () -> "start " + n + ": nothing met a missing listener:\n" + server);
                for (int i = 1; i <= CLIENTS; i++)
                {
                    assertTrue(out.contains("tcp tcp-" + i + " exit 0"),
                        "start " + start + ": TCP client " + i + " echoed\n" + out + "\n--- server ---\n" + server);
                    assertTrue(out.contains("udp udp-" + i + " exit 0"),
                        "start " + start + ": UDP client " + i + " echoed\n" + out + "\n--- server ---\n" + server);
                }
            }
        }
    }

    /** Both ways of reading the TAP: in shared mode the stack thread reads it, in dedicated mode a reader thread. */
    private static String mode(final int start)
    {
        return start % 2 == 0 ? "dedicated" : "shared";
    }

    private static int count(final String text, final String part)
    {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1))
        {
            n++;
        }
        return n;
    }
}
