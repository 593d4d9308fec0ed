package io.tapstack.tap;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;
import io.tapstack.socket.Idler;
import io.tapstack.socket.SocketConfig;
import io.tapstack.socket.SocketStack;
import io.tapstack.socket.StackRunner;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.agrona.concurrent.SystemNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A stack on a Linux TAP device, running on its own thread, with the socket API in front:
 * <pre>{@code
 * try (TapStack stack = TapStack.builder().tap("tap0").ip("10.0.0.2/24").start()) {
 *     TcpServerSocket server = stack.sockets().listen(7);
 *     ...
 * }
 * }</pre>
 * The TAP is opened, or created (root or CAP_NET_ADMIN), and brought up; give its kernel side an address on the
 * same subnet (in a network namespace of your own).
 */
public final class TapStack implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TapStack.class);

    /** Who moves frames between the TAP and the stack. */
    public enum Mode
    {
        /** One thread reads and writes the TAP and runs the stack (fewest threads, lowest latency). */
        SHARED,
        /** TAP reader and writer threads with rings to the stack thread. */
        DEDICATED
    }

    private final TapIoThreads ioThreads;
    private final WaitableFrameDevice waitable;
    private final NetStack stack;
    private final SocketStack sockets;
    private final StackRunner runner;
    private final Mode mode;
    private final String linkName;
    private final List<AutoCloseable> closeAfter;

    private TapStack(final Builder b)
    {
        // a link of the caller's own (a UDP tunnel) instead of a TAP: no TAP opened, SHARED mode
        final TapDevice device = b.link != null ? null
            : TapDevice.open(new TapConfig().name(b.tap).mtu(b.config.mtu()).up(true));
        WaitableFrameDevice w;
        TapIoThreads threads = null;
        try
        {
            if (b.link != null)
            {
                w = b.link;
            }
            else if (b.mode == Mode.DEDICATED)
            {
                threads = new TapIoThreads(device, TapIoThreads.DEFAULT_RING_CAPACITY, TapIoThreads.DEFAULT_BURST, true)
                    .start();
                w = threads.device();
            }
            else
            {
                w = new TapFrameDevice(device, true);
            }
            final FrameDevice wrapped = b.deviceWrapper.apply(w);
            this.stack = new NetStack(b.config, wrapped);
        }
        catch (final RuntimeException ex)
        {
            if (threads != null)
            {
                threads.close();
            }
            if (device != null)
            {
                device.close();
            }
            else
            {
                b.link.close();
            }
            closeAll(b.closeAfter);
            throw ex;
        }
        this.ioThreads = threads;
        this.waitable = w;
        this.mode = b.link != null ? Mode.SHARED : b.mode;
        this.linkName = device != null ? device.name() : b.link.toString();
        this.closeAfter = new ArrayList<>(b.closeAfter);
        this.sockets = new SocketStack(stack, b.socketConfig);
        final WaitableFrameDevice idleOn = w;
        this.runner = new StackRunner(new Idler()
        {
            @Override
            public void idle(final long timeoutNs)
            {
                idleOn.awaitReadable(timeoutNs);
            }

            @Override
            public void wakeup()
            {
                idleOn.wakeup();
            }
        }, SystemNanoClock.INSTANCE, "tapstack-" + (device != null ? device.name() : "link")).add(sockets);
        runner.start();
        LOG.info("stack {}/{} (MAC {}) on {} in {} mode", Ipv4Address.toString(stack.ipAddress()),
            b.config.prefixLength(), MacAddress.toString(stack.macAddress()), linkName,
            mode.name().toLowerCase());
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** What applications call: listen, connect, UDP, ping. */
    public SocketStack sockets()
    {
        return sockets;
    }

    /** Counters, config and addresses; the stack's protocol objects belong to the stack thread. */
    public NetStack stack()
    {
        return stack;
    }

    /** The TAP's name, or the {@link Builder#link}'s description when the stack runs on one. */
    public String tapName()
    {
        return linkName;
    }

    public Mode mode()
    {
        return mode;
    }

    /** Fails every socket, stops the stack thread, closes the TAP (or the {@link Builder#link}). */
    @Override
    public void close()
    {
        runner.close();
        if (ioThreads != null)
        {
            ioThreads.close();
        }
        else
        {
            waitable.close();
        }
        closeAll(closeAfter);
    }

    private static void closeAll(final List<AutoCloseable> resources)
    {
        for (final AutoCloseable c : resources)
        {
            try
            {
                c.close();
            }
            catch (final Exception ex)
            {
                LOG.warn("closing {} failed", c, ex);
            }
        }
    }

    /** Options of a {@link TapStack}; {@link #tap} and {@link #ip} are required. */
    public static final class Builder
    {
        private String tap;
        private final StackConfig config = new StackConfig();
        private boolean ipSet;
        private Mode mode = Mode.SHARED;
        private SocketConfig socketConfig = new SocketConfig();
        private UnaryOperator<FrameDevice> deviceWrapper = UnaryOperator.identity();
        private final List<AutoCloseable> closeAfter = new ArrayList<>();
        private WaitableFrameDevice link;

        public Builder tap(final String name)
        {
            this.tap = name;
            return this;
        }

        /**
         * Runs the stack on {@code device} (a {@link UdpTunnelDevice}, say) instead of a TAP: no TAP is opened,
         * {@link #tap} and {@link #mode} are ignored (SHARED), and the stack closes the device when it stops.
         */
        public Builder link(final WaitableFrameDevice device)
        {
            this.link = device;
            return this;
        }

        /** The stack's address and prefix length, "10.0.0.2/24". */
        public Builder ip(final String cidr)
        {
            config.ipAddress(cidr);
            ipSet = true;
            return this;
        }

        public Builder gateway(final String address)
        {
            config.gateway(Ipv4Address.parse(address));
            return this;
        }

        /** The link MTU, set on the TAP too; {@link StackConfig#MTU_RULE} says what it may be. */
        public Builder mtu(final int mtu)
        {
            if (mtu < StackConfig.MIN_MTU || mtu > StackConfig.MAX_MTU)
            {
                throw new IllegalArgumentException(StackConfig.MTU_RULE + ", not " + mtu);
            }
            config.mtu(mtu);
            return this;
        }

        public Builder mac(final String mac)
        {
            config.macAddress(MacAddress.parse(mac));
            return this;
        }

        public Builder mode(final Mode mode)
        {
            this.mode = mode;
            return this;
        }

        /**
         * Seeds the MAC (unless {@link #mac} sets it), the IP identification start and impairments: a run that
         * repeats. Without it each stack draws its MAC from {@code SecureRandom}.
         */
        public Builder seed(final long seed)
        {
            config.seed(seed);
            return this;
        }

        /** Any other stack setting (TCP buffers, timeouts, limits). */
        public Builder configure(final Consumer<StackConfig> change)
        {
            change.accept(config);
            return this;
        }

        public Builder socketConfig(final SocketConfig socketConfig)
        {
            this.socketConfig = socketConfig;
            return this;
        }

        /** Wraps the TAP's device: impairments ({@code ImpairedDevice}), captures ({@code CaptureDevice}). */
        public Builder device(final UnaryOperator<FrameDevice> wrapper)
        {
            this.deviceWrapper = wrapper;
            return this;
        }

        /**
         * Closes {@code resource} after the stack and the TAP (a pcap writer behind a capture device, say), or
         * when {@link #start()} fails; may be called from the {@link #device} wrapper while the stack starts.
         */
        public Builder closeAfter(final AutoCloseable resource)
        {
            closeAfter.add(resource);
            return this;
        }

        /** Opens the TAP and starts the stack thread. */
        public TapStack start()
        {
            if ((tap == null && link == null) || !ipSet)
            {
                throw new IllegalArgumentException("a TapStack needs tap(NAME) (or link(DEVICE)) and ip(A.B.C.D/N)");
            }
            return new TapStack(this);
        }
    }
}
