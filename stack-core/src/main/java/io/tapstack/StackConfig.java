package io.tapstack;

import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.agrona.ExpandableRingBuffer;

import java.util.concurrent.TimeUnit;

/**
 * Everything the stack can be told, with safe defaults. Every limit the stack enforces is here, and each
 * has a counter for when it is hit. Fluent setters; {@link #validate()} is called by {@link NetStack}.
 */
public final class StackConfig
{
    /** Room for one largest UDP datagram (65,507 data bytes) with its framing in a receive queue. */
    public static final int MIN_UDP_RECEIVE_QUEUE_BYTES = 64 * 1024;
    /** The largest receive queue the ring behind it can hold (1 GiB). */
    public static final int MAX_UDP_RECEIVE_QUEUE_BYTES = ExpandableRingBuffer.MAX_CAPACITY;

    /** The smallest MTU: RFC 791 requires every host to take a 68-byte datagram whole. */
    public static final int MIN_MTU = 68;
    /** The largest MTU: the largest IPv4 datagram (RFC 791's 16-bit total length). */
    public static final int MAX_MTU = 65_535;
    /** The most ARP re-validation probes of each kind (unicast, broadcast) a stale mapping may take. */
    public static final int MAX_ARP_PROBES = 100;
    /** The MTU rule in words, for every message that states it. */
    public static final String MTU_RULE = "mtu must be " + MIN_MTU + ".." + MAX_MTU
        + " (RFC 791: every host takes a 68-byte datagram; 65,535 is the largest)";

    private int ipAddress;
    private int prefixLength = 24;
    private int gateway = Ipv4Address.ANY;
    private long macAddress = -1;
    private int mtu = 1500;
    private LinkType linkType = LinkType.ETHERNET;
    private long seed = 0x7A95_7AC4L;
    /** Whether {@link #seed(long)} was called: only then does an unset MAC repeat from run to run. */
    private boolean seedSet;
    private boolean repeatableSecrets;
    private int receiveBurst = 64;
    private int ttl = 64;

    private int arpRetries = 3;
    private long arpRetryIntervalNs = TimeUnit.SECONDS.toNanos(1);
    private long arpCacheTtlNs = TimeUnit.SECONDS.toNanos(60);
    private long arpDelayFirstProbeNs = TimeUnit.SECONDS.toNanos(5);
    private int arpUnicastProbes = 3;
    private int arpBroadcastProbes = 1;
    private int arpCacheEntries = 256;
    private int arpQueueFrames = 128;
    private boolean gratuitousArp = true;

    private long reassemblyTimeoutNs = TimeUnit.SECONDS.toNanos(30);
    private int reassemblyMemoryBytes = 1 << 20;

    private int icmpErrorsPerSecond = 100;
    private int icmpErrorBurst = 20;
    private boolean answerBroadcastPing = false;
    private boolean gatewayMode = false;

    private int udpReceiveQueueBytes = 256 * 1024;
    private int udpMaxEndpoints = 1024;
    private final io.tapstack.tcp.TcpConfig tcp = new io.tapstack.tcp.TcpConfig();

    /** The stack's own IPv4 address (required). */
    public StackConfig ipAddress(final int ipAddress)
    {
        this.ipAddress = ipAddress;
        return this;
    }

    /** Address and prefix from "A.B.C.D/N" (N defaults to 24 when absent). */
    public StackConfig ipAddress(final String cidr)
    {
        final int slash = cidr.indexOf('/');
        if (slash < 0)
        {
            this.ipAddress = Ipv4Address.parse(cidr);
        }
        else
        {
            this.ipAddress = Ipv4Address.parse(cidr.substring(0, slash));
            final String prefix = cidr.substring(slash + 1).trim();
            if (!prefix.matches("[0-9]{1,2}") || Integer.parseInt(prefix) > 32)
            {
                throw new IllegalArgumentException("not A.B.C.D/N with a prefix length N of 0..32: " + cidr);
            }
            this.prefixLength = Integer.parseInt(prefix);
        }
        return this;
    }

    public int ipAddress()
    {
        return ipAddress;
    }

    public StackConfig prefixLength(final int prefixLength)
    {
        this.prefixLength = prefixLength;
        return this;
    }

    public int prefixLength()
    {
        return prefixLength;
    }

