package io.tapstack.examples;

import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;
import io.tapstack.socket.IdleBackoff;
import io.tapstack.tap.TapStack;
import io.tapstack.tap.UdpTunnelDevice;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;

import java.util.List;

/** The options every stack command shares: device, addresses, impairments, logging. */
final class StackOptions
{
    private StackOptions()
    {
    }

    /** The seed of impairments when --seed is not given (the MAC is then drawn from SecureRandom). */
    static final long DEFAULT_IMPAIRMENT_SEED = 1;
    /** Linux's IFNAMSIZ (16) less the terminating NUL. */
    static final int MAX_TAP_NAME = 15;

    static Options declare(final Options options)
    {
        ImpairmentOptions.declare(options
            .option("tap", "NAME", "TAP interface to open, created if missing (1.." + MAX_TAP_NAME + " characters)",
                "none: --udp-tunnel is then required")
            .option("udp-tunnel", "LOCAL_PORT:HOST:PORT", "instead of a TAP, carry each frame in one UDP datagram "
                + "from LOCAL_PORT to HOST:PORT (no root; datagrams of at most --mtu + 14 bytes; shared mode)", "none")
            .flag("tun", "open --tap NAME as a TUN: bare IPv4 packets (IFF_TUN | IFF_NO_PI), no Ethernet, no ARP; "
                + "give the kernel side a peer address (ip addr add A peer B dev NAME)")
            .option("ip", "A.B.C.D/N", "the stack's host address and prefix length 1..32, like 10.0.0.2/24", null)
            .option("gateway", "A.B.C.D", "default gateway for off-subnet destinations, on the stack's subnet",
                "none")
            .option("mtu", "N", "link MTU in bytes, " + StackConfig.MIN_MTU + ".." + StackConfig.MAX_MTU
                + " (also set on the TAP)", "1500")
            .option("mac", "aa:bb:cc:dd:ee:ff", "the stack's unicast MAC (the TAP's kernel side has its own)",
                "random per run, or from --seed")
            .option("mode", "shared|dedicated", "shared: one thread reads the TAP and runs the stack; "
                + "dedicated: reader and writer threads with rings to the stack thread", "shared")
            .flag("no-offload", "keep the TAP's checksum and TCP segmentation offloads off (IFF_VNET_HDR with "
                + "TUN_F_CSUM | TUN_F_TSO4: 64 KiB super-frames each way), which are on by default in shared mode "
                + "where the kernel has them, unless an impairment is set (impairments act on MTU-sized frames)")
            .option("idle", "SPINS,YIELDS,MAX_PARK_MS", "how the stack thread waits with nothing to do: SPINS empty "
                + "cycles (0..1000000), then YIELDS (0..1000000), then parks on the TAP until a frame, a call or a "
                + "deadline, at most MAX_PARK_MS (1..60000); 0,0,N never spins",
                IdleBackoff.DEFAULT_SPINS + "," + IdleBackoff.DEFAULT_YIELDS + ","
                    + IdleBackoff.DEFAULT_MAX_PARK_NS / 1_000_000))
            .option("seed", "N", "seed for the MAC, IP IDs and impairments: a run that repeats",
                "none: a random MAC, impairments seeded with " + DEFAULT_IMPAIRMENT_SEED);
        CaptureOptions.declare(options);
        return options.flag("verbose", "log every protocol event (ARP, echo, drops) at debug level");
    }

    /** The stack's address and prefix length from --ip. */
    record Interface(int address, int prefixLength)
    {
    }

    /**
     * Checks every stack option before anything opens, so that a mistake is one {@link Options.UsageException}
     * naming the option and what it accepts.
     */
    static void check(final Options options)
    {
        tapName(options);
        udpTunnel(options);
        final Interface ip = ip(options);
        gateway(options, ip);
        mtu(options);
        mac(options);
        if (options.has("tun") && options.has("mac"))
        {
            throw new Options.UsageException("--mac has no use with --tun: a TUN carries no Ethernet header");
        }
        if (options.has("tun") && options.has("udp-tunnel"))
        {
            throw new Options.UsageException("--tun names a TUN device; --udp-tunnel carries Ethernet frames: give one");
        }
        mode(options);
        idle(options);
        seed(options);
        ImpairmentOptions.impairments(options);
        CaptureOptions.check(options);
    }

    /** --tap, or null when --udp-tunnel stands instead; one of them is required, not both. */
    static String tapName(final Options options)
    {
        final boolean tunnel = options.has("udp-tunnel");
        if (options.has("tap") == tunnel)
        {
            throw new Options.UsageException(tunnel ? "--tap and --udp-tunnel exclude each other: give one"
                : "--tap NAME (or --udp-tunnel LOCAL_PORT:HOST:PORT) is required");
        }
        return tunnel ? null : tapName(options.get("tap"));
    }

    /** A TAP name Linux accepts, or a {@link Options.UsageException} naming --tap. */
    static String tapName(final String name)
    {
        if (name.isEmpty() || name.length() > MAX_TAP_NAME || !name.matches("[A-Za-z0-9_.:-]+")
            || ".".equals(name) || "..".equals(name))
        {
            throw new Options.UsageException("--tap must be an interface name of 1.." + MAX_TAP_NAME
                + " letters, digits or ._:-, not '" + name + "'");
        }
        return name;
    }

