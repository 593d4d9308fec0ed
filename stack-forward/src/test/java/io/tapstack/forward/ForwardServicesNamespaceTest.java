package io.tapstack.forward;

import com.sun.net.httpserver.HttpServer;
import io.tapstack.forward.ForwardCounters.Counter;
import io.tapstack.forward.control.PortForward;
import io.tapstack.forward.control.PortForwardStatus;
import io.tapstack.forward.dhcp.DhcpConfig;
import io.tapstack.forward.dns.DnsForwarderConfig;
import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapInteropSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forwarder with its services on a real TAP whose other end is a guest namespace the test creates: the guest
 * configures itself with busybox {@code udhcpc} from the forwarder's DHCP server (a script of the test's own, so
 * nothing on the host changes), fetches from an HTTP server on the host's 127.0.0.1 through the loopback mapping,
 * resolves a name through the DNS forwarder from a dnsmasq the test runs on a 127.x address named in a temporary
 * resolv.conf, and serves a TCP and a UDP echo that host clients on 127.0.0.1 reach through inbound port forwards,
 * one given at start and others added and removed through the control API (JSON over HTTP on 127.0.0.1). Every
 * host-side endpoint is on the host's loopback; the allow list holds 127.0.0.0/8 only. Root only (skipped
 * otherwise).
 */
class ForwardServicesNamespaceTest
{
    private static final String NAME = "host.tapstack.test";
    private static final String NAME_ADDRESS = "192.0.2.77";
    private static final int GUEST_TCP_PORT = 8080;
    private static final int GUEST_UDP_PORT = 5353;
    private static final int GUEST_CLOSED_PORT = 8081;
    private static final int MAX_PORT_FORWARDS = 4;
    /** A TCP echo and a UDP echo, bound before "ready" is printed. */
    private static final String GUEST_ECHO = """
        import socket, threading
        t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind(('0.0.0.0', %d)); t.listen(64)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', %d))
        def serve(c):
            while True:
                d = c.recv(65536)
                if not d: break
                c.sendall(d)
            c.shutdown(socket.SHUT_WR); c.close()
        def tcp():
            while True:
                c, _ = t.accept()
                threading.Thread(target=serve, args=(c,), daemon=True).start()
        def udp():
            while True:
                d, a = u.recvfrom(65535); u.sendto(d, a)
        threading.Thread(target=tcp, daemon=True).start()
        threading.Thread(target=udp, daemon=True).start()
        print('ready', flush=True)
        threading.Event().wait()
        """.formatted(GUEST_TCP_PORT, GUEST_UDP_PORT);

    private static Path scratch;
    private static GuestNamespace guest;
    private static String tapName;
    private static Process resolver;
    private static Process guestEcho;
    private static Forwarder forwarder;
    private static int startTcpPort;
    private static int startUdpPort;

    @BeforeAll
    static void start() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("udhcpc", "udhcpc", "dnsmasq", "dnsmasq-base", "busybox", "busybox", "curl",
            "curl", "python3", "python3");
        scratch = Files.createTempDirectory("tapstack-fwd");
        final String resolverIp = "127.77." + ThreadLocalRandom.current().nextInt(1, 255) + ".53";
        startResolver(resolverIp);
        final Path resolvConf = scratch.resolve("resolv.conf");
        Files.writeString(resolvConf, "nameserver " + resolverIp + "\n");

