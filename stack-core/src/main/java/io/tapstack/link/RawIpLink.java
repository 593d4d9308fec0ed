package io.tapstack.link;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.FrameHandler;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bare IPv4 packets on a point-to-point device (a Linux TUN opened with IFF_TUN | IFF_NO_PI): each device frame
 * is one IPv4 packet, with no link header and no link address. In: a frame whose first nibble is not 4 is counted
 * and dropped, the rest go to IPv4 as they are. Out: the packet is the frame; every next hop is "the other end",
 * so nothing is resolved and nothing waits (RFC 1122 §2.3: ARP is for broadcast media). Owned by the stack thread.
 */
public final class RawIpLink implements Ipv4Link, FrameHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(RawIpLink.class);
    /** The link address of every next hop: there is only the other end. Any value but {@link #UNRESOLVED}. */
    public static final long PEER = 0L;

    private final FrameDevice device;
    private final StackCounters counters;
    private EtherTypeHandler ipv4;

    public RawIpLink(final FrameDevice device, final StackCounters counters)
    {
        this.device = device;
        this.counters = counters;
    }

    /** Where received IPv4 packets go (the IPv4 layer). */
    public void ipv4(final EtherTypeHandler ipv4)
    {
        this.ipv4 = ipv4;
    }

    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        counters.increment(Counter.RAW_RX_PACKETS);
        // RFC 791 §3.1: the version field is the first nibble; a TUN also hands us IPv6 (6) and whatever else
        if (length < 1 || (buffer.getByte(offset) & 0xF0) != 0x40 || ipv4 == null)
        {
            counters.increment(Counter.RAW_DROP_NOT_IPV4);
            LOG.debug("dropped a {}-byte packet on the raw IP link: not IPv4", length);
            return;
        }
        // a point-to-point link has no link-level broadcast: only IP's own broadcast addresses count as one
        ipv4.onPacket(buffer, offset, length, false, nowNs);
    }

    @Override
    public int maxPacketLength()
    {
        return device.maxFrameLength();
    }

    @Override
    public long resolve(final int nextHop, final boolean broadcast, final long nowNs)
    {
        return PEER;
    }

    @Override
    public int claim(final long linkAddress, final int packetLength)
    {
        final int offset = device.claim(packetLength);
        if (offset < 0)
        {
            counters.increment(Counter.RAW_TX_DEVICE_FULL);
        }
        return offset;
    }

    @Override
    public MutableDirectBuffer transmitBuffer()
    {
        return device.transmitBuffer();
    }

    @Override
    public void commit(final int packetOffset)
    {
        device.commit(packetOffset);
        counters.increment(Counter.RAW_TX_PACKETS);
    }

    @Override
    public void abort(final int packetOffset)
    {
        device.abort(packetOffset);
    }

    @Override
    public boolean transmit(final long linkAddress, final DirectBuffer packet, final int offset, final int length)
    {
        final int packetOffset = claim(linkAddress, length);
        if (packetOffset < 0)
        {
            return false;
        }
        device.transmitBuffer().putBytes(packetOffset, packet, offset, length);
        commit(packetOffset);
        return true;
    }

    @Override
    public void enqueue(final int nextHop, final DirectBuffer packet, final int offset, final int length,
        final long nowNs)
    {
        // never called: resolve() always knows the peer
        throw new IllegalStateException("a raw IP link resolves every next hop");
    }

    @Override
    public void confirmReachable(final int nextHop, final long nowNs)
    {
        // nothing to re-validate on a point-to-point link
    }
}
