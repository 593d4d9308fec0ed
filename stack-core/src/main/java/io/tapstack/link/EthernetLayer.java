package io.tapstack.link;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.FrameHandler;
import io.tapstack.ip.Ipv4Layer;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.MacAddress;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ethernet II (RFC 894): accepts frames for our MAC or broadcast and dispatches on EtherType; writes the
 * header of outgoing frames in place into a device slot. Owned by the stack thread.
 */
public final class EthernetLayer implements FrameHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(EthernetLayer.class);

    private final FrameDevice device;
    private final StackCounters counters;
    private final long macAddress;
    private final EthernetFrame frame = new EthernetFrame();
    private ArpLayer arp;
    private Ipv4Layer ipv4;

    public EthernetLayer(final FrameDevice device, final long macAddress, final StackCounters counters)
    {
        this.device = device;
        this.macAddress = macAddress;
        this.counters = counters;
    }

    public void upperLayers(final ArpLayer arp, final Ipv4Layer ipv4)
    {
        this.arp = arp;
        this.ipv4 = ipv4;
    }

    public long macAddress()
    {
        return macAddress;
    }

    /** Largest payload (the IP packet) one frame carries. */
    public int maxPayloadLength()
    {
        return device.maxFrameLength() - EthernetFrame.HEADER_LENGTH;
    }

    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        try
        {
            dispatch(buffer, offset, length, nowNs);
        }
        catch (final RuntimeException ex)
        {
            // a bug, never bad input (that is validated and counted): keep the event loop alive, but say so loudly
            counters.increment(Counter.STACK_INTERNAL_ERRORS);
            ipv4.abortDatagram();
            LOG.error("internal error while handling a {}-byte frame; frame dropped", length, ex);
        }
    }

    private void dispatch(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        counters.increment(Counter.ETH_RX_FRAMES);
        frame.wrap(buffer, offset, length);
        if (frame.validate() != EthernetFrame.Verdict.OK)
        {
            counters.increment(Counter.ETH_DROP_TOO_SHORT);
            LOG.debug("dropped a {}-byte frame: shorter than an Ethernet header", length);
            return;
        }
        final long destination = frame.destination();
        if (destination != macAddress && destination != MacAddress.BROADCAST)
        {
            // multicast and other hosts' unicast: a TAP can show us both
            counters.increment(Counter.ETH_DROP_NOT_FOR_US);
            return;
        }
        final long source = frame.source();
        if (source == macAddress)
        {
            counters.increment(Counter.ETH_DROP_OWN_SOURCE);
            return;
        }
        final int payloadOffset = frame.payloadOffset();
        final int payloadLength = frame.payloadLength();
        switch (frame.etherType())
        {
            case EtherType.ARP:
                arp.onPacket(buffer, payloadOffset, payloadLength, nowNs);
                break;
            case EtherType.IPV4:
                ipv4.onPacket(buffer, payloadOffset, payloadLength, destination == MacAddress.BROADCAST, nowNs);
                break;
            default:
                counters.increment(Counter.ETH_DROP_UNKNOWN_ETHERTYPE);
                if (LOG.isDebugEnabled())
                {
                    LOG.debug("dropped a frame with EtherType 0x{}: not ARP or IPv4", Integer.toHexString(frame.etherType()));
                }
        }
    }

    /**
     * Claims a frame for {@code payloadLength} bytes of payload to {@code destination} and writes its header.
     *
     * @return where the payload goes in {@link #transmitBuffer()}, or -1 when the device is full (counted)
     */
    public int claim(final long destination, final int etherType, final int payloadLength)
    {
        final int offset = device.claim(EthernetFrame.HEADER_LENGTH + payloadLength);
        if (offset < 0)
        {
            counters.increment(Counter.ETH_TX_DEVICE_FULL);
            return -1;
        }
        EthernetFrame.writeHeader(device.transmitBuffer(), offset, destination, macAddress, etherType);
        return offset + EthernetFrame.HEADER_LENGTH;
    }

    public MutableDirectBuffer transmitBuffer()
    {
        return device.transmitBuffer();
    }

    /** Sends the frame whose payload was claimed at {@code payloadOffset}. */
    public void commit(final int payloadOffset)
    {
        device.commit(payloadOffset - EthernetFrame.HEADER_LENGTH);
        counters.increment(Counter.ETH_TX_FRAMES);
    }

    public void abort(final int payloadOffset)
    {
        device.abort(payloadOffset - EthernetFrame.HEADER_LENGTH);
    }

    /** Sends a copy of {@code payload} in one frame; false when the device is full (counted). */
    public boolean transmit(final long destination, final int etherType, final DirectBuffer payload, final int offset,
        final int length)
    {
        final int payloadOffset = claim(destination, etherType, length);
        if (payloadOffset < 0)
        {
            return false;
        }
        device.transmitBuffer().putBytes(payloadOffset, payload, offset, length);
        commit(payloadOffset);
        return true;
    }
}
