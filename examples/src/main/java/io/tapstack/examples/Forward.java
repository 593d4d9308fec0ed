package io.tapstack.examples;

import io.tapstack.forward.ForwardConfig;
import io.tapstack.forward.Forwarder;
import io.tapstack.forward.control.PortForward;
import io.tapstack.forward.dhcp.DhcpConfig;
import io.tapstack.forward.dns.DnsForwarderConfig;
import io.tapstack.wire.Ipv4Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code forward}: user-mode networking for a guest (a namespace or a VM) on a TAP, through the host's sockets: the
 * stack answers as the guest's gateway, and the guest's TCP and UDP to any destination the policy allows leave from
 * ordinary host sockets; the host's 127.0.0.1 is reached through --host-loopback. The guest configures itself by
 * DHCP (--dhcp) or by hand (ip addr, ip route), and resolves names through --dns. Inbound port forwards ({@code -p
 * HOST_ADDR:HOST_PORT:GUEST_PORT[/udp]}, or added and removed while it runs through --control) carry host
 * connections and datagrams to a port of the guest.
 */
final class Forward
{
    private static final Logger LOG = LoggerFactory.getLogger("forward");

    private Forward()
    {
    }

    static int run(final String[] rawArgs) throws InterruptedException
    {
        final String[] args = rawArgs.clone();
        for (int i = 0; i < args.length; i++)
        {
            if ("-p".equals(args[i]))
            {
                args[i] = "--publish"; // podman's and slirp4netns's short form
            }
        }
        final Options options = new Options("forward",
            "Gives a guest on a TAP (a network namespace or a VM) a network through this host's sockets, until\n"
                + "Ctrl-C. Configure the guest with an address on the gateway's subnet and the gateway as its\n"
                + "default route; --host-loopback makes an address of the subnet lead to the host's 127.0.0.1.")
            .option("tap", "NAME", "TAP interface to open, created if missing (1.." + StackOptions.MAX_TAP_NAME
                + " characters)", null)
            .option("gateway", "A.B.C.D/N", "the gateway's address and the guest's subnet", "10.0.2.2/24")
            .option("mtu", "N", "link MTU in bytes, set on the TAP", "1500")
            .option("host-loopback", "A.B.C.D", "an address of the subnet that leads to the host's 127.0.0.1 (as "
                + "slirp4netns's 10.0.2.2; usually the gateway's own)", "none: the host's loopback is not reached")
            .option("allow", "A.B.C.D/N", "a network the guest may reach (repeatable); with none, every one not "
                + "denied", "all")
            .option("deny", "A.B.C.D/N", "a network the guest may not reach (repeatable)", "none")
            .option("max-tcp-flows", "N", "TCP flows (host sockets) at once; more SYNs are refused", "4096")
            .option("max-pending-connects", "N", "guest SYNs held while their host connect runs", "256")
            .option("max-udp-flows", "N", "UDP flows (host sockets) at once", "1024")
            .option("connect-timeout-ms", "N", "a host connect longer than this is ICMP host unreachable", "10000")
            .option("udp-idle-ms", "N", "a UDP flow idle this long is closed", "60000")
            .option("tcp-idle-ms", "N", "a TCP flow idle this long is reset on both sides (0: never)", "0")
            .option("idle-spins", "N", "empty cycles the engine's thread spins before it yields, then blocks",
                "50; 0 when the process may use one CPU only")
            .option("idle-yields", "N", "empty cycles it yields the CPU before it blocks", "10; 0 on one CPU")
            .option("dhcp", "FIRST-LAST", "serve DHCP from the gateway: this pool, the gateway as router (and DNS "
                + "server with --dns), the link's MTU", "off")
            .option("lease-seconds", "N", "DHCP lease time", "3600")
            .flag("dns", "answer DNS on the gateway's port 53 by forwarding to the host's resolvers")
            .option("resolv-conf", "PATH", "where --dns reads the host's resolvers", "/etc/resolv.conf")
            .option("guest", "A.B.C.D", "the guest's address, where port forwards lead", "the latest DHCP lease")
            .option("publish", "[HOST_ADDR:]HOST_PORT:GUEST_PORT[/udp]", "-p: an inbound port forward (repeatable; "
                + "HOST_ADDR defaults to 127.0.0.1)", "none")
            .option("max-port-forwards", "N", "port forwards at once", "64")
            .option("control", "127.0.0.1:PORT", "answer the control API (JSON over HTTP: GET, POST, DELETE "
                + "/forwards) on this loopback address", "off")
            .flag("verbose", "log at debug level");
        final Forwarder.Builder builder = Forwarder.builder();
        try
        {
            options.parse(args, 0);
            if (options.has("help"))
            {
                System.out.print(options.help());
                return 0;
            }
            builder.tap(StackOptions.tapName(options.get("tap")))
                .gateway(gatewayCidr(options.get("gateway")))
                .mtu(StackOptions.mtu(options));
            final String loopback = options.has("host-loopback") ? address(options.get("host-loopback")) : null;
            final int maxTcp = options.getInt("max-tcp-flows", 1, 1 << 20, "--max-tcp-flows");
            final int maxPending = options.getInt("max-pending-connects", 1, 65536, "--max-pending-connects");
            final int maxUdp = options.getInt("max-udp-flows", 1, 1 << 20, "--max-udp-flows");
            final long connectMs = options.getLong("connect-timeout-ms", 1, 3_600_000, "--connect-timeout-ms");
            final long udpIdleMs = options.getLong("udp-idle-ms", 1, 86_400_000, "--udp-idle-ms");
            final long tcpIdleMs = options.getLong("tcp-idle-ms", 0, 30L * 86_400_000, "--tcp-idle-ms");
            final ForwardConfig defaults = new ForwardConfig();
            final int idleSpins = options.has("idle-spins")
                ? options.getInt("idle-spins", 0, 1_000_000, "--idle-spins") : defaults.idleSpins();
            final int idleYields = options.has("idle-yields")
                ? options.getInt("idle-yields", 0, 1_000_000, "--idle-yields") : defaults.idleYields();
            builder.configure(c ->
            {
                c.hostLoopbackAddress(loopback).maxTcpFlows(maxTcp).maxPendingConnects(maxPending)
                    .maxUdpFlows(maxUdp).connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(connectMs))
                    .udpIdleTimeoutNs(TimeUnit.MILLISECONDS.toNanos(udpIdleMs))
                    .tcpIdleTimeoutNs(TimeUnit.MILLISECONDS.toNanos(tcpIdleMs)).idleSpins(idleSpins)
                    .idleYields(idleYields);
                for (final String net : options.has("allow") ? options.getAll("allow") : java.util.List.<String>of())
                {
                    c.allow().add(cidr(net, "--allow"));
                }
                for (final String net : options.has("deny") ? options.getAll("deny") : java.util.List.<String>of())
                {
                    c.deny().add(cidr(net, "--deny"));
                }
            });
            final String guestAddress = options.has("guest") ? address(options.get("guest"), "--guest") : null;
            final int maxForwards = options.getInt("max-port-forwards", 1, 4096, "--max-port-forwards");
            builder.configure(c -> c.guestAddress(guestAddress).maxPortForwards(maxForwards));
            if (options.has("dhcp"))
            {
                final DhcpConfig dhcp = dhcpConfig(options.get("dhcp"), options.getLong("lease-seconds", 3,
                    0xFFFF_FFFEL, "--lease-seconds"));
                if (!options.has("dns"))
                {
                    dhcp.dnsServers(); // no DNS server offered where nothing answers on port 53
                }
                final String gateway = options.get("gateway");
                try
                {
                    // before anything opens: a pool off the gateway's subnet is a usage error, not a failed start
                    dhcp.validate(Ipv4Address.parse(gateway.substring(0, gateway.indexOf('/'))),
                        Integer.parseInt(gateway.substring(gateway.indexOf('/') + 1)));
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new Options.UsageException("--dhcp: " + ex.getMessage());
                }
                builder.dhcp(dhcp);
            }
            if (options.has("dns"))
            {
                builder.dns(new DnsForwarderConfig().resolvConf(Path.of(options.get("resolv-conf"))));
            }
            for (final String spec : options.has("publish") ? options.getAll("publish") : java.util.List.<String>of())
            {
                try
                {
                    builder.portForward(PortForward.parse(spec));
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new Options.UsageException("-p: " + ex.getMessage());
                }
            }
            if (options.has("control"))
            {
                builder.control(controlAddress(options.get("control")));
            }
        }
        catch (final Options.UsageException ex)
        {
            System.err.println("forward: " + ex.getMessage());
            return 2;
        }
        final Forwarder forwarder;
        try
        {
            forwarder = builder.start();
        }
        catch (final RuntimeException ex)
        {
            System.err.println("forward: " + ex.getMessage());
            return 1;
        }
        LOG.info("gateway {} on {}; Ctrl-C to stop", Ipv4Address.toString(forwarder.stack().ipAddress()),
            options.get("tap"));
        if (forwarder.controlAddress() != null)
        {
            LOG.info("control API on http://{}:{}/forwards", forwarder.controlAddress().getHostString(),
                forwarder.controlAddress().getPort());
        }
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            try
            {
                final Map<String, Long> stats = forwarder.stats();
                forwarder.close();
                stats.forEach((name, value) -> System.out.println(name + " " + value));
                System.out.flush();
            }
            finally
            {
                done.countDown();
            }
        }, "shutdown"));
        done.await();
        return 0;
    }

    /** {@code --dhcp FIRST-LAST}: the pool; router and DNS server default to the gateway (DhcpConfig's defaults). */
    private static DhcpConfig dhcpConfig(final String text, final long leaseSeconds)
    {
        final int dash = text.indexOf('-');
        if (dash < 0)
        {
            throw new Options.UsageException("--dhcp must be a pool like 10.0.2.15-10.0.2.99, not '" + text + "'");
        }
        final String first = address(text.substring(0, dash), "--dhcp");
        final String last = address(text.substring(dash + 1), "--dhcp");
        return new DhcpConfig().pool(first, last).leaseTimeSeconds(leaseSeconds);
    }

    private static InetSocketAddress controlAddress(final String text)
    {
        final int colon = text.lastIndexOf(':');
        final String what = "--control must be a loopback address and port like 127.0.0.1:7070, not '" + text + "'";
        if (colon < 0)
        {
            throw new Options.UsageException(what);
        }
        try
        {
            final int port = Integer.parseInt(text.substring(colon + 1));
            final java.net.InetAddress host = java.net.InetAddress.getByName(address(text.substring(0, colon),
                "--control"));
            if (port < 0 || port > 65535 || !host.isLoopbackAddress())
            {
                throw new Options.UsageException(what);
            }
            return new InetSocketAddress(host, port);
        }
        catch (final NumberFormatException | java.net.UnknownHostException ex)
        {
            throw new Options.UsageException(what);
        }
    }

    /** A network (or, with /32 implied, an address) in CIDR notation, or a usage error naming the option. */
    private static String cidr(final String text, final String option)
    {
        final String what = option + " must be a network like 10.0.2.0/24, not '" + text + "'";
        final int slash = text.indexOf('/');
        try
        {
            Ipv4Address.parse(slash < 0 ? text : text.substring(0, slash));
            if (slash >= 0)
            {
                final int prefix = Integer.parseInt(text.substring(slash + 1));
                if (prefix < 0 || prefix > 32)
                {
                    throw new Options.UsageException(what);
                }
            }
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Options.UsageException(what);
        }
        return text;
    }

    private static String gatewayCidr(final String text)
    {
        if (text.indexOf('/') < 0)
        {
            throw new Options.UsageException("--gateway needs its prefix length, like 10.0.2.2/24, not '" + text + "'");
        }
        return cidr(text, "--gateway");
    }

    private static String address(final String text)
    {
        return address(text, "--host-loopback");
    }

    private static String address(final String text, final String option)
    {
        try
        {
            Ipv4Address.parse(text);
            return text;
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Options.UsageException(option + " must be an address like 10.0.2.2, not '" + text + "'");
        }
    }
}
