package io.tapstack.link;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.FrameHandler;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.MacAddress;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;

/**
 * Ethernet II (RFC 894): accepts frames for our MAC or broadcast and dispatches on EtherType to the
 * {@link EtherTypeHandler} registered for it; writes the header of outgoing frames in place into a device slot.
 * Owned by the stack thread.
 *
 * <p>A handler that throws (a bug: bad input is counted, never thrown) is not caught here: the layer that owns
 * any half-done state releases it, and the stack counts the error and drops the frame.
 */
public final class EthernetLayer implements FrameHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(EthernetLayer.class);

    private final FrameDevice device;
    private final StackCounters counters;
    private final long macAddress;
    private final EthernetFrame frame = new EthernetFrame();
    /** Registered EtherTypes and their handlers, side by side; a linear scan: there are two or three. */
    private int[] etherTypes = new int[0];
    private EtherTypeHandler[] handlers = new EtherTypeHandler[0];

    public EthernetLayer(final FrameDevice device, final long macAddress, final StackCounters counters)
    {
        this.device = device;
        this.macAddress = macAddress;
        this.counters = counters;
    }

    /** Delivers the payload of frames of {@code etherType} to {@code handler} (replacing any handler before). */
    public void register(final int etherType, final EtherTypeHandler handler)
    {
        for (int i = 0; i < etherTypes.length; i++)
        {
            if (etherTypes[i] == etherType)
            {
                handlers[i] = handler;
                return;
            }
        }
        final int n = etherTypes.length;
        etherTypes = Arrays.copyOf(etherTypes, n + 1);
        handlers = Arrays.copyOf(handlers, n + 1);
        etherTypes[n] = etherType;
        handlers[n] = handler;
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
        final int etherType = frame.etherType();
        final int[] types = etherTypes;
        for (int i = 0; i < types.length; i++)
        {
            if (types[i] == etherType)
            {
                handlers[i].onPacket(buffer, payloadOffset, payloadLength, destination == MacAddress.BROADCAST, nowNs);
                return;
            }
        }
        counters.increment(Counter.ETH_DROP_UNKNOWN_ETHERTYPE);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("dropped a frame with EtherType 0x{}: not ARP or IPv4", Integer.toHexString(etherType));
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
