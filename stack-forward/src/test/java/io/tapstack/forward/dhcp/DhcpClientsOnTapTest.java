package io.tapstack.forward.dhcp;

import io.tapstack.forward.dhcp.DhcpCounters.Counter;
import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapInteropSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real DHCP clients configure a guest from the server: busybox {@code udhcpc} and ISC {@code dhclient} run in a
 * namespace the test creates, on the kernel's side of a TAP whose other side is a stack with the server at
 * PREFIX.1. Each client runs with a script of the test's own (it configures the interface and writes the DNS
 * servers it was given to a file in the test's scratch directory: the host's resolv.conf is never touched) and
 * dhclient with its own lease, pid and configuration files. The test then reads {@code ip addr}, {@code ip route}
 * and {@code ip link} in the guest, and pings the gateway. Root only (skipped otherwise).
 */
class DhcpClientsOnTapTest
{
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

    private Path scratch;

    @BeforeEach
    void setUp() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        scratch = Files.createTempDirectory("tapstack-dhcp");
    }

    @AfterEach
    void tearDown() throws Exception
    {
        TapInteropSupport.deleteScratch(scratch);
    }

    @Test
    void udhcpcGetsAddressPrefixRouterMtuAndDns() throws Exception
    {
        TapInteropSupport.assumeTools("udhcpc", "udhcpc");
        try (GuestTap guest = GuestTap.open("10.77.41"))
        {
            final DhcpServer server = install(guest);
            final Path dns = scratch.resolve("dns");
            final Path script = script("udhcpc.sh", """
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
                """.formatted(dns));
            final Cmd.Result run = guest.exec(CLIENT_TIMEOUT, "udhcpc", "-i", guest.guestInterface, "-f", "-q", "-n",
                "-t", "5", "-T", "2", "-s", script.toString());
            assertTrue(run.ok(), () -> "udhcpc failed: " + run + "\n" + server.counters().describeNonZero());
            assertConfigured(guest, dns);
            assertEquals(1, server.counters().get(Counter.DHCP_LEASES_BOUND));
        }
    }

    @Test
    void dhclientGetsAddressPrefixRouterMtuAndDns() throws Exception
    {
        TapInteropSupport.assumeTools("dhclient", "isc-dhcp-client");
        try (GuestTap guest = GuestTap.open("10.77.42"))
        {
            final DhcpServer server = install(guest);
            final Path dns = scratch.resolve("dns");
            final Path script = script("dhclient.sh", """
                #!/bin/sh
                # dhclient's reasons: configure the interface, never /etc/resolv.conf
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
                """.formatted(dns));
            final Path conf = scratch.resolve("dhclient.conf");
            Files.writeString(conf, "request subnet-mask, routers, domain-name-servers, interface-mtu;\n"
                + "timeout 20;\n");
            final Path pid = scratch.resolve("dhclient.pid");
            try
            {
                // -1: one try, then exit with an error; after a lease dhclient goes to the background (pid file)
                final Cmd.Result run = guest.exec(CLIENT_TIMEOUT, "dhclient", "-1", "-v", "-cf", conf.toString(),
                    "-lf", scratch.resolve("dhclient.leases").toString(), "-pf", pid.toString(), "-sf",
                    script.toString(), guest.guestInterface);
                assertTrue(run.ok(), () -> "dhclient failed: " + run + "\n" + server.counters().describeNonZero());
                assertConfigured(guest, dns);
                assertEquals(1, server.counters().get(Counter.DHCP_LEASES_BOUND));
            }
            finally
            {
                if (Files.exists(pid))
                {
                    final String id = Files.readString(pid).trim();
                    if (id.matches("\\d+"))
                    {
                        Cmd.run(Duration.ofSeconds(5), "kill", id); // the dhclient this test started
                    }
                }
            }
        }
    }

    private static DhcpServer install(final GuestTap guest) throws Exception
    {
        final String p = guest.gatewayIp.substring(0, guest.gatewayIp.lastIndexOf('.'));
        guest.start();
        final DhcpServer server = guest.call(() -> DhcpServer.install(guest.stack,
            new DhcpConfig().pool(p + ".100", p + ".150").mtu(1400).leaseTimeSeconds(600)));
        guest.service(server::doWork);
        return server;
    }

    private void assertConfigured(final GuestTap guest, final Path dnsFile) throws Exception
    {
        final String p = guest.gatewayIp.substring(0, guest.gatewayIp.lastIndexOf('.'));
        final String addr = guest.netns.execOk("ip", "-4", "addr", "show", "dev", guest.guestInterface).output();
        assertTrue(addr.contains("inet " + p + ".100/24"), () -> "ip addr: " + addr);
        final String route = guest.netns.execOk("ip", "-4", "route", "show").output();
        assertTrue(route.contains("default via " + guest.gatewayIp), () -> "ip route: " + route);
        assertTrue(route.contains(p + ".0/24 dev " + guest.guestInterface), () -> "ip route: " + route);
        final String link = guest.netns.execOk("ip", "link", "show", "dev", guest.guestInterface).output();
        assertTrue(link.contains("mtu 1400"), () -> "ip link: " + link);
        assertEquals(guest.gatewayIp, Files.readString(dnsFile).trim());
        final Cmd.Result ping = guest.exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "3", guest.gatewayIp);
        assertTrue(ping.ok(), () -> "the guest cannot ping its gateway: " + ping);
    }

    private Path script(final String name, final String text) throws Exception
    {
        final Path path = scratch.resolve(name);
        Files.writeString(path, text);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
        return path;
    }
}
