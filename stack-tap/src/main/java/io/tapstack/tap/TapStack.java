package io.tapstack.tap;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;
import io.tapstack.socket.IdleBackoff;
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
    /** Received frames stay in the TAP until {@link #releaseFrames()} when the builder asked to hold them. */
    private final FrameHold hold;

    private TapStack(final Builder b)
    {
        // a link of the caller's own (a UDP tunnel) instead of a TAP: no TAP opened, SHARED mode; else the device
        // follows the stack's link type: a TAP for Ethernet, a TUN (IFF_TUN | IFF_NO_PI) for bare IPv4
        final TapDevice.Mode deviceMode = b.config.linkType() == StackConfig.LinkType.RAW_IP ? TapDevice.Mode.TUN
            : TapDevice.Mode.TAP;
        final TapDevice device = b.link != null ? null
            : TapDevice.open(new TapConfig().name(b.tap).mode(deviceMode).mtu(b.config.mtu()).up(true)
                .offload(b.offload && b.mode == Mode.SHARED));
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
            this.hold = new FrameHold(w, b.holdFrames);
            // only a stack that holds pays for the wrapper's call per frame
            final FrameDevice wrapped = b.deviceWrapper.apply(b.holdFrames ? hold : w);
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
        final FrameHold held = hold;
        this.runner = new StackRunner(new Idler()
        {
            @Override
            public void idle(final long timeoutNs)
            {
                if (held.isHeld())
                {
                    held.idle(timeoutNs);
                }
                else
                {
                    idleOn.awaitReadable(timeoutNs);
                }
            }

            @Override
            public void wakeup()
            {
                held.wakeup();
                idleOn.wakeup();
            }
        }, SystemNanoClock.INSTANCE, "tapstack-" + (device != null ? device.name() : "link"), b.idleBackoff)
            .add(sockets);
        runner.start();
        LOG.info("stack {}/{} ({}) on {} in {} mode", Ipv4Address.toString(stack.ipAddress()),
            b.config.prefixLength(), deviceMode == TapDevice.Mode.TUN ? "raw IP, no MAC"
                : "MAC " + MacAddress.toString(stack.macAddress()), linkName, mode.name().toLowerCase());
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

    /** Times the stack thread parked with nothing to do (see {@link IdleBackoff}); any thread. */
    public long stackThreadParks()
    {
        return runner.parks();
    }

    /**
     * The TAP's offload counts, kept on its device rather than in the stack's counters: super-frames the kernel
     * handed the stack ({@code tap_rx_super_frames}), super-frames written for the kernel to cut
     * ({@code tap_tx_super_frames}) and the segments in them ({@code tap_tx_segments_in_super_frames}). Empty without
     * offloads. Any thread; a snapshot to print, not for a fast path.
     */
    public java.util.Map<String, Long> offloadCounts()
    {
        final java.util.Map<String, Long> counts = new java.util.LinkedHashMap<>();
        if (waitable instanceof TapFrameDevice && ((TapFrameDevice)waitable).offloads() != 0)
        {
            final TapFrameDevice d = (TapFrameDevice)waitable;
            counts.put("tap_rx_super_frames", d.superFramesReceived());
            counts.put("tap_tx_super_frames", d.superFramesTransmitted());
            counts.put("tap_tx_segments_in_super_frames", d.segmentsInSuperFramesTransmitted());
        }
        return counts;
    }

    /**
     * Lets the stack read the frames the TAP received, after {@link Builder#holdFrames()}: call it once the
     * listeners are open, so that the first SYN finds them. Idempotent; any thread.
     */
    public void releaseFrames()
    {
        hold.release();
    }

    /** Whether received frames are still held in the TAP ({@link Builder#holdFrames()}). */
    public boolean framesHeld()
    {
        return hold.isHeld();
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
        private IdleBackoff idleBackoff = IdleBackoff.defaults();
        private UnaryOperator<FrameDevice> deviceWrapper = UnaryOperator.identity();
        private final List<AutoCloseable> closeAfter = new ArrayList<>();
        private boolean holdFrames;
        private WaitableFrameDevice link;
        private boolean offload = true;

        Builder()
        {
            // a duty cycle reads up to receiveBurst frames from the TAP and each frame sent is a write(2): one
            // answer per connection per burst halves a segment's turnaround there (BurstAckConfig, RFC 9293 §3.8.6.3)
            config.tcp().burstAcks.enabled(true);
        }

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

        /**
         * Runs on a TUN instead of a TAP: the device carries bare IPv4 packets (IFF_TUN | IFF_NO_PI), the stack
         * sends them without Ethernet or ARP ({@link StackConfig.LinkType#RAW_IP}). The kernel side is a
         * point-to-point interface: give it a peer address ({@code ip addr add A peer B dev NAME}).
         */
        public Builder tun(final boolean tun)
        {
            config.linkType(tun ? StackConfig.LinkType.RAW_IP : StackConfig.LinkType.ETHERNET);
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
         * Checksum and TCP segmentation offloads on the TAP ({@link TapConfig#offload}): on by default where the
         * kernel supports them, in the SHARED mode (the DEDICATED mode's rings carry MTU-sized frames and never
         * asks). False keeps every frame at the MTU with full checksums, as before offloads existed.
         */
        public Builder offload(final boolean offload)
        {
            this.offload = offload;
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

        /**
         * How the stack thread waits when it has nothing to do: spins, then yields, then parks on the TAP until a
         * frame, a call or a deadline ({@link IdleBackoff#defaults()} unless set).
         */
        public Builder idleBackoff(final IdleBackoff backoff)
        {
            this.idleBackoff = java.util.Objects.requireNonNull(backoff, "backoff");
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

        /**
         * Starts the stack with the frames the TAP receives held there until {@link TapStack#releaseFrames()}:
         * the stack thread runs (the socket API's calls work, the stack may send) but reads nothing yet. A server
         * opens its listeners (TCP and UDP) first and then releases, so that a client that connects as soon as
         * the TAP appears finds them, instead of a reset (RFC 9293 §3.10.7.1: a SYN to no listener is reset).
         */
        public Builder holdFrames()
        {
            this.holdFrames = true;
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