    /** Default gateway for destinations outside the subnet; {@link Ipv4Address#ANY} for none. */
    public StackConfig gateway(final int gateway)
    {
        this.gateway = gateway;
        return this;
    }

    public int gateway()
    {
        return gateway;
    }

    /**
     * The stack's MAC. When unset, a locally administered one: drawn from the {@link #seed} if one was set (a run
     * that repeats), else from {@code SecureRandom}, so that two stacks on one bridge never share a MAC.
     */
    public StackConfig macAddress(final long macAddress)
    {
        this.macAddress = macAddress;
        return this;
    }

    public long macAddress()
    {
        return macAddress;
    }

    /** Largest IP datagram on the link (bytes, without the Ethernet header): {@link #MIN_MTU}..{@link #MAX_MTU}. */
    public StackConfig mtu(final int mtu)
    {
        this.mtu = mtu;
        return this;
    }

    public int mtu()
    {
        return mtu;
    }

    /**
     * What the device carries: Ethernet frames (a TAP; ARP resolves next hops) or bare IPv4 packets (a TUN with
     * IFF_NO_PI: a point-to-point link, no link header, no ARP). The layers from IPv4 up are the same in both.
     */
    public StackConfig linkType(final LinkType linkType)
    {
        this.linkType = linkType;
        return this;
    }

    public LinkType linkType()
    {
        return linkType;
    }

    /**
     * Seeds the random choices a run may repeat: the MAC when unset (without a seed of its own, each stack draws
     * its MAC from {@code SecureRandom}), the IP identification start, impairments.
     * Secrets (the ISN key, ephemeral ports) do not come from it unless {@link #repeatableSecrets} asks.
     */
    public StackConfig seed(final long seed)
    {
        this.seed = seed;
        this.seedSet = true;
        return this;
    }

    public long seed()
    {
        return seed;
    }

    /** Whether a seed was set: then an unset MAC comes from it, the same in every run. */
    public boolean isSeedSet()
    {
        return seedSet;
    }

    /**
     * Derive the secrets (RFC 6528's ISN key, RFC 6056's port keys) from {@link #seed} instead of
     * {@code SecureRandom}, so that a run repeats exactly: for tests and simulations only. Off by default: then no
     * two stacks share a secret, whatever their seeds, and one's ISNs and ports say nothing about another's.
     */
    public StackConfig repeatableSecrets(final boolean repeatable)
    {
        this.repeatableSecrets = repeatable;
        return this;
    }

    public boolean repeatableSecrets()
    {
        return repeatableSecrets;
    }

    /** Frames taken from the device per duty cycle. */
    public StackConfig receiveBurst(final int receiveBurst)
    {
        this.receiveBurst = receiveBurst;
        return this;
    }

    public int receiveBurst()
    {
        return receiveBurst;
    }

    public StackConfig ttl(final int ttl)
    {
        this.ttl = ttl;
        return this;
    }

    public int ttl()
    {
        return ttl;
    }

    /** ARP requests sent again after the first one before giving up on a next hop. */
    public StackConfig arpRetries(final int arpRetries)
    {
        this.arpRetries = arpRetries;
        return this;
    }

    public int arpRetries()
    {
        return arpRetries;
    }

    public StackConfig arpRetryIntervalNs(final long arpRetryIntervalNs)
    {
        this.arpRetryIntervalNs = arpRetryIntervalNs;
        return this;
    }

    public long arpRetryIntervalNs()
    {
        return arpRetryIntervalNs;
    }

    /**
     * How long a learned or confirmed mapping is trusted (Linux's reachable time). Past it, the mapping is stale: it
     * is still used, but using it starts a re-validation ({@link #arpDelayFirstProbeNs}, {@link #arpUnicastProbes},
     * {@link #arpBroadcastProbes}).
     */
    public StackConfig arpCacheTtlNs(final long arpCacheTtlNs)
    {
        this.arpCacheTtlNs = arpCacheTtlNs;
        return this;
    }

    public long arpCacheTtlNs()
    {
        return arpCacheTtlNs;
    }

    /**
     * How long a stale mapping in use waits for an upper layer's confirmation (a TCP ACK of new data) before ARP
     * probes start (Linux's delay_first_probe_time, 5 s). 0 probes at once.
     */
    public StackConfig arpDelayFirstProbeNs(final long arpDelayFirstProbeNs)
    {
        this.arpDelayFirstProbeNs = arpDelayFirstProbeNs;
        return this;
    }

