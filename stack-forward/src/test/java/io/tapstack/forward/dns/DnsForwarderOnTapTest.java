package io.tapstack.forward.dns;

import io.tapstack.forward.dhcp.DhcpConfig;
import io.tapstack.forward.dhcp.DhcpServer;
import io.tapstack.forward.dhcp.GuestTap;
import io.tapstack.forward.dns.DnsCounters.Counter;
import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapInteropSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest resolves a name through the forwarder, over UDP ({@code busybox nslookup}) and over TCP (a few lines of
 * Python in the guest), from a resolver the test runs on the host's loopback: dnsmasq (dnsmasq-base) with no
 * upstream of its own, answering one made-up zone, on a 127.77.x.53 address of its own, named in a temporary
 * resolv.conf that the forwarder is told to read. The guest is a namespace the test creates on the kernel side of
 * a TAP, configured by hand. Root only (skipped otherwise).
 */
class DnsForwarderOnTapTest
{
    private static final String NAME = "host.tapstack.test";
    private static final String ADDRESS = "192.0.2.77";
    /** A DNS query over TCP (RFC 1035 §4.2.2) for NAME, type A; prints the first answer's address. */
    private static final String TCP_QUERY = """
        import socket, struct, sys
        q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
        q += b"".join(bytes([len(l)]) + l.encode() for l in sys.argv[2].split(".")) + b"\\0" + struct.pack(">HH", 1, 1)
        s = socket.create_connection((sys.argv[1], 53), 5)
        s.sendall(struct.pack(">H", len(q)) + q)
        def exactly(n):
            b = b""
            while len(b) < n:
                c = s.recv(n - len(b))
                if not c:
                    sys.exit("closed")
                b += c
            return b
        a = exactly(struct.unpack(">H", exactly(2))[0])
        assert a[:2] == b"\\x42\\x42" and a[2] & 0x80 and struct.unpack(">H", a[6:8])[0] >= 1, a
        print(socket.inet_ntoa(a[-4:]))
        """;

    private Path scratch;
    private Process resolver;

    @BeforeEach
    void setUp() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("dnsmasq", "dnsmasq-base", "busybox", "busybox", "python3", "python3");
        scratch = Files.createTempDirectory("tapstack-dns");
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (resolver != null)
        {
            resolver.destroy(); // the dnsmasq this test started
            if (!resolver.waitFor(5, TimeUnit.SECONDS))
            {
                resolver.destroyForcibly();
            }
        }
        TapInteropSupport.deleteScratch(scratch);
    }

    @Test
    void aGuestResolvesANameThroughTheForwarderOverUdpAndTcp() throws Exception
    {
        final String resolverIp = "127.77." + ThreadLocalRandom.current().nextInt(1, 255) + ".53";
        startResolver(resolverIp);
        final Path resolvConf = scratch.resolve("resolv.conf");
        Files.writeString(resolvConf, "# written by the test\nnameserver " + resolverIp + "\n");
        try (GuestTap guest = GuestTap.open("10.77.43"))
        {
            guest.start();
            final DnsForwarder forwarder = guest.call(() -> DnsForwarder.install(guest.stack,
                new DnsForwarderConfig().resolvConf(resolvConf)));
            guest.service(forwarder::doWork);
            guest.namespace.staticAddress("10.77.43.2", guest.gatewayIp);

            final Cmd.Result udp = guest.exec(Duration.ofSeconds(20), "busybox", "nslookup", "-type=a", NAME,
                guest.gatewayIp);
            assertTrue(udp.ok() && udp.output().contains(ADDRESS),
                () -> "nslookup over UDP: " + udp + "\n" + forwarder.counters().describeNonZero());

            final Path script = scratch.resolve("tcp_query.py");
            Files.writeString(script, TCP_QUERY);
            final Cmd.Result tcp = guest.exec(Duration.ofSeconds(20), "python3", script.toString(), guest.gatewayIp,
                NAME);
            assertTrue(tcp.ok() && tcp.output().trim().equals(ADDRESS),
                () -> "a query over TCP: " + tcp + "\n" + forwarder.counters().describeNonZero());

            final DnsCounters c = forwarder.counters();
            assertTrue(c.get(Counter.DNS_UDP_QUERIES_RX) >= 1, c::describeNonZero);
            assertTrue(c.get(Counter.DNS_TCP_QUERIES_RX) == 1, c::describeNonZero);
            assertTrue(c.get(Counter.DNS_UPSTREAM_TCP_TX) == 1, c::describeNonZero);
            assertTrue(c.get(Counter.DNS_SERVFAIL_TX) == 0, c::describeNonZero);
        }
    }

    @Test
    void aGuestConfiguredByDhcpResolvesThroughTheDnsServerItWasGiven() throws Exception
    {
        TapInteropSupport.assumeTools("udhcpc", "udhcpc");
        final String resolverIp = "127.77." + ThreadLocalRandom.current().nextInt(1, 255) + ".53";
        startResolver(resolverIp);
        final Path resolvConf = scratch.resolve("resolv.conf");
        Files.writeString(resolvConf, "nameserver " + resolverIp + "\n");
        try (GuestTap guest = GuestTap.open("10.77.44"))
        {
            guest.start();
            final DhcpServer dhcp = guest.call(() -> DhcpServer.install(guest.stack,
                new DhcpConfig().pool("10.77.44.10", "10.77.44.20")));
            final DnsForwarder dns = guest.call(() -> DnsForwarder.install(guest.stack,
                new DnsForwarderConfig().resolvConf(resolvConf)));
            guest.service(dhcp::doWork).service(dns::doWork);
            final Path given = scratch.resolve("dns");
            final Path script = scratch.resolve("udhcpc.sh");
            Files.writeString(script, """
                #!/bin/sh
                case "$1" in
                  bound|renew)
                    ip addr add "$ip/$mask" dev "$interface"
                    for r in $router; do ip route replace default via "$r" dev "$interface"; done
                    echo "$dns" > %s ;;
                esac
                exit 0
                """.formatted(given));
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
            final Cmd.Result lease = guest.exec(Duration.ofSeconds(30), "udhcpc", "-i", guest.guestInterface, "-f",
                "-q", "-n", "-t", "5", "-T", "2", "-s", script.toString());
            assertTrue(lease.ok(), () -> "udhcpc: " + lease);
            final String server = Files.readString(given).trim();
            final Cmd.Result udp = guest.exec(Duration.ofSeconds(20), "busybox", "nslookup", "-type=a", NAME, server);
            assertTrue(udp.ok() && udp.output().contains(ADDRESS), () -> "nslookup: " + udp);
        }
    }

    /** dnsmasq in the foreground, answering NAME's zone only, on {@code ip}:53; waits until it answers. */
    private void startResolver(final String ip) throws Exception
    {
        resolver = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
            "--conf-file=/dev/null", "--listen-address=" + ip, "--bind-interfaces", "--port=53",
            "--address=/tapstack.test/" + ADDRESS, "--pid-file=" + scratch.resolve("dnsmasq.pid"))
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
                catch (final SocketTimeoutException notYet)
                {
                    continue;
                }
            }
        }
        throw new AssertionError("dnsmasq does not answer on " + ip);
    }
}
