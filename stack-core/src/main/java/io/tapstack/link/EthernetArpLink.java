package io.tapstack.link;

import io.tapstack.wire.EtherType;
import io.tapstack.wire.MacAddress;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** IPv4 over Ethernet (RFC 894): packets go out in frames of EtherType IPv4, next hops resolved by ARP (RFC 826). */
public final class EthernetArpLink implements Ipv4Link
{
    private final EthernetLayer ethernet;
    private final ArpLayer arp;

    public EthernetArpLink(final EthernetLayer ethernet, final ArpLayer arp)
    {
        this.ethernet = ethernet;
        this.arp = arp;
    }

    @Override
    public int maxPacketLength()
    {
        return ethernet.maxPayloadLength();
    }

    @Override
    public long resolve(final int nextHop, final boolean broadcast, final long nowNs)
    {
        return broadcast ? MacAddress.BROADCAST : arp.lookup(nextHop, nowNs);
    }

    @Override
    public int claim(final long linkAddress, final int packetLength)
    {
        return ethernet.claim(linkAddress, EtherType.IPV4, packetLength);
    }

    @Override
    public MutableDirectBuffer transmitBuffer()
    {
        return ethernet.transmitBuffer();
    }

    @Override
    public void commit(final int packetOffset)
    {
        ethernet.commit(packetOffset);
    }

    @Override
    public void abort(final int packetOffset)
    {
        ethernet.abort(packetOffset);
    }

    @Override
    public boolean transmit(final long linkAddress, final DirectBuffer packet, final int offset, final int length)
    {
        return ethernet.transmit(linkAddress, EtherType.IPV4, packet, offset, length);
    }

    @Override
    public void enqueue(final int nextHop, final DirectBuffer packet, final int offset, final int length,
        final long nowNs)
    {
        arp.enqueue(nextHop, packet, offset, length, nowNs);
    }

    @Override
    public void confirmReachable(final int nextHop, final long nowNs)
    {
        arp.confirmReachable(nextHop, nowNs);
    }
}
