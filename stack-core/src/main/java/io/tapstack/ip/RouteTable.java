package io.tapstack.ip;

import io.tapstack.wire.Ipv4Address;

/**
 * Where a datagram goes next (RFC 1122 §3.3.1): a destination on our subnet is its own next hop; anything
 * else goes to the default gateway, if there is one. Owned by the stack thread.
 */
public final class RouteTable
{
    /** Returned by {@link #nextHop} when the destination cannot be reached. */
    public static final int NO_ROUTE = 0;

    private final int ourAddress;
    private final int mask;
    private final int subnetBroadcast;
    private final int gateway;

    public RouteTable(final int ourAddress, final int prefixLength, final int gateway)
    {
        this.ourAddress = ourAddress;
        this.mask = Ipv4Address.mask(prefixLength);
        this.subnetBroadcast = prefixLength >= 31 ? Ipv4Address.BROADCAST : (ourAddress & mask) | ~mask;
        this.gateway = gateway;
        if (gateway != Ipv4Address.ANY && !isOnLink(gateway))
        {
            throw new IllegalArgumentException("gateway " + Ipv4Address.toString(gateway) + " is not on the subnet of "
                + Ipv4Address.toString(ourAddress) + "/" + prefixLength);
        }
    }

    public boolean isOnLink(final int address)
    {
        return (address & mask) == (ourAddress & mask);
    }

    /** Limited (255.255.255.255) or our subnet's directed broadcast (RFC 1122 §3.2.1.3). */
    public boolean isBroadcast(final int address)
    {
        return address == Ipv4Address.BROADCAST || address == subnetBroadcast;
    }

    public int subnetBroadcast()
    {
        return subnetBroadcast;
    }

    /** The next hop for {@code destination}, or {@link #NO_ROUTE}. Broadcasts are their own next hop. */
    public int nextHop(final int destination)
    {
        if (isOnLink(destination) || destination == Ipv4Address.BROADCAST)
        {
            return destination;
        }
        return gateway;
    }
}