    public long arpDelayFirstProbeNs()
    {
        return arpDelayFirstProbeNs;
    }

    /**
     * ARP requests sent to the known MAC to re-validate a stale mapping in use (RFC 1122 §2.3.2.1's unicast poll;
     * Linux's ucast_solicit, 3), {@link #arpRetryIntervalNs} apart.
     */
    public StackConfig arpUnicastProbes(final int arpUnicastProbes)
    {
        this.arpUnicastProbes = arpUnicastProbes;
        return this;
    }

    public int arpUnicastProbes()
    {
        return arpUnicastProbes;
    }

    /**
     * Broadcast ARP requests sent after the unicast probes went unanswered (the address may have moved to another
     * MAC); when these too go unanswered, the mapping is dropped and the next packet resolves it afresh.
     */
    public StackConfig arpBroadcastProbes(final int arpBroadcastProbes)
    {
        this.arpBroadcastProbes = arpBroadcastProbes;
        return this;
    }

    public int arpBroadcastProbes()
    {
        return arpBroadcastProbes;
    }

    /** Bound on ARP cache entries (resolved and in progress); the oldest is evicted past it. */
    public StackConfig arpCacheEntries(final int arpCacheEntries)
    {
        this.arpCacheEntries = arpCacheEntries;
        return this;
    }

    public int arpCacheEntries()
    {
        return arpCacheEntries;
    }

    /** Bound on packets held while their next hop is being resolved; more are dropped and counted. */
    public StackConfig arpQueueFrames(final int arpQueueFrames)
    {
        this.arpQueueFrames = arpQueueFrames;
        return this;
    }

    public int arpQueueFrames()
    {
        return arpQueueFrames;
    }

    /** Announce our address with a gratuitous ARP at start (RFC 5227 §3). */
    public StackConfig gratuitousArp(final boolean gratuitousArp)
    {
        this.gratuitousArp = gratuitousArp;
        return this;
    }

    public boolean gratuitousArp()
    {
        return gratuitousArp;
    }

    /** A datagram whose fragments have not all arrived this long after the first is dropped. */
    public StackConfig reassemblyTimeoutNs(final long reassemblyTimeoutNs)
    {
        this.reassemblyTimeoutNs = reassemblyTimeoutNs;
        return this;
    }

    public long reassemblyTimeoutNs()
    {
        return reassemblyTimeoutNs;
    }

    /** Memory for reassembly; each datagram in progress takes a 64 KiB buffer, so this bounds their number. */
    public StackConfig reassemblyMemoryBytes(final int reassemblyMemoryBytes)
    {
        this.reassemblyMemoryBytes = reassemblyMemoryBytes;
        return this;
    }

    public int reassemblyMemoryBytes()
    {
        return reassemblyMemoryBytes;
    }

    /** Token-bucket rate of ICMP error messages (RFC 1812 §4.3.2.8, RFC 1122 §3.2.2). */
    public StackConfig icmpErrorsPerSecond(final int icmpErrorsPerSecond)
    {
        this.icmpErrorsPerSecond = icmpErrorsPerSecond;
        return this;
    }

    public int icmpErrorsPerSecond()
    {
        return icmpErrorsPerSecond;
    }

    public StackConfig icmpErrorBurst(final int icmpErrorBurst)
    {
        this.icmpErrorBurst = icmpErrorBurst;
        return this;
    }

    public int icmpErrorBurst()
    {
        return icmpErrorBurst;
    }

    /** RFC 1122 §3.2.2.6 lets a host ignore echo requests sent to a broadcast address; we do by default. */
    public StackConfig answerBroadcastPing(final boolean answerBroadcastPing)
    {
        this.answerBroadcastPing = answerBroadcastPing;
        return this;
    }

    public boolean answerBroadcastPing()
    {
        return answerBroadcastPing;
    }

    /**
     * Gateway mode, for a forwarding engine: IPv4 accepts TCP and UDP addressed to any unicast destination (the stack
     * is the guest's router), and TCP and UDP hand what no connection, listener or endpoint of ours takes to the
     * interceptors the engine installs ({@code TcpLayer.synInterceptor}, {@code UdpLayer.interceptor}). Off by
     * default: a host discards datagrams not addressed to it (RFC 1122 §3.2.1.3).
     */
    public StackConfig gatewayMode(final boolean gatewayMode)
    {
        this.gatewayMode = gatewayMode;
        return this;
    }