        guest = GuestNamespace.create("fws", 1500);
        tapName = guest.interfaceName;
        final TapDevice tap = guest.takeTap();
        startTcpPort = freeTcpPort();
        startUdpPort = freeUdpPort();
        forwarder = Forwarder.builder().tapDevice(tap).gateway("10.0.2.2/24")
            .configure(c -> c.hostLoopbackAddress("10.0.2.2").maxPortForwards(MAX_PORT_FORWARDS)
                .allow().add("127.0.0.0/8"))
            .dhcp(new DhcpConfig().pool("10.0.2.15", "10.0.2.30").leaseTimeSeconds(600))
            .dns(new DnsForwarderConfig().resolvConf(resolvConf))
            .portForward(PortForward.parse("127.0.0.1:" + startTcpPort + ":" + GUEST_TCP_PORT))
            .portForward(PortForward.parse("127.0.0.1:" + startUdpPort + ":" + GUEST_UDP_PORT + "/udp"))
            .control(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .start();

        final Path script = scratch.resolve("udhcpc.sh");
        Files.writeString(script, """
            #!/bin/sh
            # udhcpc's events: configure the interface, never /etc/resolv.conf
            case "$1" in
              deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
              bound|renew)
                ip -4 addr flush dev "$interface"
                ip addr add "$ip/$mask" dev "$interface"
                [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
                for r in $router; do ip route replace default via "$r" dev "$interface"; done
                echo "$dns" > %s ;;
            esac
            exit 0
            """.formatted(scratch.resolve("dns")));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        final Cmd.Result dhcp = guest.exec(Duration.ofSeconds(30), "udhcpc", "-i", tapName, "-f", "-q", "-n", "-t",
            "5", "-T", "2", "-s", script.toString());
        assertTrue(dhcp.ok(), () -> "udhcpc failed: " + dhcp + "\n" + forwarder.stats());

        guestEcho = new ProcessBuilder("ip", "netns", "exec", guest.netns.name, "python3", "-c", GUEST_ECHO)
            .redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(guestEcho.getInputStream(),
            StandardCharsets.UTF_8));
        final String line = out.readLine();
        assertEquals("ready", line, "the guest's echo servers did not start");
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (forwarder != null)
            {
                forwarder.close();
            }
            for (final Process p : new Process[] {guestEcho, resolver})
            {
                if (p != null)
                {
                    p.destroy(); // processes this test started
                    if (!p.waitFor(5, TimeUnit.SECONDS))
                    {
                        p.destroyForcibly();
                    }
                }
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
    void udhcpcConfiguredTheGuestFromTheForwarder() throws IOException
    {
        final String addr = guest.execOk("ip", "-4", "addr", "show", "dev", tapName).output();
        assertTrue(addr.contains("inet 10.0.2.15/24"), () -> "ip addr: " + addr);
        final String route = guest.execOk("ip", "-4", "route", "show").output();
        assertTrue(route.contains("default via 10.0.2.2"), () -> "ip route: " + route);
        final String link = guest.execOk("ip", "link", "show", "dev", tapName).output();
        assertTrue(link.contains("mtu 1500"), () -> "ip link: " + link);
        assertEquals("10.0.2.2", Files.readString(scratch.resolve("dns")).trim(), "DNS server: the gateway");
        assertEquals(io.tapstack.wire.Ipv4Address.parse("10.0.2.15"), forwarder.dhcp().lastLeasedAddress());
    }

    @Test
    void theGuestFetchesFromTheHostLoopback() throws IOException
    {
        final HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/hello", exchange ->
        {
            final byte[] body = "hello from the host\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream o = exchange.getResponseBody())
            {
                o.write(body);
            }
        });
        http.start();
        try
        {
            final Cmd.Result curl = guest.exec(Duration.ofSeconds(20), "curl", "-sS", "--max-time", "10",
                "http://10.0.2.2:" + http.getAddress().getPort() + "/hello");
            assertTrue(curl.ok(), curl::toString);
            assertEquals("hello from the host", curl.output().trim());
        }
        finally
        {
            http.stop(0);
        }
    }

    @Test
    void theGuestResolvesANameThroughTheDnsForwarder()
    {
        final Cmd.Result lookup = guest.exec(Duration.ofSeconds(20), "busybox", "nslookup", "-type=a", NAME,
            "10.0.2.2");
        assertTrue(lookup.ok() && lookup.output().contains(NAME_ADDRESS),
            () -> "nslookup: " + lookup + "\n" + forwarder.stats());
    }

    @Test
    void aHostClientReachesTheGuestsTcpServerBytesIntactBothWays() throws Exception
    {
        final byte[] sent = new byte[4 << 20];
        new Random(14).nextBytes(sent);
        assertArrayEquals(sent, echoThrough(startTcpPort, sent));
        final PortForwardStatus status = status(PortForward.Protocol.TCP, startTcpPort);
        assertTrue(status.accepted() >= 1 && status.bytesToGuest() >= sent.length
            && status.bytesFromGuest() >= sent.length, status::toString);
    }

    @Test
    void aHostClientReachesTheGuestsUdpEcho() throws IOException
    {
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        {
            client.setSoTimeout(5_000);
            for (int i = 0; i < 10; i++)
            {
                final byte[] ping = ("ping " + i).getBytes(StandardCharsets.US_ASCII);
                client.send(new DatagramPacket(ping, ping.length, InetAddress.getLoopbackAddress(), startUdpPort));
                final DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
                client.receive(reply);
                assertEquals("ping " + i, new String(reply.getData(), 0, reply.getLength(),
                    StandardCharsets.US_ASCII));
                assertEquals(startUdpPort, reply.getPort(), "from the forward's host socket");
            }
        }
        final PortForwardStatus status = status(PortForward.Protocol.UDP, startUdpPort);
        assertTrue(status.accepted() >= 1 && status.bytesToGuest() >= 60 && status.bytesFromGuest() >= 60,
            status::toString);
    }

