package io.tapstack.forward.dhcp;

import io.tapstack.wire.Ipv4Address;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * What the DHCP server hands out: the pool, the options (RFC 2132) and the times. Every value has a safe default
 * except the pool; {@link #validate} checks the whole against the stack's own address and prefix.
 */
public final class DhcpConfig
{
    /** The most addresses a pool may have unless raised: the lease table is allocated whole, at this size. */
    public static final int DEFAULT_MAX_POOL_SIZE = 4096;
    /** A hard cap on {@link #maxPoolSize}: a /16's worth. */
    public static final int MAX_POOL_SIZE_LIMIT = 65536;
    /** The shortest lease: room for T1 < T2 < lease in whole seconds. */
    public static final int MIN_LEASE_SECONDS = 3;
    /** RFC 2132 §5.1: the smallest legal interface MTU option. */
    public static final int MIN_MTU = 68;
    /** RFC 2132 §8.3: at most this many DNS servers fit the option as this server writes it. */
    public static final int MAX_DNS_SERVERS = 8;
    /** Marks "the server's own address" for the router and DNS options until {@link #validate} resolves it. */
    private static final int SERVER_ADDRESS = -1;

    private int poolFirst;
    private int poolLast;
    private int maxPoolSize = DEFAULT_MAX_POOL_SIZE;
    private int router = SERVER_ADDRESS;
    private int[] dnsServers = {SERVER_ADDRESS};
    private int mtu;
    private long leaseTimeSeconds = 3600;
    private long renewalTimeSeconds;
    private long rebindingTimeSeconds;
    private long offerHoldNs = TimeUnit.SECONDS.toNanos(30);
    private long declineHoldNs = TimeUnit.MINUTES.toNanos(10);

    /** The addresses handed out, {@code first} to {@code last} inclusive, on the stack's subnet. Required. */
    public DhcpConfig pool(final int first, final int last)
    {
        this.poolFirst = first;
        this.poolLast = last;
        return this;
    }

    /** {@link #pool(int, int)} from dotted quads. */
    public DhcpConfig pool(final String first, final String last)
    {
        return pool(Ipv4Address.parse(first), Ipv4Address.parse(last));
    }

    /** The bound on the pool's size (default 4096, at most 65536): the lease table's size. */
    public DhcpConfig maxPoolSize(final int maxPoolSize)
    {
        this.maxPoolSize = maxPoolSize;
        return this;
    }

    /** Option 3 (RFC 2132 §3.5); 0 sends none. Default: the server's (the stack's) own address. */
    public DhcpConfig router(final int router)
    {
        this.router = router;
        return this;
    }

    /** Option 6 (RFC 2132 §3.8), 0 to 8 servers. Default: the server's own address. */
    public DhcpConfig dnsServers(final int... servers)
    {
        this.dnsServers = servers.clone();
        return this;
    }

    /** Option 26 (RFC 2132 §5.1): the interface MTU the client should use; 0 (default) sends none. */
    public DhcpConfig mtu(final int mtu)
    {
        this.mtu = mtu;
        return this;
    }

    /** Option 51 (RFC 2132 §9.2): the lease in seconds (default 3600, at least 3); a client asking for less gets less. */
    public DhcpConfig leaseTimeSeconds(final long seconds)
    {
        this.leaseTimeSeconds = seconds;
        return this;
    }

    /** Option 58, T1 (RFC 2131 §4.4.5); 0 (default): half the lease. */
    public DhcpConfig renewalTimeSeconds(final long seconds)
    {
        this.renewalTimeSeconds = seconds;
        return this;
    }

    /** Option 59, T2 (RFC 2131 §4.4.5); 0 (default): 7/8 of the lease. */
    public DhcpConfig rebindingTimeSeconds(final long seconds)
    {
        this.rebindingTimeSeconds = seconds;
        return this;
    }

    /** How long an offered address is held for the client that was offered it (default 30 s; RFC 2131 §4.3.1). */
    public DhcpConfig offerHoldNs(final long ns)
    {
        this.offerHoldNs = ns;
        return this;
    }

    /** How long an address a client declined stays out of the pool (default 10 min; RFC 2131 §4.3.3). */
    public DhcpConfig declineHoldNs(final long ns)
    {
        this.declineHoldNs = ns;
        return this;
    }

    /**
     * Checks this configuration for a server at {@code serverAddress}/{@code prefixLength} and fills in the
     * defaults that name the server's address.
     *
     * @return this
     * @throws IllegalArgumentException naming the first value that is wrong
     */
    public DhcpConfig validate(final int serverAddress, final int prefixLength)
    {
        if (poolFirst == 0 || poolLast == 0)
        {
            throw new IllegalArgumentException("the DHCP pool is required");
        }
        if (Integer.compareUnsigned(poolFirst, poolLast) > 0)
        {
            throw new IllegalArgumentException("the pool's first address is after its last: "
                + Ipv4Address.toString(poolFirst) + "-" + Ipv4Address.toString(poolLast));
        }
        if (maxPoolSize < 1 || maxPoolSize > MAX_POOL_SIZE_LIMIT)
        {
            throw new IllegalArgumentException("maxPoolSize must be 1.." + MAX_POOL_SIZE_LIMIT + ": " + maxPoolSize);
        }
        final long size = (poolLast & 0xFFFF_FFFFL) - (poolFirst & 0xFFFF_FFFFL) + 1;
        if (size > maxPoolSize)
        {
            throw new IllegalArgumentException("the pool has " + size + " addresses, more than maxPoolSize "
                + maxPoolSize);
        }
        final int mask = Ipv4Address.mask(prefixLength);
        final int subnetBroadcast = (serverAddress & mask) | ~mask;
        if (!Ipv4Address.sameSubnet(poolFirst, serverAddress, prefixLength)
            || !Ipv4Address.sameSubnet(poolLast, serverAddress, prefixLength))
        {
            throw new IllegalArgumentException("the pool is not on the server's subnet "
                + Ipv4Address.toString(serverAddress) + "/" + prefixLength);
        }
        if (poolFirst == (serverAddress & mask) || poolLast == subnetBroadcast)
        {
            throw new IllegalArgumentException("the pool includes the subnet's network or broadcast address");
        }
        if (Integer.compareUnsigned(poolFirst, serverAddress) <= 0 && Integer.compareUnsigned(serverAddress, poolLast) <= 0)
        {
            throw new IllegalArgumentException("the pool includes the server's own address "
                + Ipv4Address.toString(serverAddress));
        }
        if (router == SERVER_ADDRESS)
        {
            router = serverAddress;
        }
        if (dnsServers.length > MAX_DNS_SERVERS)
        {
            throw new IllegalArgumentException("at most " + MAX_DNS_SERVERS + " DNS servers: " + dnsServers.length);
        }
        for (int i = 0; i < dnsServers.length; i++)
        {
            if (dnsServers[i] == SERVER_ADDRESS)
            {
                dnsServers[i] = serverAddress;
            }
        }
        if (mtu != 0 && (mtu < MIN_MTU || mtu > 65535))
        {
            throw new IllegalArgumentException("mtu must be 0 (none) or " + MIN_MTU + "..65535: " + mtu);
        }
        if (leaseTimeSeconds < MIN_LEASE_SECONDS || leaseTimeSeconds > 0xFFFF_FFFEL)
        {
            throw new IllegalArgumentException("leaseTimeSeconds must be 3..2^32-2: " + leaseTimeSeconds);
        }
        final long t1 = renewalTimeSeconds();
        final long t2 = rebindingTimeSeconds();
        // RFC 2131 §4.4.5: T1 < T2 < lease
        if (t1 < 1 || t1 >= t2 || t2 >= leaseTimeSeconds)
        {
            throw new IllegalArgumentException("need 0 < T1 < T2 < lease: " + t1 + ", " + t2 + ", " + leaseTimeSeconds);
        }
        if (offerHoldNs <= 0 || declineHoldNs <= 0)
        {
            throw new IllegalArgumentException("offerHoldNs and declineHoldNs must be positive");
        }
        return this;
    }

    public int poolFirst()
    {
        return poolFirst;
    }

    public int poolLast()
    {
        return poolLast;
    }

    public int poolSize()
    {
        return (int)((poolLast & 0xFFFF_FFFFL) - (poolFirst & 0xFFFF_FFFFL) + 1);
    }

    public int maxPoolSize()
    {
        return maxPoolSize;
    }

    public int router()
    {
        return router;
    }

    public int[] dnsServers()
    {
        return dnsServers.clone();
    }

    public int mtu()
    {
        return mtu;
    }

    public long leaseTimeSeconds()
    {
        return leaseTimeSeconds;
    }

    public long renewalTimeSeconds()
    {
        return renewalTimeSeconds != 0 ? renewalTimeSeconds : Math.max(1, leaseTimeSeconds / 2);
    }

    public long rebindingTimeSeconds()
    {
        return rebindingTimeSeconds != 0 ? rebindingTimeSeconds : Math.max(2, leaseTimeSeconds * 7 / 8);
    }

    public long offerHoldNs()
    {
        return offerHoldNs;
    }

    public long declineHoldNs()
    {
        return declineHoldNs;
    }

    @Override
    public String toString()
    {
        final StringBuilder dns = new StringBuilder();
        Arrays.stream(dnsServers).forEach(a -> dns.append(dns.length() == 0 ? "" : ",").append(Ipv4Address.toString(a)));
        return "DhcpConfig{pool=" + Ipv4Address.toString(poolFirst) + "-" + Ipv4Address.toString(poolLast)
            + ", router=" + Ipv4Address.toString(router) + ", dns=" + dns + ", mtu=" + mtu
            + ", lease=" + leaseTimeSeconds + "s}";
    }
}
