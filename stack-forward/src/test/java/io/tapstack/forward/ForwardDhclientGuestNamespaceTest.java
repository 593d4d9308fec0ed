package io.tapstack.forward;

import com.fasterxml.jackson.jr.ob.JSON;
import io.tapstack.forward.control.PortForward;
import io.tapstack.forward.control.PortForwardStatus;
import io.tapstack.forward.dhcp.DhcpConfig;
import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapInteropSupport;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A guest namespace the test creates, configured by ISC {@code dhclient} from the forwarder's DHCP server (its own
 * lease, pid and configuration files in the test's scratch directory, and a script of the test's own that configures
 * the guest's interface and writes the DNS servers to a scratch file: nothing on the host changes). Then load through
 * the engine: {@code iperf3} both ways between the guest and an {@code iperf3 -s} on the host's 127.0.0.1 through the
 * loopback mapping, and 1,000 concurrent host connections through an inbound TCP port forward to an echo server in
 * the guest. The allow list holds 127.0.0.0/8 only. Root only; each test skips, naming the package, when its tool is
 * missing (without dhclient the guest is configured by hand, and only the dhclient test skips).
 */
class ForwardDhclientGuestNamespaceTest
{
    private static final String GUEST_IP = "10.0.2.15";
    private static final int GUEST_ECHO_PORT = 7007;
    private static final int CONNECTIONS = 1000;
    /** One thread, a selector: echoes every connection's bytes, closes after the peer's FIN. Prints "ready". */
    private static final String GUEST_ECHO = """
        import resource, selectors, socket
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
        sel = selectors.DefaultSelector()
        srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(('0.0.0.0', %d)); srv.listen(2048); srv.setblocking(False)
        sel.register(srv, selectors.EVENT_READ)
        print('ready', flush=True)
        while True:
            for key, _ in sel.select():
                s = key.fileobj
                if s is srv:
                    try:
                        c, _ = srv.accept()
                    except BlockingIOError:
                        continue
                    c.setblocking(True); c.settimeout(5)
                    sel.register(c, selectors.EVENT_READ)
                    continue
                try:
                    d = s.recv(65536)
                except OSError:
                    d = b''
                if d:
                    s.sendall(d)
                else:
                    sel.unregister(s); s.close()
        """.formatted(GUEST_ECHO_PORT);

    private static Path scratch;
    private static GuestNamespace guest;
    private static String tapName;
    private static Forwarder forwarder;
    private static boolean configuredByDhclient;
    private static String dhclientPid;

