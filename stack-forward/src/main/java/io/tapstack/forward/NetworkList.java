package io.tapstack.forward;

import io.tapstack.wire.Ipv4Address;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A list of IPv4 networks ("127.0.0.0/8", "10.99.0.0/16"), for the engine's allow and deny lists. Lookups are a
 * scan of primitive arrays (lists are short) and allocate nothing. Changed only before the engine starts.
 */
public final class NetworkList
{
    private int[] networks = new int[0];
    private int[] masks = new int[0];

    /** Adds a network in CIDR notation; a bare address is a /32. */
    public NetworkList add(final String cidr)
    {
        final int slash = cidr.indexOf('/');
        final int address = Ipv4Address.parse(slash < 0 ? cidr : cidr.substring(0, slash));
        final int prefix = slash < 0 ? 32 : Integer.parseInt(cidr.substring(slash + 1));
        if (prefix < 0 || prefix > 32)
        {
            throw new IllegalArgumentException("prefix length must be 0..32: " + cidr);
        }
        final int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
        networks = Arrays.copyOf(networks, networks.length + 1);
        masks = Arrays.copyOf(masks, masks.length + 1);
        networks[networks.length - 1] = address & mask;
        masks[masks.length - 1] = mask;
        return this;
    }

    public boolean isEmpty()
    {
        return networks.length == 0;
    }

    public boolean contains(final int address)
    {
        for (int i = 0; i < networks.length; i++)
        {
            if ((address & masks[i]) == networks[i])
            {
                return true;
            }
        }
        return false;
    }

    public List<String> toList()
    {
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < networks.length; i++)
        {
            out.add(Ipv4Address.toString(networks[i]) + "/" + Integer.bitCount(masks[i]));
        }
        return out;
    }

    @Override
    public String toString()
    {
        return toList().toString();
    }
}
