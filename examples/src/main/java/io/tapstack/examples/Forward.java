package io.tapstack.examples;

import io.tapstack.forward.Forwarder;
import io.tapstack.wire.Ipv4Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code forward}: user-mode networking for a guest (a namespace or a VM) on a TAP, through the host's sockets: the
 * stack answers as the guest's gateway, and the guest's TCP and UDP to any destination the policy allows leave from
 * ordinary host sockets; the host's 127.0.0.1 is reached through --host-loopback. The guest is configured by hand
 * for now (ip addr, ip route); a DHCP server and a DNS forwarder come with io.tapstack.forward.dhcp and .dns, as
 * services of the same {@link Forwarder} ({@code Forwarder.Builder.service}).
 */
final class Forward
{
    private static final Logger LOG = LoggerFactory.getLogger("forward");

    private Forward()
    {
    }

    static int run(final String[] args) throws InterruptedException
    {
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
            builder.configure(c ->
            {
                c.hostLoopbackAddress(loopback).maxTcpFlows(maxTcp).maxPendingConnects(maxPending)
                    .maxUdpFlows(maxUdp).connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(connectMs))
                    .udpIdleTimeoutNs(TimeUnit.MILLISECONDS.toNanos(udpIdleMs))
                    .tcpIdleTimeoutNs(TimeUnit.MILLISECONDS.toNanos(tcpIdleMs));
                for (final String net : options.has("allow") ? options.getAll("allow") : java.util.List.<String>of())
                {
                    c.allow().add(cidr(net, "--allow"));
                }
                for (final String net : options.has("deny") ? options.getAll("deny") : java.util.List.<String>of())
                {
                    c.deny().add(cidr(net, "--deny"));
                }
            });
            // where the DHCP server and DNS forwarder will go: builder.service(stack -> new DhcpServer(stack, ...))
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
        try
        {
            Ipv4Address.parse(text);
            return text;
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Options.UsageException("--host-loopback must be an address like 10.0.2.2, not '" + text + "'");
        }
    }
}
