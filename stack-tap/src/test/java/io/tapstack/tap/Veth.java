package io.tapstack.tap;

import static io.tapstack.tap.TapInteropSupport.Netns;

/**
 * A veth pair between two network namespaces of the test's own: the kernel's TCP on a link of its own, to
 * measure the stack against in the same run. Deleting either namespace deletes the pair.
 */
final class Veth
{
    final String aName;
    final String bName;

    private Veth(final String aName, final String bName)
    {
        this.aName = aName;
        this.bName = bName;
    }

    /**
     * Joins {@code a} and {@code b} with a veth pair, addresses both ends ({@code "10.99.8.1/24"}) and brings
     * them up. Every packet is one wire segment ({@code gso_max_segs 1}): the kernel's TCP otherwise hands the
     * IP layer GSO super-packets of up to 45 segments, and a firewall rule that drops one drops them all.
     */
    static Veth link(final Netns a, final String aCidr, final Netns b, final String bCidr)
    {
        final String base = "tsv" + TapInteropSupport.randomHex(6);
        final Veth veth = new Veth(base + "a", base + "b");
        a.execOk("ip", "link", "add", veth.aName, "type", "veth", "peer", "name", veth.bName, "netns", b.name);
        a.execOk("ip", "addr", "add", aCidr, "dev", veth.aName);
        b.execOk("ip", "addr", "add", bCidr, "dev", veth.bName);
        a.execOk("ip", "link", "set", "lo", "up");
        b.execOk("ip", "link", "set", "lo", "up");
        a.execOk("ip", "link", "set", veth.aName, "gso_max_segs", "1", "up");
        b.execOk("ip", "link", "set", veth.bName, "gso_max_segs", "1", "up");
        return veth;
    }
}