    @BeforeAll
    static void start() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        scratch = Files.createTempDirectory("tapstack-fwd-dhclient");
        guest = GuestNamespace.create("fwc", 1500);
        tapName = guest.interfaceName;
        final TapDevice tap = guest.takeTap();
        configuredByDhclient = Cmd.onPath("dhclient");
        forwarder = Forwarder.builder().tapDevice(tap).gateway("10.0.2.2/24")
            .configure(c ->
            {
                c.hostLoopbackAddress("10.0.2.2").allow().add("127.0.0.0/8");
                if (!configuredByDhclient)
                {
                    c.guestAddress(GUEST_IP); // inbound forwards need the guest's address; no lease will name it
                }
            })
            .dhcp(new DhcpConfig().pool(GUEST_IP, "10.0.2.30").leaseTimeSeconds(600))
            .start();
        if (configuredByDhclient)
        {
            runDhclient();
        }
        else
        {
            guest.staticAddress(GUEST_IP, "10.0.2.2");
        }
    }

    /** dhclient once (-1), with the test's own files; after a lease it goes to the background (the pid file). */
    private static void runDhclient() throws IOException
    {
        final Path script = scratch.resolve("dhclient.sh");
        Files.writeString(script, """
            #!/bin/sh
            # dhclient's reasons: configure the guest's interface, never /etc/resolv.conf
            case "$reason" in
              PREINIT) ip link set "$interface" up ;;
              BOUND|RENEW|REBIND|REBOOT)
                ip -4 addr flush dev "$interface"
                ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
                [ -n "$new_interface_mtu" ] && ip link set "$interface" mtu "$new_interface_mtu"
                for r in $new_routers; do ip route replace default via "$r" dev "$interface"; done
                echo "$new_domain_name_servers" > %s ;;
            esac
            exit 0
            """.formatted(scratch.resolve("dns")));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        final Path conf = scratch.resolve("dhclient.conf");
        Files.writeString(conf, "request subnet-mask, routers, domain-name-servers, interface-mtu;\ntimeout 20;\n");
        final Path pid = scratch.resolve("dhclient.pid");
        final Cmd.Result run = guest.exec(Duration.ofSeconds(30), "dhclient", "-1", "-v", "-cf", conf.toString(),
            "-lf", scratch.resolve("dhclient.leases").toString(), "-pf", pid.toString(), "-sf", script.toString(),
            tapName);
        if (Files.exists(pid))
        {
            dhclientPid = Files.readString(pid).trim();
        }
        assertTrue(run.ok(), () -> "dhclient failed: " + run + "\n" + forwarder.stats());
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (dhclientPid != null && dhclientPid.matches("\\d+"))
            {
                Cmd.run(Duration.ofSeconds(5), "kill", dhclientPid); // the dhclient this test started
            }
            if (forwarder != null)
            {
                forwarder.close();
            }
        }
        finally
        {
            if (guest != null)
            {
                guest.close();
            }
            if (scratch != null)
            {
                TapInteropSupport.deleteScratch(scratch);
            }
        }
    }

    @Test
    void dhclientConfiguredTheGuestFromTheForwardersDhcpServer() throws IOException
    {
        assumeTrue(configuredByDhclient, "'dhclient' is missing: apt-get install isc-dhcp-client");
        final String addr = guest.execOk("ip", "-4", "addr", "show", "dev", tapName).output();
        assertTrue(addr.contains("inet " + GUEST_IP + "/24"), () -> "ip addr: " + addr);
        final String route = guest.execOk("ip", "-4", "route", "show").output();
        assertTrue(route.contains("default via 10.0.2.2"), () -> "ip route: " + route);
        final String link = guest.execOk("ip", "link", "show", "dev", tapName).output();
        assertTrue(link.contains("mtu 1500"), () -> "ip link: " + link);
        assertEquals("10.0.2.2", Files.readString(scratch.resolve("dns")).trim(), "DNS server: the gateway");
        assertEquals(Ipv4Address.parse(GUEST_IP), forwarder.dhcp().lastLeasedAddress());
        final Cmd.Result ping = guest.exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "3", "10.0.2.2");
        assertTrue(ping.ok(), () -> "the guest cannot ping its gateway: " + ping);
    }

    @Test
    void iperf3BothWaysBetweenTheGuestAndTheHostLoopback() throws Exception
    {
        TapInteropSupport.assumeTools("iperf3", "iperf3");
        final List<Process> servers = new ArrayList<>();
        try
        {
            // one one-off server (-1) per direction, so the second run never meets a server still busy with the first
            final int upPort = startIperfServer(servers);
            final int downPort = startIperfServer(servers);
            final IperfRun up = iperf(upPort, false);
            final IperfRun down = iperf(downPort, true);
            System.out.printf("iperf3 through the engine, 2 s each: guest->host %.2f Gb/s, host->guest %.2f Gb/s;"
                + " longest stall (100 ms intervals without a byte) %d/%d ms%n", up.bytes * 8 / 2e9,
                down.bytes * 8 / 2e9, up.longestStallMs, down.longestStallMs);
            // even a slow machine moves megabytes in 2 s; a stalled direction moves (almost) nothing
            assertTrue(up.bytes > 1 << 20, "guest -> host moved " + up.bytes + " bytes");
            assertTrue(down.bytes > 1 << 20, "host -> guest moved " + down.bytes + " bytes");
            // issue 14 asks that a bulk transfer never stop for 100 ms (examples/forward-bench.sh checks that on a
            // quiet machine); here, on a shared CI machine, only a stall no scheduling delay explains fails: a lost
            // wake-up (the loop's 100 ms idle bound, the watcher's 1 s poll) or a window update never sent
            // (the guest's persist timer), say
            assertTrue(up.longestStallMs < MAX_STALL_MS, () -> "guest -> host stopped for " + up.longestStallMs
                + " ms\n" + forwarder.stats());
            assertTrue(down.longestStallMs < MAX_STALL_MS, () -> "host -> guest stopped for " + down.longestStallMs
                + " ms\n" + forwarder.stats());
        }
        finally
        {
            for (final Process p : servers)
            {
                p.destroy(); // processes this test started
                if (!p.waitFor(5, TimeUnit.SECONDS))
                {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** {@code iperf3 -s -1} on 127.0.0.1, returned once it says it listens. */
    private static int startIperfServer(final List<Process> servers) throws IOException
    {
        final int port = freeTcpPort();
        final Process server = new ProcessBuilder("iperf3", "-s", "-1", "-B", "127.0.0.1", "-p",
            Integer.toString(port), "-i", "0.1", "--forceflush").redirectErrorStream(true).start();
        servers.add(server);
        final BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(),
            StandardCharsets.UTF_8));
        final StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null)
        {
            seen.append(line).append('\n');
            if (line.contains("Server listening"))
            {
                final Thread drain = new Thread(() -> drain(server.getInputStream()), "iperf3-server-out");
                drain.setDaemon(true);
                drain.start();
                return port;
            }
        }
        throw new AssertionError("iperf3 -s exited: " + seen);
    }

    private static void drain(final InputStream in)
    {
        try
        {
            in.transferTo(OutputStream.nullOutputStream());
        }
        catch (final IOException ex)
        {
            // the server ended
        }
    }

    /** What an iperf3 run's receiver saw: its bytes, and the longest run of 100 ms intervals without one. */
    private record IperfRun(long bytes, long longestStallMs)
    {
    }

    /**
     * The guest's iperf3 client for 2 s (-R: the host sends), reporting every 100 ms: the receiver's bytes (from
     * -J) and its longest stall, from the receiver's intervals (the client's own with -R, else the server's text
     * report, which --get-server-output brings back), counted between the first and the last interval that moved
     * a byte.
     */
    @SuppressWarnings("unchecked")
    private static IperfRun iperf(final int port, final boolean reverse) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("iperf3", "-c", "10.0.2.2", "-p", Integer.toString(port),
            "-t", "2", "-i", "0.1", "-J", "--get-server-output", "--connect-timeout", "5000"));
        if (reverse)
        {
            command.add("-R");
        }
        final Cmd.Result run = guest.exec(Duration.ofSeconds(30), command.toArray(String[]::new));
        assertTrue(run.ok(), () -> "iperf3 " + (reverse ? "-R " : "") + "failed: " + run + "\n" + forwarder.stats());
        final String out = run.output(); // the JSON report (anything else the tool printed around it is skipped)
        final int from = out.indexOf('{');
        assertTrue(from >= 0, () -> "no JSON from iperf3: " + out);
        final Map<String, Object> json = JSON.std.mapFrom(out.substring(from, out.lastIndexOf('}') + 1));
        assertTrue(!json.containsKey("error"), () -> "iperf3: " + json.get("error"));
        final Map<String, Object> end = (Map<String, Object>)json.get("end");
        final Map<String, Object> received = (Map<String, Object>)end.get("sum_received");
        final List<double[]> intervals = new ArrayList<>(); // {seconds, bytes}
        if (reverse)
        {
            for (final Object interval : (List<Object>)json.get("intervals"))
            {
                final Map<String, Object> sum = (Map<String, Object>)((Map<String, Object>)interval).get("sum");
                intervals.add(new double[] {((Number)sum.get("seconds")).doubleValue(),
                    ((Number)sum.get("bytes")).doubleValue()});
            }
        }
        else
        {
            // "[  5]   0.10-0.20   sec  2.38 MBytes   200 Mbits/sec", up to the summary after "- - -"
            final String text = String.valueOf(json.get("server_output_text"));
            for (final String line : text.split("\n"))
            {
                if (line.startsWith("- - -"))
                {
                    break;
                }
                final Matcher m = INTERVAL_LINE.matcher(line);
                if (m.find())
                {
                    intervals.add(new double[] {Double.parseDouble(m.group(2)) - Double.parseDouble(m.group(1)),
                        Double.parseDouble(m.group(3))});
                }
            }
            assertTrue(intervals.size() >= 10, () -> "the server's 100 ms reports: " + text);
        }
        return new IperfRun(((Number)received.get("bytes")).longValue(), longestStallMs(intervals));
    }

    private static final Pattern INTERVAL_LINE =
        Pattern.compile("\\]\\s+([0-9.]+)-([0-9.]+)\\s+sec\\s+([0-9.]+)\\s+[KMG]?Bytes");
    /** A stall this long is no scheduling delay of a loaded machine (see the bulk test). */
    private static final long MAX_STALL_MS = 500;

    /** The longest run of intervals without a byte, between the first and the last interval that moved one. */
    private static long longestStallMs(final List<double[]> intervals)
    {
        int first = 0;
        int last = intervals.size() - 1;
        while (first <= last && intervals.get(first)[1] == 0)
        {
            first++;
        }
        while (last >= first && intervals.get(last)[1] == 0)
        {
            last--;
        }
        double longest = 0;
        double run = 0;
        for (int i = first; i <= last; i++)
        {
            run = intervals.get(i)[1] == 0 ? run + intervals.get(i)[0] : 0;
            longest = Math.max(longest, run);
        }
        return Math.round(longest * 1000);
    }

    @Test
    void aThousandConcurrentHostConnectionsThroughAPortForwardAreEachEchoed() throws Exception
    {
        TapInteropSupport.assumeTools("python3", "python3");
        final Process echo = new ProcessBuilder("ip", "netns", "exec", guest.netns.name, "python3", "-c", GUEST_ECHO)
            .redirectErrorStream(true).start();
        final int hostPort = freeTcpPort();
        final PortForward forward = PortForward.parse("127.0.0.1:" + hostPort + ":" + GUEST_ECHO_PORT);
        final List<Socket> sockets = new ArrayList<>(CONNECTIONS);
        try
        {
            final String ready = new BufferedReader(new InputStreamReader(echo.getInputStream(),
                StandardCharsets.UTF_8)).readLine();
            assertEquals("ready", ready, "the guest's echo server did not start");
            forwarder.portForwards().add(forward);
            final long start = System.nanoTime();
            final long deadline = start + TimeUnit.SECONDS.toNanos(90);
            for (int i = 0; i < CONNECTIONS; i++)
            {
                final Socket s = new Socket();
                sockets.add(s);
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), hostPort), 10_000);
                s.setSoTimeout(20_000);
            }
            for (int i = 0; i < CONNECTIONS; i++)
            {
                sockets.get(i).getOutputStream().write(message(i));
            }
            int echoed = 0;
            for (int i = 0; i < CONNECTIONS && System.nanoTime() < deadline; i++)
            {
                final byte[] want = message(i);
                final byte[] got = sockets.get(i).getInputStream().readNBytes(want.length);
                echoed += Arrays.equals(want, got) ? 1 : 0;
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%d concurrent inbound connections echoed in %.1f s%n", echoed, seconds);
            assertEquals(CONNECTIONS, echoed, () -> "echoed intact; engine: " + forwarder.stats());
            final PortForwardStatus status = forwarder.portForwards().list().stream()
                .filter(st -> st.forward().hostPort() == hostPort).findFirst().orElseThrow();
            assertEquals(CONNECTIONS, status.accepted(), status::toString);
            assertEquals(CONNECTIONS, status.active(), () -> "all open at once: " + status);
            assertEquals(0, status.refused(), status::toString);
        }
        finally
        {
            for (final Socket s : sockets)
            {
                s.close();
            }
            forwarder.portForwards().remove(forward.protocol(), forward.hostAddress(), forward.hostPort());
            echo.destroy(); // the process this test started
            if (!echo.waitFor(5, TimeUnit.SECONDS))
            {
                echo.destroyForcibly();
            }
        }
    }

    private static byte[] message(final int i)
    {
        return ("hello " + i + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static int freeTcpPort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }
}