    /**
     * The stack's address from --ip: a host address with its prefix length. Refused: a missing prefix (no silent
     * /24), /0, and addresses no host may have: unspecified (0.0.0.0/8, RFC 1122 §3.2.1.3), loopback (127/8),
     * multicast (224/4), reserved and limited broadcast (240/4), and, below /31, the subnet's own network and
     * broadcast addresses (RFC 3021 lets /31 and /32 use every address).
     */
    static Interface ip(final Options options)
    {
        final String text = options.get("ip");
        final String what = "--ip must be a host address and a prefix length 1..32 like 10.0.0.2/24, not '" + text
            + "'";
        final int slash = text.indexOf('/');
        if (slash < 0)
        {
            throw new Options.UsageException(what + " (the prefix length is missing)");
        }
        if (!text.substring(slash + 1).matches("[0-9]{1,2}"))
        {
            throw new Options.UsageException(what);
        }
        final int address;
        try
        {
            address = Ipv4Address.parse(text.substring(0, slash));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Options.UsageException(what);
        }
        final int prefix = Integer.parseInt(text.substring(slash + 1));
        if (prefix < 1 || prefix > 32)
        {
            throw new Options.UsageException(what + " (the prefix length is out of range)");
        }
        final String special = special(address);
        if (special != null)
        {
            throw new Options.UsageException(what + " (" + special + ")");
        }
        if (prefix <= 30)
        {
            final int host = address & ~Ipv4Address.mask(prefix);
            if (host == 0)
            {
                throw new Options.UsageException(what + " (the subnet's network address)");
            }
            if (host == ~Ipv4Address.mask(prefix))
            {
                throw new Options.UsageException(what + " (the subnet's broadcast address)");
            }
        }
        return new Interface(address, prefix);
    }

    /** Why no host may have {@code address}, or null if one may. */
    private static String special(final int address)
    {
        if ((address >>> 24) == 0)
        {
            return "an unspecified address, 0.0.0.0/8";
        }
        if (Ipv4Address.isLoopback(address))
        {
            return "a loopback address, 127.0.0.0/8";
        }
        if (Ipv4Address.isMulticast(address))
        {
            return "a multicast address, 224.0.0.0/4";
        }
        if ((address & 0xF000_0000) == 0xF000_0000)
        {
            return address == Ipv4Address.BROADCAST ? "the limited broadcast address"
                : "a reserved address, 240.0.0.0/4";
        }
        return null;
    }

    /** --gateway: none, or a host address on the stack's subnet other than its own. */
    static int gateway(final Options options, final Interface ip)
    {
        final String text = options.get("gateway");
        if ("none".equals(text))
        {
            return Ipv4Address.ANY;
        }
        final String what = "--gateway must be none or another host's address on the stack's subnet "
            + Ipv4Address.toString(ip.address() & Ipv4Address.mask(ip.prefixLength())) + "/" + ip.prefixLength()
            + ", not '" + text + "'";
        final int gateway;
        try
        {
            gateway = Ipv4Address.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Options.UsageException(what);
        }
        if (special(gateway) != null || gateway == ip.address()
            || !Ipv4Address.sameSubnet(gateway, ip.address(), ip.prefixLength()))
        {
            throw new Options.UsageException(what);
        }
        return gateway;
    }

    /** --mtu, by the one rule {@link StackConfig#MTU_RULE} states. */
    static int mtu(final Options options)
    {
        final String text = options.get("mtu");
        try
        {
            final int mtu = Integer.parseInt(text);
            if (mtu >= StackConfig.MIN_MTU && mtu <= StackConfig.MAX_MTU)
            {
                return mtu;
            }
        }
        catch (final NumberFormatException ex)
        {
            // below
        }
        throw new Options.UsageException("--" + StackConfig.MTU_RULE + ", not '" + text + "'");
    }

    /** --mac: unset (-1), or a unicast MAC other than all zeros. */
    static long mac(final Options options)
    {
        if (!options.has("mac"))
        {
            return -1;
        }
        final String text = options.get("mac");
        final String what = "--mac must be a unicast MAC like 02:00:00:00:00:01 (the first octet even), not '"
            + text + "'";
        final long mac;
        try
        {
            if (!text.matches("[0-9A-Fa-f]{1,2}([:-][0-9A-Fa-f]{1,2}){5}"))
            {
                throw new Options.UsageException(what);
            }
            mac = MacAddress.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Options.UsageException(what);
        }
        if (mac == 0 || MacAddress.isMulticast(mac))
        {
            throw new Options.UsageException(what);
        }
        return mac;
    }

    /** --seed when given. */
    static Long seed(final Options options)
    {
        return options.has("seed") ? options.getLong("seed") : null;
    }

    /** Must run before the first logger is created. */
    static void configureLogging(final Options options)
    {
        configureLogging(options.has("verbose"));
    }

