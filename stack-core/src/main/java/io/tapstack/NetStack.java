package io.tapstack;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.FrameHandler;
import io.tapstack.ip.EchoListener;
import io.tapstack.ip.IcmpLayer;
import io.tapstack.ip.Ipv4Layer;
import io.tapstack.link.ArpLayer;
import io.tapstack.link.EthernetArpLink;
import io.tapstack.link.EthernetLayer;
import io.tapstack.link.RawIpLink;
import io.tapstack.tcp.TcpLayer;
import io.tapstack.time.RandomSource;
import io.tapstack.time.Secrets;
import io.tapstack.udp.UdpLayer;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;

/**
 * The composition root: one device and the layers above it. Whoever drives it reads the clock once per duty
 * cycle and hands that time to {@link #doWork(long)} (and to every call made between cycles), so the stack never
 * reads a clock itself and runs the same way in a simulation as on a TAP.
 *
 * <p>{@link StackConfig#linkType} picks what attaches IPv4 to the device: Ethernet with ARP (a TAP), or bare IPv4
 * packets (a TUN, {@link RawIpLink}), where the Ethernet and ARP layers exist but see no frame.
 *
 * <p>Owned by one thread (the one calling {@link #doWork}); every method except {@link #counters()} must be
 * called on it.
 */
public final class NetStack
{
    private static final Logger LOG = LoggerFactory.getLogger(NetStack.class);