    @Test
    void forwardsAddedAndRemovedThroughTheControlApi() throws Exception
    {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final String base = "http://127.0.0.1:" + forwarder.controlAddress().getPort() + "/forwards";
        final int added = freeTcpPort();
        final HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base))
            .POST(HttpRequest.BodyPublishers.ofString("{\"spec\": \"127.0.0.1:" + added + ":" + GUEST_TCP_PORT
                + "\"}")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, post.statusCode(), post::body);
        final byte[] sent = "through a forward added at run time".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(sent, echoThrough(added, sent));
        final HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(base)).GET()
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, list.statusCode());
        assertTrue(list.body().contains("127.0.0.1:" + added + ":" + GUEST_TCP_PORT + "/tcp"), list::body);

        final HttpResponse<String> delete = http.send(HttpRequest.newBuilder(URI.create(base + "/tcp/127.0.0.1/"
            + added)).DELETE().timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, delete.statusCode(), delete::body);
        assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), added).close(),
            "the removed forward's host socket is closed: connection refused");
        final HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(base + "/tcp/127.0.0.1/"
            + added)).DELETE().timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, again.statusCode());
    }

    @Test
    void theLimitOfForwardsIsRespected() throws Exception
    {
        final List<PortForward> extra = new java.util.ArrayList<>();
        try
        {
            while (forwarder.portForwards().list().size() < MAX_PORT_FORWARDS)
            {
                final PortForward f = PortForward.parse("127.0.0.1:" + freeTcpPort() + ":" + GUEST_TCP_PORT);
                forwarder.portForwards().add(f);
                extra.add(f);
            }
            final PortForward one = PortForward.parse("127.0.0.1:" + freeTcpPort() + ":" + GUEST_TCP_PORT);
            assertThrows(IllegalStateException.class, () -> forwarder.portForwards().add(one));
            assertThrows(IllegalStateException.class, () -> forwarder.portForwards()
                .add(PortForward.parse("127.0.0.1:" + startTcpPort + ":" + GUEST_TCP_PORT)), "the same host socket");
        }
        finally
        {
            for (final PortForward f : extra)
            {
                forwarder.portForwards().remove(f.protocol(), f.hostAddress(), f.hostPort());
            }
        }
    }

    @Test
    void aRefusedGuestPortClosesTheHostConnection() throws Exception
    {
        final int port = freeTcpPort();
        final PortForward f = PortForward.parse("127.0.0.1:" + port + ":" + GUEST_CLOSED_PORT);
        forwarder.portForwards().add(f);
        try
        {
            final long before = forwarder.engine().counters().get(Counter.PF_TCP_REFUSED);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port))
            {
                s.setSoTimeout(10_000);
                final InputStream in = s.getInputStream();
                try
                {
                    assertEquals(-1, in.read(), "nothing from a refused port");
                }
                catch (final java.net.SocketException reset)
                {
                    // a reset: as a refused port
                }
            }
            assertEquals(before + 1, forwarder.engine().counters().get(Counter.PF_TCP_REFUSED));
            assertEquals(1, status(PortForward.Protocol.TCP, port).refused());
        }
        finally
        {
            forwarder.portForwards().remove(f.protocol(), f.hostAddress(), f.hostPort());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Sends {@code bytes} to 127.0.0.1:{@code port} while reading the echo, half-closes, reads to the end. */
    private static byte[] echoThrough(final int port, final byte[] bytes) throws Exception
    {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port))
        {
            s.setSoTimeout(30_000);
            final Thread writer = new Thread(() ->
            {
                try
                {
                    s.getOutputStream().write(bytes);
                    s.shutdownOutput();
                }
                catch (final IOException ex)
                {
                    // the reader fails too
                }
            });
            writer.start();
            final byte[] got = s.getInputStream().readAllBytes();
            writer.join(30_000);
            return got.length == bytes.length ? got : Arrays.copyOf(got, got.length);
        }
    }

    private static PortForwardStatus status(final PortForward.Protocol protocol, final int hostPort)
    {
        return forwarder.portForwards().list().stream()
            .filter(s -> s.forward().protocol() == protocol && s.forward().hostPort() == hostPort)
            .findFirst().orElseThrow();
    }

    private static int freeTcpPort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException
    {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        {
            return s.getLocalPort();
        }
    }

    /** dnsmasq in the foreground, answering NAME's zone only, on {@code ip}:53; waits until it answers. */
    private static void startResolver(final String ip) throws Exception
    {
        resolver = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
            "--conf-file=/dev/null", "--listen-address=" + ip, "--bind-interfaces", "--port=53",
            "--address=/tapstack.test/" + NAME_ADDRESS, "--pid-file=" + scratch.resolve("dnsmasq.pid"))
            .redirectErrorStream(true)
            .redirectOutput(scratch.resolve("dnsmasq.log").toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
        final byte[] query = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 'h', 'o', 's', 't', 8, 't', 'a', 'p', 's',
            't', 'a', 'c', 'k', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};
        try (DatagramSocket probe = new DatagramSocket())
        {
            probe.setSoTimeout(100);
            for (int i = 0; i < 50; i++)
            {
                if (!resolver.isAlive())
                {
                    throw new AssertionError("dnsmasq exited: " + Files.readString(scratch.resolve("dnsmasq.log")));
                }
                probe.send(new DatagramPacket(query, query.length, InetAddress.getByName(ip), 53));
                try
                {
                    probe.receive(new DatagramPacket(new byte[512], 512));
                    return;
                }
                catch (final java.net.SocketTimeoutException ex)
                {
                    // not yet
                }
            }
        }
        throw new AssertionError("dnsmasq does not answer on " + ip);
    }
}