    /**
     * Must run before the first logger is created: {@link Main} calls it before a command's class (and its
     * static loggers) loads.
     */
    static void configureLogging(final boolean verbose)
    {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "info");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
    }

    static StackConfig stackConfig(final Options options)
    {
        check(options);
        final Interface ip = ip(options);
        final StackConfig config = new StackConfig()
            .ipAddress(ip.address())
            .prefixLength(ip.prefixLength())
            .gateway(gateway(options, ip))
            .mtu(mtu(options))
            .macAddress(mac(options))
            .linkType(options.has("tun") ? StackConfig.LinkType.RAW_IP : StackConfig.LinkType.ETHERNET);
        final Long seed = seed(options);
        if (seed != null)
        {
            config.seed(seed);
        }
        return config;
    }

    /**
     * A {@link TapStack} builder for the options: device, addresses, mode, and the impairments and capture
     * wrapped around the TAP. Every option is checked here, before anything is opened, so that a mistake is a
     * {@link Options.UsageException} rather than a half-opened TAP. A capture file is closed by the stack after
     * it stops ({@link TapStack.Builder#closeAfter}).
     */
    static TapStack.Builder tapStack(final Options options)
    {
        final StackConfig checked = stackConfig(options);
        final UdpTunnelDevice.Endpoints tunnel = udpTunnel(options);
        final TapStack.Builder builder = TapStack.builder().mode(mode(options)).tap(tapName(options))
            .idleBackoff(idle(options))
            .mtu(checked.mtu())
            .offload(!options.has("no-offload") && ImpairmentOptions.impairments(options).isNone())
            .tun(checked.linkType() == StackConfig.LinkType.RAW_IP)
            .ip(Ipv4Address.toString(checked.ipAddress()) + "/" + checked.prefixLength());
        if (checked.gateway() != Ipv4Address.ANY)
        {
            builder.gateway(Ipv4Address.toString(checked.gateway()));
        }
        if (checked.macAddress() != -1)
        {
            builder.mac(MacAddress.toString(checked.macAddress()));
        }
        if (checked.isSeedSet())
        {
            builder.seed(checked.seed());
        }
        if (tunnel != null)
        {
            // opened last, after every check: the stack closes it when it stops (or fails to start)
            final UdpTunnelDevice link = UdpTunnelDevice.open(tunnel.localPort(), tunnel.peer(), checked.mtu());
            builder.link(link).closeAfter(() -> System.out.println(link.describe()));
        }
        return builder.device(device -> wrap(options, device, builder::closeAfter));
    }

    /** --udp-tunnel: null for none, else the local port and the peer (resolved once); only in shared mode. */
    static UdpTunnelDevice.Endpoints udpTunnel(final Options options)
    {
        if (!options.has("udp-tunnel"))
        {
            return null;
        }
        if (options.has("mode") && mode(options) != TapStack.Mode.SHARED)
        {
            throw new Options.UsageException("--udp-tunnel runs in shared mode only, not --mode "
                + options.get("mode"));
        }
        try
        {
            return UdpTunnelDevice.parse(options.get("udp-tunnel"));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Options.UsageException("--udp-tunnel: " + ex.getMessage());
        }
    }

    /** --idle SPINS,YIELDS,MAX_PARK_MS: the stack thread's {@link IdleBackoff}. */
    static IdleBackoff idle(final Options options)
    {
        final String text = options.get("idle");
        final String[] parts = text.split(",", -1);
        try
        {
            if (parts.length == 3)
            {
                final long maxParkMs = Long.parseLong(parts[2].trim());
                if (maxParkMs >= 1 && maxParkMs <= 60_000)
                {
                    return new IdleBackoff(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
                        maxParkMs * 1_000_000);
                }
            }
        }
        catch (final IllegalArgumentException ex)
        {
            // told below, with what is accepted
        }
        throw new Options.UsageException("--idle must be SPINS,YIELDS,MAX_PARK_MS (0..1000000, 0..1000000, "
            + "1..60000), not '" + text + "'");
    }

    static TapStack.Mode mode(final Options options)
    {
        final String mode = options.get("mode");
        return switch (mode)
        {
            case "shared" -> TapStack.Mode.SHARED;
            case "dedicated" -> TapStack.Mode.DEDICATED;
            default -> throw new Options.UsageException("--mode must be shared or dedicated, not '" + mode + "'");
        };
    }

    /**
     * Wraps the device in the impairments and the captures the options ask for ({@link CaptureOptions}).
     *
     * @param closeAfter takes what must be closed after the stack (the pcap writers, the trace)
     */
    static FrameDevice wrap(final Options options, final FrameDevice device,
        final java.util.function.Consumer<AutoCloseable> closeAfter)
    {
        return CaptureOptions.wrap(options, device, d -> impair(options, d), closeAfter);
    }

    static FrameDevice impair(final Options options, final FrameDevice device)
    {
        final Long seed = seed(options);
        return ImpairmentOptions.impair(options, device, seed != null ? seed : DEFAULT_IMPAIRMENT_SEED);
    }
}
