package io.tapstack.forward;

import io.tapstack.wire.Ipv4Address;

import java.util.concurrent.TimeUnit;

/**
 * The forwarding engine's policy and limits. Every limit is bounded, has a safe default and a counter for when it is
 * hit ({@link ForwardCounters}). Changed only before the engine starts; {@link #validate()} names the first value out
 * of range.
 */
public final class ForwardConfig
{
    /**
     * Whether this process may run on one CPU only (its affinity, as {@code taskset -c 0} sets it, or a one-CPU VM):
     * then spinning or yielding while idle only delays the guest, the host peer and the kernel, which need that CPU
     * to produce the frame the engine waits for, so the idle defaults are 0 and the engine blocks at once (measured
     * in docs/benchmarks.md: 64-byte request-response 58-66 us with spins, 45-52 us without, all on one CPU).
     */
    static final boolean ONE_CPU = Runtime.getRuntime().availableProcessors() <= 1;

    /** The host's loopback, where the mapped address leads. */
    public static final int HOST_LOOPBACK = Ipv4Address.parse("127.0.0.1");

    private int hostLoopbackAddress = 0;
    private final NetworkList allow = new NetworkList();
    private final NetworkList deny = new NetworkList();
    private int maxTcpFlows = 4096;
    private int maxPendingConnects = 256;
    private int maxUdpFlows = 1024;
    private int tcpRelayBufferBytes = 64 * 1024;
    private long connectTimeoutNs = TimeUnit.SECONDS.toNanos(10);
    private long udpIdleTimeoutNs = TimeUnit.SECONDS.toNanos(60);
    private long tcpIdleTimeoutNs = 0;
    private int udpDatagramsPerWake = 64;
    private int guestAddress = 0;
    private int maxPortForwards = 64;
    private int idleSpins = ONE_CPU ? 0 : 50;
    private int idleYields = ONE_CPU ? 0 : 10;
    private long maxIdleNs = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * The host's loopback mapping (slirp4netns's 10.0.2.2): connections and datagrams the guest sends to this address
     * go to the host's 127.0.0.1 at the same port. 0 (the default) switches it off: the guest reaches nothing on the
     * host's loopback. It is usually the gateway's own address; another address of the guest's subnet needs ARP
     * answered for it.
     */
    public ForwardConfig hostLoopbackAddress(final int address)
    {
        this.hostLoopbackAddress = address;
        return this;
    }

    public ForwardConfig hostLoopbackAddress(final String address)
    {
        return hostLoopbackAddress(address == null ? 0 : Ipv4Address.parse(address));
    }

    public int hostLoopbackAddress()
    {
        return hostLoopbackAddress;
    }

    /**
     * Destinations (after the loopback mapping) the guest may reach; empty (the default) allows every one not
     * denied. The host's loopback (127.0.0.0/8), 0.0.0.0/8, multicast and broadcast are never reached except through
     * the mapping.
     */
    public NetworkList allow()
    {
        return allow;
    }

    /** Destinations the guest may not reach, whatever {@link #allow()} says. */
    public NetworkList deny()
    {
        return deny;
    }

    /** TCP flows (connecting or open), each one host socket; SYNs beyond are refused with a reset and counted. */
    public ForwardConfig maxTcpFlows(final int max)
    {
        this.maxTcpFlows = max;
        return this;
    }

    public int maxTcpFlows()
    {
        return maxTcpFlows;
    }

    /** Guest SYNs held while their host connect is in progress (1..65,536): a SYN flood costs at most this many. */
    public ForwardConfig maxPendingConnects(final int max)
    {
        this.maxPendingConnects = max;
        return this;
    }

    public int maxPendingConnects()
    {
        return maxPendingConnects;
    }

    /** UDP flows, each one host socket; a datagram that would open one more is dropped and counted. */
    public ForwardConfig maxUdpFlows(final int max)
    {
        this.maxUdpFlows = max;
        return this;
    }

    public int maxUdpFlows()
    {
        return maxUdpFlows;
    }

    /**
     * Bytes each TCP flow holds in each direction between the stack's connection and the host socket (two direct
     * buffers of this size per flow). 1 KiB..16 MiB.
     */
    public ForwardConfig tcpRelayBufferBytes(final int bytes)
    {
        this.tcpRelayBufferBytes = bytes;
        return this;
    }

    public int tcpRelayBufferBytes()
    {
        return tcpRelayBufferBytes;
    }

    /** How long a host connect may take before the guest gets ICMP host unreachable. */
    public ForwardConfig connectTimeoutNs(final long ns)
    {
        this.connectTimeoutNs = ns;
        return this;
    }

    public long connectTimeoutNs()
    {
        return connectTimeoutNs;
    }

    /** A UDP flow with no datagram either way for this long is closed (its host socket too). */
    public ForwardConfig udpIdleTimeoutNs(final long ns)
    {
        this.udpIdleTimeoutNs = ns;
        return this;
    }

    public long udpIdleTimeoutNs()
    {
        return udpIdleTimeoutNs;
    }

    /**
     * A TCP flow with no byte either way for this long is reset on both sides (counted); 0 (the default) keeps idle
     * connections, as the kernel does: {@link #maxTcpFlows} bounds them anyway.
     */
    public ForwardConfig tcpIdleTimeoutNs(final long ns)
    {
        this.tcpIdleTimeoutNs = ns;
        return this;
    }

    public long tcpIdleTimeoutNs()
    {
        return tcpIdleTimeoutNs;
    }

    /** Datagrams read from one ready host UDP socket per duty cycle (bounded work per cycle). */
    public ForwardConfig udpDatagramsPerWake(final int n)
    {
        this.udpDatagramsPerWake = n;
        return this;
    }

    public int udpDatagramsPerWake()
    {
        return udpDatagramsPerWake;
    }

    /**
     * The guest's address, where inbound port forwards lead; 0 (the default): the address the DHCP server leased
     * last, if it runs (one guest per link).
     */
    public ForwardConfig guestAddress(final int address)
    {
        this.guestAddress = address;
        return this;
    }

    public ForwardConfig guestAddress(final String address)
    {
        return guestAddress(address == null ? 0 : Ipv4Address.parse(address));
    }

    public int guestAddress()
    {
        return guestAddress;
    }

    /** Inbound port forwards (host sockets listening) at once: 1..4096; more are refused by the control API. */
    public ForwardConfig maxPortForwards(final int max)
    {
        this.maxPortForwards = max;
        return this;
    }

    public int maxPortForwards()
    {
        return maxPortForwards;
    }

    /**
     * Empty duty cycles the engine's thread spins (a spin-wait hint between them) before it yields, then blocks:
     * each is a whole cycle (a read(2) on the TAP, a selectNow), a microsecond or two, so that a busy engine picks
     * up the next frame or host reply without paying a thread wake-up. 0..1,000,000; keep it short on two cores.
     * Default 50, and 0 when the process may use one CPU only (see {@link #ONE_CPU}).
     */
    public ForwardConfig idleSpins(final int n)
    {
        this.idleSpins = n;
        return this;
    }

    public int idleSpins()
    {
        return idleSpins;
    }

    /** Empty cycles with a {@code Thread.yield()} after the spins, before blocking; 0..1,000,000 (10; 0 on one CPU). */
    public ForwardConfig idleYields(final int n)
    {
        this.idleYields = n;
        return this;
    }

    public int idleYields()
    {
        return idleYields;
    }

    /**
     * The longest the engine's thread blocks with nothing scheduled (a frame, a host socket, a task or a deadline
     * ends a block early): it bounds only how late it sees a stop request. 1 µs..60 s.
     */
    public ForwardConfig maxIdleNs(final long ns)
    {
        this.maxIdleNs = ns;
        return this;
    }

    public long maxIdleNs()
    {
        return maxIdleNs;
    }

    public ForwardConfig validate()
    {
        require(idleSpins >= 0 && idleSpins <= 1_000_000, "idleSpins must be 0..1000000");
        require(idleYields >= 0 && idleYields <= 1_000_000, "idleYields must be 0..1000000");
        require(maxIdleNs >= TimeUnit.MICROSECONDS.toNanos(1) && maxIdleNs <= TimeUnit.SECONDS.toNanos(60),
            "maxIdleNs must be 1 µs..60 s");
        require(maxPortForwards > 0 && maxPortForwards <= 4096, "maxPortForwards must be 1..4096");
        require(maxTcpFlows > 0 && maxTcpFlows <= 1 << 20, "maxTcpFlows must be 1..1048576");
        require(maxPendingConnects > 0 && maxPendingConnects <= 65536, "maxPendingConnects must be 1..65536");
        require(maxUdpFlows > 0 && maxUdpFlows <= 1 << 20, "maxUdpFlows must be 1..1048576");
        require(tcpRelayBufferBytes >= 1024 && tcpRelayBufferBytes <= 16 << 20,
            "tcpRelayBufferBytes must be 1 KiB..16 MiB");
        require(connectTimeoutNs > 0, "connectTimeoutNs must be > 0");
        require(udpIdleTimeoutNs > 0, "udpIdleTimeoutNs must be > 0");
        require(tcpIdleTimeoutNs >= 0, "tcpIdleTimeoutNs must be >= 0 (0: off)");
        require(udpDatagramsPerWake > 0, "udpDatagramsPerWake must be > 0");
        return this;
    }

    private static void require(final boolean ok, final String rule)
    {
        if (!ok)
        {
            throw new IllegalArgumentException(rule);
        }
    }
}
