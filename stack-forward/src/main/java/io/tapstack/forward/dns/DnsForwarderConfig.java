package io.tapstack.forward.dns;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where the DNS forwarder finds its resolvers and how far it goes for the guest. Every limit has a safe default.
 */
public final class DnsForwarderConfig
{
    public static final Path DEFAULT_RESOLV_CONF = Path.of("/etc/resolv.conf");

    private Path resolvConf = DEFAULT_RESOLV_CONF;
    private List<InetSocketAddress> resolvers;
    private int maxOutstandingQueries = 64;
    private int maxTcpConnections = 16;
    private int maxQueryBytes = 4096;
    private long attemptTimeoutNs = TimeUnit.SECONDS.toNanos(2);
    private int attempts = 3;
    private long tcpIdleTimeoutNs = TimeUnit.SECONDS.toNanos(10);
    private boolean tcpForTruncated = true;

    /** The resolv.conf whose name servers queries go to (default /etc/resolv.conf), read at install. */
    public DnsForwarderConfig resolvConf(final Path path)
    {
        this.resolvConf = path;
        return this;
    }

    /** The resolvers to use instead of reading a resolv.conf (for embedding and tests); at most 3. */
    public DnsForwarderConfig resolvers(final List<InetSocketAddress> resolvers)
    {
        this.resolvers = List.copyOf(resolvers);
        return this;
    }

    /** Queries in flight to host resolvers at once, UDP and TCP together (default 64): each holds a host socket. */
    public DnsForwarderConfig maxOutstandingQueries(final int n)
    {
        this.maxOutstandingQueries = n;
        return this;
    }

    /** Guest TCP connections to port 53 at once (default 16); more are reset. */
    public DnsForwarderConfig maxTcpConnections(final int n)
    {
        this.maxTcpConnections = n;
        return this;
    }

    /** The longest query taken from the guest (default 4096; 512..65535); longer ones are dropped. */
    public DnsForwarderConfig maxQueryBytes(final int n)
    {
        this.maxQueryBytes = n;
        return this;
    }

    /** How long one attempt waits for a resolver's answer (default 2 s). */
    public DnsForwarderConfig attemptTimeoutNs(final long ns)
    {
        this.attemptTimeoutNs = ns;
        return this;
    }

    /** Attempts per query, going round the resolvers in order (default 3); then SERVFAIL. */
    public DnsForwarderConfig attempts(final int n)
    {
        this.attempts = n;
        return this;
    }

    /** A guest TCP connection with no query in progress is closed after this long (default 10 s; RFC 7766 §6.2.3). */
    public DnsForwarderConfig tcpIdleTimeoutNs(final long ns)
    {
        this.tcpIdleTimeoutNs = ns;
        return this;
    }

    /** Ask again over TCP when a resolver's UDP answer is truncated (default on). */
    public DnsForwarderConfig tcpForTruncated(final boolean on)
    {
        this.tcpForTruncated = on;
        return this;
    }

    DnsForwarderConfig validate()
    {
        check(maxOutstandingQueries >= 1 && maxOutstandingQueries <= 4096, "maxOutstandingQueries 1..4096");
        check(maxTcpConnections >= 0 && maxTcpConnections <= 1024, "maxTcpConnections 0..1024");
        check(maxQueryBytes >= 512 && maxQueryBytes <= 65535, "maxQueryBytes 512..65535");
        check(attemptTimeoutNs > 0, "attemptTimeoutNs > 0");
        check(attempts >= 1 && attempts <= 10, "attempts 1..10");
        check(tcpIdleTimeoutNs > 0, "tcpIdleTimeoutNs > 0");
        check(resolvers == null || resolvers.size() <= ResolvConf.MAX_NAMESERVERS, "at most 3 resolvers");
        return this;
    }

    private static void check(final boolean ok, final String what)
    {
        if (!ok)
        {
            throw new IllegalArgumentException("DNS forwarder configuration: " + what);
        }
    }

    public Path resolvConf()
    {
        return resolvConf;
    }

    /** The resolvers given directly, or null to read {@link #resolvConf()}. */
    public List<InetSocketAddress> resolvers()
    {
        return resolvers;
    }

    public int maxOutstandingQueries()
    {
        return maxOutstandingQueries;
    }

    public int maxTcpConnections()
    {
        return maxTcpConnections;
    }

    public int maxQueryBytes()
    {
        return maxQueryBytes;
    }

    public long attemptTimeoutNs()
    {
        return attemptTimeoutNs;
    }

    public int attempts()
    {
        return attempts;
    }

    public long tcpIdleTimeoutNs()
    {
        return tcpIdleTimeoutNs;
    }

    public boolean tcpForTruncated()
    {
        return tcpForTruncated;
    }
}