    private final StackConfig config;
    private final FrameDevice device;
    private final StackCounters counters = new StackCounters();
    private final RandomSource random;
    private final EthernetLayer ethernet;
    private final ArpLayer arp;
    /** The device's frames go here first: Ethernet, or the raw IP link. */
    private final FrameHandler link;
    private final boolean rawIp;
    private final Ipv4Layer ipv4;
    private final IcmpLayer icmp;
    private final TcpLayer tcp;
    private final UdpLayer udp;
    private final int receiveBurst;
    /** The device's handler: one frame up the layers, a failure contained to that frame. */
    private final FrameHandler input = new FrameHandler()
    {
        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
        {
            NetStack.this.onFrame(buffer, offset, length, CHECKSUM_UNVERIFIED, nowNs);
        }

        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length,
            final int checksumState, final long nowNs)
        {
            NetStack.this.onFrame(buffer, offset, length, checksumState, nowNs);
        }
    };
    private boolean started;

    /** A stack on {@code device}; it runs when its owner calls {@link #doWork} with the time. */
    public NetStack(final StackConfig config, final FrameDevice device)
    {
        this.config = config.validate();
        this.device = device;
        this.random = new RandomSource(config.seed());
        final long seededMac = random.nextLong(); // drawn always, so the seeded choices after it stay the same
        final long mac = config.macAddress() != -1 ? config.macAddress()
            : MacAddress.locallyAdministered(config.isSeedSet() ? seededMac : new SecureRandom().nextLong());
        this.receiveBurst = config.receiveBurst();
        this.ethernet = new EthernetLayer(device, mac, counters);
        this.arp = new ArpLayer(config, ethernet, counters);
        this.rawIp = config.linkType() == StackConfig.LinkType.RAW_IP;
        final RawIpLink rawIpLink = rawIp ? new RawIpLink(device, counters) : null;
        this.ipv4 = new Ipv4Layer(config, rawIp ? rawIpLink : new EthernetArpLink(ethernet, arp), counters,
            random.nextInt());
        this.link = rawIp ? rawIpLink : ethernet;
        // asked once: with yes, TCP writes pseudo-header sums and the device (virtio-net NEEDS_CSUM) completes them
        ipv4.tcpChecksumOffload(!rawIp && device.offloadTcpChecksums());
        if (rawIp)
        {
            rawIpLink.ipv4(ipv4);
        }
        this.icmp = new IcmpLayer(config, ipv4, counters);
        final Secrets secrets = config.repeatableSecrets() ? Secrets.repeatable(random.nextLong())
            : Secrets.unpredictable();
        this.tcp = new TcpLayer(ipv4, counters, config.tcp(), secrets);
        this.udp = new UdpLayer(config, ipv4, icmp, counters, secrets.randomSource());
        ethernet.register(EtherType.ARP, (buffer, offset, length, linkBroadcast, nowNs) ->
            arp.onPacket(buffer, offset, length, nowNs));
        ethernet.register(EtherType.IPV4, ipv4);
        ipv4.icmp(icmp);
        ipv4.register(IpProtocol.ICMP, icmp);
        ipv4.register(IpProtocol.TCP, tcp);
        ipv4.register(IpProtocol.UDP, udp);
    }

    /** Announces the stack (gratuitous ARP; nothing on a raw IP link). The first duty cycle calls it if not before. */
    public void start(final long nowNs)
    {
        if (!started)
        {
            started = true;
            if (rawIp)
            {
                LOG.info("stack up: {}/{} on a raw IP link", Ipv4Address.toString(config.ipAddress()),
                    config.prefixLength());
                return;
            }
            LOG.info("stack up: {}/{} at {}", Ipv4Address.toString(config.ipAddress()), config.prefixLength(),
                MacAddress.toString(ethernet.macAddress()));
            arp.announce(nowNs);
        }
    }

    /** One duty cycle at time {@code nowNs}: received frames first, then timers. Returns the work done. */
    public int doWork(final long nowNs)
    {
        if (!started)
        {
            start(nowNs);
        }
        onTime(nowNs);
        int work = device.receive(nowNs, input, receiveBurst);
        work += arp.onTimer(nowNs);
        work += ipv4.onTimer(nowNs);
        work += tcp.onTimer(nowNs);
        // a device that gathers TCP segments into super-frames sends them now: the cycle's output is complete
        device.flush();
        return work;
    }

    private void onFrame(final MutableDirectBuffer buffer, final int offset, final int length,
        final int checksumState, final long nowNs)
    {
        ipv4.receivedChecksum(checksumState);
        try
        {
            link.onFrame(buffer, offset, length, nowNs);
        }
        catch (final RuntimeException ex)
        {
            // a bug, never bad input (that is validated and counted): the layer that held state for this frame
            // has released it; keep the event loop alive, but say so loudly
            counters.increment(Counter.STACK_INTERNAL_ERRORS);
            LOG.error("internal error while handling a {}-byte frame; frame dropped", length, ex);
        }
        finally
        {
            ipv4.receivedChecksum(FrameHandler.CHECKSUM_UNVERIFIED);
        }
    }

    /**
     * The time of the duty cycle that starts: what the application does on the stack thread before {@link #doWork}
     * (the socket API's commands: connect, close, send, ping) happens at this time, and devices that stamp or delay
     * frames take it. {@link #doWork} calls it first itself.
     */
    public void onTime(final long nowNs)
    {
        tcp.onTime(nowNs);
        device.onTime(nowNs);
    }

    /** The earliest time at which {@link #doWork} has something to do without new input. */
    public long nextDeadlineNs()
    {
        return Math.min(Math.min(arp.nextDeadlineNs(), ipv4.nextDeadlineNs()),
            Math.min(tcp.nextDeadlineNs(), device.nextDeadlineNs()));
    }

    /**
     * Sends an ICMP echo request; replies go to the {@link #echoListener}.
     *
     * @param dataLength bytes of data after the 8-byte ICMP header (at least 8 to carry the send time)
     * @param nowNs the send time, stamped into the request: the RTT is the time of the duty cycle that reads the
     * reply minus this
     * @return false if it could not be sent now (no route, device full); counted
     */
    public boolean ping(final int destination, final int identifier, final int sequence, final int dataLength,
        final long nowNs)
    {
        return icmp.sendEchoRequest(destination, identifier, sequence, dataLength, nowNs);
    }

    public void echoListener(final EchoListener listener)
    {
        icmp.echoListener(listener);
    }

    /** Readable from any thread. */
    public StackCounters counters()
    {
        return counters;
    }

    public StackConfig config()
    {
        return config;
    }

    public long macAddress()
    {
        return ethernet.macAddress();
    }

    public int ipAddress()
    {
        return config.ipAddress();
    }

    public ArpLayer arp()
    {
        return arp;
    }

    public Ipv4Layer ipv4()
    {
        return ipv4;
    }

    public IcmpLayer icmp()
    {
        return icmp;
    }

    /** TCP on the stack thread: listen, connect, and the connections' events. */
    public TcpLayer tcp()
    {
        return tcp;
    }

    /** UDP on the stack thread: bind ports, send, and receive from the endpoints' queues. */
    public UdpLayer udp()
    {
        return udp;
    }

    public FrameDevice device()
    {
        return device;
    }
}
