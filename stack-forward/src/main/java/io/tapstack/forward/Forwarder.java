package io.tapstack.forward;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.forward.control.ControlServer;
import io.tapstack.forward.control.PortForward;
import io.tapstack.forward.control.PortForwards;
import io.tapstack.forward.dhcp.DhcpConfig;
import io.tapstack.forward.dhcp.DhcpServer;
import io.tapstack.forward.dns.DnsForwarder;
import io.tapstack.forward.dns.DnsForwarderConfig;
import io.tapstack.tap.TapConfig;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapFrameDevice;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.SystemNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * User-mode networking for a guest on a TAP, in a few lines:
 * <pre>{@code
 * try (Forwarder f = Forwarder.builder().tap("tap0").gateway("10.0.2.2/24")
 *         .configure(c -> c.hostLoopbackAddress("10.0.2.2")).start()) { ... }
 * }</pre>
 * The guest (a namespace or VM on the TAP's other end) takes an address on the subnet and the gateway as its default
 * route. A stack in gateway mode answers ARP and ping for the gateway and terminates the guest's TCP and UDP;
 * {@link ForwardEngine} relays them through host sockets. The stack, the engine and the services run on one thread
 * ({@link ForwardLoop}), which reads and writes the TAP itself ({@link TapFrameDevice}: shared mode, with checksum
 * and TSO4 offloads when it opens the TAP); a {@link TapWatcher} only wakes it when it blocks.
 */
public final class Forwarder implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);

    private final TapFrameDevice device;
    private final NetStack stack;
    private final ForwardEngine engine;
    private final ForwardLoop loop;
    private final PortForwards portForwards;
    private DhcpServer dhcp;
    private DnsForwarder dns;
    private ControlServer control;

    private Forwarder(final Builder b)
    {
        // offloads: the guest's TCP comes in super-frames of up to 64 KiB and ours leaves in them (TSO4)
        final TapDevice tap = b.tapDevice != null ? b.tapDevice
            : TapDevice.open(new TapConfig().name(b.tap).mtu(b.stackConfig.mtu()).offload(true).up(true));
        TapFrameDevice frames = null;
        try
        {
            frames = new TapFrameDevice(tap, true);
            this.stack = new NetStack(b.stackConfig.gatewayMode(true), frames);
            this.engine = new ForwardEngine(stack, b.config);
            this.loop = new ForwardLoop(stack, engine, frames, SystemNanoClock.INSTANCE,
                "tapstack-forward-" + tap.name());
            if (b.dhcp != null)
            {
                if (b.dhcp.mtu() == 0)
                {
                    b.dhcp.mtu(b.stackConfig.mtu()); // RFC 2132 §5.1: the link's MTU
                }
                dhcp = DhcpServer.install(stack, b.dhcp);
                loop.add(dhcp::doWork);
                engine.guestAddress(dhcp::lastLeasedAddress);
            }
            if (b.dns != null)
            {
                dns = DnsForwarder.install(stack, b.dns);
                loop.add(new DnsDutyCycle(dns));
            }
            for (final Function<NetStack, ForwardLoop.DutyCycle> service : b.services)
            {
                loop.add(service.apply(stack));
            }
            for (final PortForward forward : b.portForwards)
            {
                try
                {
                    engine.addPortForward(forward); // before the loop runs: this thread may still touch the engine
                }
                catch (final IOException | RuntimeException ex)
                {
                    engine.close();
                    throw new UncheckedIOException(new IOException("port forward " + forward + ": " + ex.getMessage(),
                        ex));
                }
            }
        }
        catch (final RuntimeException ex)
        {
            if (frames != null)
            {
                frames.close();
            }
            else
            {
                tap.close();
            }
            throw ex;
        }
        this.device = frames;
        this.portForwards = new LoopPortForwards(loop, engine);
        loop.start();
        if (b.control != null)
        {
            try
            {
                control = ControlServer.start(b.control, portForwards);
            }
            catch (final IOException | RuntimeException ex)
            {
                close();
                throw new IllegalStateException("control API on " + b.control + ": " + ex.getMessage(), ex);
            }
        }
        LOG.info("forwarding for {} on {}: host loopback at {}, allow {}, deny {}",
            Ipv4Address.toString(stack.ipAddress()) + "/" + b.stackConfig.prefixLength(), tap.name(),
            b.config.hostLoopbackAddress() == 0 ? "off" : Ipv4Address.toString(b.config.hostLoopbackAddress()),
            b.config.allow().isEmpty() ? "all" : b.config.allow(), b.config.deny());
    }

    public static Builder builder()
    {
        return new Builder();
    }

    public NetStack stack()
    {
        return stack;
    }

    public ForwardEngine engine()
    {
        return engine;
    }

    public ForwardLoop loop()
    {
        return loop;
    }

    /** The port forwards, to add, remove and list from any thread (each call waits for the engine's thread). */
    public PortForwards portForwards()
    {
        return portForwards;
    }

    /** The DHCP server, or null when none runs. */
    public DhcpServer dhcp()
    {
        return dhcp;
    }

    /** The DNS forwarder, or null when none runs. */
    public DnsForwarder dns()
    {
        return dns;
    }

    /** Where the control API answers, or null when it does not run. */
    public InetSocketAddress controlAddress()
    {
        return control == null ? null : control.address();
    }

    /** The stack's non-zero counters, then the engine's (FWD_*): what /stats shows. Any thread. */
    public Map<String, Long> stats()
    {
        final Map<String, Long> out = new LinkedHashMap<>(stack.counters().snapshot());
        out.putAll(engine.counters().snapshot());
        if (dhcp != null)
        {
            out.putAll(dhcp.counters().snapshot());
        }
        if (dns != null)
        {
            out.putAll(dns.counters().snapshot());
        }
        return out;
    }

    @Override
    public void close()
    {
        if (control != null)
        {
            control.close();
        }
        loop.close();
        engine.close();
        device.close();
    }

    /** What the forwarder runs on and how. */
    public static final class Builder
    {
        private String tap = "tap0";
        private TapDevice tapDevice;
        private final StackConfig stackConfig = new StackConfig();
        private final ForwardConfig config = new ForwardConfig();
        private final List<Function<NetStack, ForwardLoop.DutyCycle>> services = new ArrayList<>();
        private final List<PortForward> portForwards = new ArrayList<>();
        private DhcpConfig dhcp;
        private DnsForwarderConfig dns;
        private InetSocketAddress control;

        /** The TAP to open (or create: root or CAP_NET_ADMIN) and bring up. */
        public Builder tap(final String name)
        {
            this.tap = name;
            return this;
        }

        /** A TAP already open (a test moves it into a namespace first); closed with the forwarder. */
        public Builder tapDevice(final TapDevice device)
        {
            this.tapDevice = device;
            return this;
        }

        /** The gateway's address and the guest's subnet, "10.0.2.2/24". */
        public Builder gateway(final String cidr)
        {
            stackConfig.ipAddress(cidr);
            return this;
        }

        public Builder mtu(final int mtu)
        {
            stackConfig.mtu(mtu);
            return this;
        }

        public Builder stack(final Consumer<StackConfig> change)
        {
            change.accept(stackConfig);
            return this;
        }

        public Builder configure(final Consumer<ForwardConfig> change)
        {
            change.accept(config);
            return this;
        }

        /**
         * A service on the engine's thread, made from the stack once it exists: where the DHCP server
         * (io.tapstack.forward.dhcp) and the DNS forwarder (io.tapstack.forward.dns) go.
         */
        public Builder service(final Function<NetStack, ForwardLoop.DutyCycle> service)
        {
            services.add(service);
            return this;
        }

        /**
         * Runs a DHCP server (RFC 2131) on the gateway's address; a config without an MTU gets the link's. Inbound
         * port forwards then lead to its latest lease unless {@link ForwardConfig#guestAddress} is set.
         */
        public Builder dhcp(final DhcpConfig dhcpConfig)
        {
            this.dhcp = dhcpConfig;
            return this;
        }

        /** Runs a DNS forwarder on the gateway's port 53, to the host's resolvers. */
        public Builder dns(final DnsForwarderConfig dnsConfig)
        {
            this.dns = dnsConfig;
            return this;
        }

        /** An inbound port forward opened at start (repeatable). */
        public Builder portForward(final PortForward forward)
        {
            portForwards.add(forward);
            return this;
        }

        /** Starts the control API (JSON over HTTP) on this loopback address; port 0 picks one. */
        public Builder control(final InetSocketAddress address)
        {
            this.control = address;
            return this;
        }

        public Forwarder start()
        {
            stackConfig.validate();
            config.validate();
            return new Forwarder(this);
        }
    }
}
