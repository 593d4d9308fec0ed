package io.tapstack;

import io.tapstack.dev.FrameDevice;
import io.tapstack.ip.EchoListener;
import io.tapstack.ip.IcmpLayer;
import io.tapstack.ip.Ipv4Layer;
import io.tapstack.link.ArpLayer;
import io.tapstack.link.EthernetLayer;
import io.tapstack.tcp.TcpLayer;
import io.tapstack.time.RandomSource;
import io.tapstack.udp.UdpLayer;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: one device, the layers above it, one clock. An Agrona {@link Agent}: each duty
 * cycle reads the clock once and hands that time to everything, so the stack never reads a clock itself and
 * runs the same way in a simulation as on a TAP.
 *
 * <p>Owned by one thread (the one calling {@link #doWork}); every method except {@link #counters()} must be
 * called on it.
 */
public final class NetStack implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(NetStack.class);

    private final StackConfig config;
    private final FrameDevice device;
    private final NanoClock clock;
    private final StackCounters counters = new StackCounters();
    private final RandomSource random;
    private final EthernetLayer ethernet;
    private final ArpLayer arp;
    private final Ipv4Layer ipv4;
    private final IcmpLayer icmp;
    private final TcpLayer tcp;
    private final UdpLayer udp;
    private final int receiveBurst;
    private boolean started;

    public NetStack(final StackConfig config, final FrameDevice device, final NanoClock clock)
    {
        this.config = config.validate();
        this.device = device;
        this.clock = clock;
        this.random = new RandomSource(config.seed());
        final long mac = config.macAddress() != -1 ? config.macAddress()
            : MacAddress.locallyAdministered(random.nextLong());
        this.receiveBurst = config.receiveBurst();
        this.ethernet = new EthernetLayer(device, mac, counters);
        this.arp = new ArpLayer(config, ethernet, counters);
        this.ipv4 = new Ipv4Layer(config, ethernet, arp, counters, random.nextInt());
        this.icmp = new IcmpLayer(config, ipv4, counters, clock);
        this.tcp = new TcpLayer(ipv4, counters, config.tcp(), random.split());
        this.udp = new UdpLayer(config, ipv4, icmp, counters, clock, random.split());
        ethernet.upperLayers(arp, ipv4);
        ipv4.icmp(icmp);
        ipv4.tcp(tcp);
        ipv4.udp(udp);
    }

    @Override
    public String roleName()
    {
        return "tapstack-" + Ipv4Address.toString(config.ipAddress());
    }

    @Override
    public void onStart()
    {
        start(clock.nanoTime());
    }

    /** Announces the stack (gratuitous ARP). Called by the first duty cycle if not before. */
    public void start(final long nowNs)
    {
        if (!started)
        {
            started = true;
            LOG.info("stack up: {}/{} at {}", Ipv4Address.toString(config.ipAddress()), config.prefixLength(),
                MacAddress.toString(ethernet.macAddress()));
            arp.announce(nowNs);
        }
    }

    @Override
    public int doWork()
    {
        return doWork(clock.nanoTime());
    }

    /** One duty cycle at time {@code nowNs}: received frames first, then timers. Returns the work done. */
    public int doWork(final long nowNs)
    {
        if (!started)
        {
            start(nowNs);
        }
        tcp.onTime(nowNs);
        int work = device.receive(nowNs, ethernet, receiveBurst);
        work += arp.onTimer(nowNs);
        work += ipv4.onTimer(nowNs);
        work += tcp.onTimer(nowNs);
        return work;
    }

    /** The earliest time at which {@link #doWork} has something to do without new input. */
    public long nextDeadlineNs()
    {
        return Math.min(Math.min(arp.nextDeadlineNs(), ipv4.nextDeadlineNs()),
            Math.min(tcp.nextDeadlineNs(), device.nextDeadlineNs()));
    }

    @Override
    public void onClose()
    {
        device.close();
    }

    /**
     * Sends an ICMP echo request; replies go to the {@link #echoListener}.
     *
     * @param dataLength bytes of data after the 8-byte ICMP header (at least 8 to carry the send time)
     * @return false if it could not be sent now (no route, device full); counted
     */
    public boolean ping(final int destination, final int identifier, final int sequence, final int dataLength)
    {
        return icmp.sendEchoRequest(destination, identifier, sequence, dataLength, clock.nanoTime());
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

    public NanoClock clock()
    {
        return clock;
    }
}