    public boolean gatewayMode()
    {
        return gatewayMode;
    }

    /**
     * Bound on each UDP endpoint's receive queue, in bytes: each datagram takes its data plus 16 bytes, 8-byte
     * aligned (and where the ring wraps, padding to its end); one that does not fit is dropped and counted
     * (UDP_RX_QUEUE_FULL_DROPS). Allocated at bind, rounded up to a power of two. 65,536..1 GiB, so that one
     * largest datagram always fits an empty queue.
     */
    public StackConfig udpReceiveQueueBytes(final int udpReceiveQueueBytes)
    {
        this.udpReceiveQueueBytes = udpReceiveQueueBytes;
        return this;
    }

    public int udpReceiveQueueBytes()
    {
        return udpReceiveQueueBytes;
    }

    /** Bound on bound UDP endpoints; a bind past it returns null and is counted (UDP_ENDPOINT_LIMIT). */
    public StackConfig udpMaxEndpoints(final int udpMaxEndpoints)
    {
        this.udpMaxEndpoints = udpMaxEndpoints;
        return this;
    }

    public int udpMaxEndpoints()
    {
        return udpMaxEndpoints;
    }

    /** TCP settings (buffers, timers, limits), changed in place. */
    public io.tapstack.tcp.TcpConfig tcp()
    {
        return tcp;
    }

    /** Throws IllegalArgumentException naming the first value out of range. */
    public StackConfig validate()
    {
        require(ipAddress != 0, "ipAddress must be set");
        require(prefixLength >= 0 && prefixLength <= 32, "prefixLength must be 0..32");
        require(mtu >= MIN_MTU && mtu <= MAX_MTU, MTU_RULE);
        require(macAddress == -1 || (macAddress >>> 48) == 0 && !MacAddress.isMulticast(macAddress),
            "macAddress must be a unicast 48-bit address");
        require(linkType != null, "linkType must be set");
        require(receiveBurst > 0, "receiveBurst must be > 0");
        require(ttl > 0 && ttl <= 255, "ttl must be 1..255");
        require(arpRetries >= 0, "arpRetries must be >= 0");
        require(arpRetryIntervalNs > 0, "arpRetryIntervalNs must be > 0");
        require(arpCacheTtlNs > 0, "arpCacheTtlNs must be > 0");
        require(arpDelayFirstProbeNs >= 0, "arpDelayFirstProbeNs must be >= 0");
        require(arpUnicastProbes >= 0 && arpUnicastProbes <= MAX_ARP_PROBES, "arpUnicastProbes must be 0..100");
        require(arpBroadcastProbes >= 0 && arpBroadcastProbes <= MAX_ARP_PROBES, "arpBroadcastProbes must be 0..100");
        require(arpCacheEntries > 0, "arpCacheEntries must be > 0");
        require(arpQueueFrames >= 0, "arpQueueFrames must be >= 0");
        require(reassemblyTimeoutNs > 0, "reassemblyTimeoutNs must be > 0");
        require(reassemblyMemoryBytes >= 0, "reassemblyMemoryBytes must be >= 0");
        require(icmpErrorsPerSecond >= 0 && icmpErrorBurst >= 0, "ICMP error rate and burst must be >= 0");
        require(udpReceiveQueueBytes >= MIN_UDP_RECEIVE_QUEUE_BYTES
            && udpReceiveQueueBytes <= MAX_UDP_RECEIVE_QUEUE_BYTES,
            "udpReceiveQueueBytes must be 65536..2^30 (room for one 65,507-byte datagram)");
        require(udpMaxEndpoints > 0 && udpMaxEndpoints <= 65535, "udpMaxEndpoints must be 1..65535");
        return this;
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }

    /** The framing of the device below IPv4. */
    public enum LinkType
    {
        /** Ethernet II frames (RFC 894) with ARP (RFC 826): a TAP, or the in-memory link. */
        ETHERNET,
        /** Bare IPv4 packets, no link header and no next-hop resolution: a TUN opened with IFF_NO_PI. */
        RAW_IP
    }
}
