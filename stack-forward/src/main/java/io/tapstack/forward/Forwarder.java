package io.tapstack.forward;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.tap.TapConfig;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapIoThreads;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.SystemNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * {@link ForwardEngine} relays them through host sockets. TAP reader and writer threads move frames (dedicated
 * mode); the stack, the engine and the services run on one more thread ({@link ForwardLoop}).
 */
public final class Forwarder implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);

    private final TapIoThreads io;
    private final NetStack stack;
    private final ForwardEngine engine;
    private final ForwardLoop loop;

    private Forwarder(final Builder b)
    {
        final TapDevice tap = b.tapDevice != null ? b.tapDevice
            : TapDevice.open(new TapConfig().name(b.tap).mtu(b.stackConfig.mtu()).up(true));
        TapIoThreads threads = null;
        try
        {
            threads = new TapIoThreads(tap, TapIoThreads.DEFAULT_RING_CAPACITY, TapIoThreads.DEFAULT_BURST, true)
                .start();
            this.stack = new NetStack(b.stackConfig.gatewayMode(true), threads.device());
            this.engine = new ForwardEngine(stack, b.config);
            this.loop = new ForwardLoop(stack, engine, threads.device(), SystemNanoClock.INSTANCE,
                "tapstack-forward-" + tap.name());
            for (final Function<NetStack, ForwardLoop.DutyCycle> service : b.services)
            {
                loop.add(service.apply(stack));
            }
        }
        catch (final RuntimeException ex)
        {
            if (threads != null)
            {
                threads.close();
            }
            else
            {
                tap.close();
            }
            throw ex;
        }
        this.io = threads;
        loop.start();
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

    /** The stack's non-zero counters, then the engine's (FWD_*): what /stats shows. Any thread. */
    public Map<String, Long> stats()
    {
        final Map<String, Long> out = new LinkedHashMap<>(stack.counters().snapshot());
        out.putAll(engine.counters().snapshot());
        return out;
    }

    @Override
    public void close()
    {
        loop.close();
        engine.close();
        io.close();
    }

    /** What the forwarder runs on and how. */
    public static final class Builder
    {
        private String tap = "tap0";
        private TapDevice tapDevice;
        private final StackConfig stackConfig = new StackConfig();
        private final ForwardConfig config = new ForwardConfig();
        private final List<Function<NetStack, ForwardLoop.DutyCycle>> services = new ArrayList<>();

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

        public Forwarder start()
        {
            stackConfig.validate();
            config.validate();
            return new Forwarder(this);
        }
    }
}
