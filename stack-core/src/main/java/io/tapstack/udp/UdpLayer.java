package io.tapstack.udp;

import io.tapstack.StackConfig;
import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameHandler;
import io.tapstack.ip.IcmpLayer;
import io.tapstack.ip.Ipv4Layer;
import io.tapstack.ip.Ipv4Transport;
import io.tapstack.time.RandomSource;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.UdpHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP demultiplexing and the stack-side API. Read RFC 768 and RFC 1122 §4.1.3 (what a host must do) first.
 *
 * <p>Validates every datagram (length, checksum over the pseudo-header), then queues it on the endpoint bound to
 * its destination port, or answers with ICMP port unreachable (never about a broadcast). Sends datagrams of up to
 * 65,507 bytes from bound ports (IP fragments what exceeds the MTU), and hands ICMP errors about them to the
 * endpoint that sent them. Owns every endpoint. Owned by the stack thread.
 */
public final class UdpLayer implements Ipv4Transport
{
    private static final Logger LOG = LoggerFactory.getLogger(UdpLayer.class);
    /** RFC 6335 §6: the dynamic (ephemeral) ports are 49152-65535. */
    private static final int EPHEMERAL_FIRST = 49152;
    private static final int EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;
    private static final UdpHandler NO_HANDLER = endpoint ->
    {
    };

    private final Ipv4Layer ipv4;
    private final IcmpLayer icmp;
    private final StackCounters counters;
    private final RandomSource random;
    private final int maxEndpoints;
    private final int receiveQueueBytes;
    private final UdpHeader received = new UdpHeader();
    private final UdpHeader outgoing = new UdpHeader();
    private final UdpHeader quoted = new UdpHeader();
    /** Bound endpoints by local port; at most {@link #maxEndpoints}. */
    private final Int2ObjectHashMap<UdpEndpoint> endpoints = new Int2ObjectHashMap<>();
    /** Gateway mode: what no endpoint takes (null: nothing intercepted). */
    private UdpInterceptor interceptor;

    public UdpLayer(final StackConfig config, final Ipv4Layer ipv4, final IcmpLayer icmp,
        final StackCounters counters, final RandomSource random)
    {
        this.ipv4 = ipv4;
        this.icmp = icmp;
        this.counters = counters;
        this.random = random;
        this.maxEndpoints = config.udpMaxEndpoints();
        this.receiveQueueBytes = config.udpReceiveQueueBytes();
    }

    /** Gateway mode: datagrams to another destination or to a closed port go to {@code interceptor} (null: none). */
    public void interceptor(final UdpInterceptor interceptor)
    {
        this.interceptor = interceptor;
    }

    public int endpointCount()
    {
        return endpoints.size();
    }

    // ------------------------------------------------------------------------------------------------ API

    /**
     * Binds {@code port}, or with 0 an ephemeral port in 49152-65535 chosen as RFC 6056 §3.3.1 (a random start
     * drawn from the stack's secrets, then the next free one).
     *
     * @param handler told when datagrams arrive and about ICMP errors (null: told nothing)
     * @return the endpoint, or null when the port is taken (UDP_BIND_CONFLICTS) or the endpoint limit is reached
     * (UDP_ENDPOINT_LIMIT)
     */
    public UdpEndpoint bind(final int port, final UdpHandler handler)
    {
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("port must be 0..65535: " + port);
        }
        if (endpoints.size() >= maxEndpoints)
        {
            counters.increment(Counter.UDP_ENDPOINT_LIMIT);
            LOG.debug("cannot bind UDP port {}: {} endpoints already bound", port, maxEndpoints);
            return null;
        }
        final int chosen = port != 0 ? port : freeEphemeralPort();
        if (chosen < 0 || endpoints.containsKey(chosen))
        {
            counters.increment(Counter.UDP_BIND_CONFLICTS);
            LOG.debug("cannot bind UDP port {}: in use", port);
            return null;
        }
        final UdpEndpoint endpoint = new UdpEndpoint(this, chosen, handler != null ? handler : NO_HANDLER,
            receiveQueueBytes);
        endpoints.put(chosen, endpoint);
        LOG.debug("bound UDP port {}", chosen);
        return endpoint;
    }

    private int freeEphemeralPort()
    {
        final int start = random.nextInt(EPHEMERAL_COUNT);
        for (int i = 0; i < EPHEMERAL_COUNT; i++)
        {
            final int port = EPHEMERAL_FIRST + (start + i) % EPHEMERAL_COUNT;
            if (!endpoints.containsKey(port))
            {
                return port;
            }
        }
        return -1;
    }

    void unbind(final UdpEndpoint endpoint)
    {
        if (endpoints.get(endpoint.localPort()) == endpoint)
        {
            endpoints.remove(endpoint.localPort());
            LOG.debug("closed UDP port {}", endpoint.localPort());
        }
    }

    // ------------------------------------------------------------------------------------------------ input

    /** One received UDP datagram inside {@code datagram}. */
    @Override
    public void onPacket(final Ipv4Header datagram, final boolean broadcast, final long nowNs)
    {
        counters.increment(Counter.UDP_RX);
        final int source = datagram.source();
        received.wrap(datagram.buffer(), datagram.payloadOffset(), datagram.payloadLength());
        final int checksumState = ipv4.receivedChecksum();
        switch (received.validate(source, datagram.destination(),
            checksumState == FrameHandler.CHECKSUM_UNVERIFIED))
        {
            case OK:
                if (checksumState == FrameHandler.CHECKSUM_VALID)
                {
                    counters.increment(Counter.UDP_RX_CHECKSUM_VALID_BY_DEVICE);
                }
                else if (checksumState == FrameHandler.CHECKSUM_PARTIAL)
                {
                    counters.increment(Counter.UDP_RX_CHECKSUM_PARTIAL);
                }
                break;
            case TOO_SHORT:
                drop(Counter.UDP_DROP_TOO_SHORT, "shorter than a UDP header");
                return;
            case BAD_LENGTH:
                drop(Counter.UDP_DROP_BAD_LENGTH, "length field below 8 or beyond the IP payload");
                return;
            default:
                drop(Counter.UDP_DROP_BAD_CHECKSUM, "checksum does not verify");
                return;
        }
        if (received.checksum() == UdpHeader.NO_CHECKSUM)
        {
            counters.increment(Counter.UDP_RX_NO_CHECKSUM); // RFC 1122 §4.1.3.4: accepted, as the sender chose
        }
        final int port = received.destinationPort();
        final int destination = datagram.destination();
        final boolean ours = destination == ipv4.ourAddress() || broadcast;
        final UdpEndpoint endpoint = ours ? endpoints.get(port) : null;
        if (endpoint == null)
        {
            if (!broadcast && interceptor != null && interceptor.onDatagram(source, received.sourcePort(), destination,
                port, received.buffer(), received.dataOffset(), received.dataLength(), nowNs))
            {
                counters.increment(Counter.UDP_RX_INTERCEPTED);
            }
            else if (ours)
            {
                onClosedPort(datagram, broadcast, nowNs);
            }
            else
            {
                counters.increment(Counter.UDP_GATEWAY_UNCLAIMED);
            }
            return;
        }
        // RFC 768: trailing IP payload beyond the Length field is not part of the datagram
        if (!endpoint.enqueue(received.buffer(), received.offset(), received.length(), source))
        {
            counters.increment(Counter.UDP_RX_QUEUE_FULL_DROPS);
            if (LOG.isDebugEnabled())
            {
                LOG.debug("dropped a {}-byte datagram from {}:{} to port {}: receive queue full ({} queued)",
                    received.dataLength(), Ipv4Address.toString(source), received.sourcePort(), port,
                    endpoint.queuedDatagrams());
            }
            return;
        }
        counters.increment(Counter.UDP_RX_QUEUED);
        endpoint.handler().onReadable(endpoint);
    }

    private void onClosedPort(final Ipv4Header datagram, final boolean broadcast, final long nowNs)
    {
        counters.increment(Counter.UDP_TO_CLOSED_PORT);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("datagram from {}:{} to closed port {}{}", Ipv4Address.toString(datagram.source()),
                received.sourcePort(), received.destinationPort(), broadcast ? " (broadcast: no reply)" : "");
        }
        if (!broadcast)
        {
            // RFC 1122 §4.1.3.1: port unreachable; §3.2.2: never about a datagram sent to a broadcast address
            icmp.sendError(IcmpMessage.TYPE_DESTINATION_UNREACHABLE, IcmpMessage.CODE_PORT_UNREACHABLE,
                datagram.buffer(), datagram.offset(), datagram.totalLength(), nowNs);
        }
    }

    /**
     * RFC 1122 §4.1.3.3: an ICMP error quoting {@code quotedDatagram}, an IP header followed by at least the 8
     * bytes of a UDP header (checked by IP), goes to the endpoint that sent it.
     */
    @Override
    public void onIcmpError(final int type, final int code, final Ipv4Header quotedDatagram, final long nowNs)
    {
        quoted.wrap(quotedDatagram.buffer(), quotedDatagram.payloadOffset(), UdpHeader.HEADER_LENGTH);
        final int localPort = quoted.sourcePort();
        final UdpEndpoint endpoint = endpoints.get(localPort);
        if (endpoint == null || quotedDatagram.source() != ipv4.ourAddress())
        {
            counters.increment(Counter.UDP_ICMP_ERRORS_UNMATCHED);
            LOG.debug("ICMP error type {} code {} about UDP port {}: no such endpoint", type, code, localPort);
            return;
        }
        counters.increment(Counter.UDP_ICMP_ERRORS_RX);
        final int remoteAddress = quotedDatagram.destination();
        final int remotePort = quoted.destinationPort();
        if (LOG.isDebugEnabled())
        {
            LOG.debug("ICMP error type {} code {} about port {} -> {}:{}", type, code, localPort,
                Ipv4Address.toString(remoteAddress), remotePort);
        }
        endpoint.handler().onIcmpError(endpoint, type, code, remoteAddress, remotePort);
    }

    private void drop(final Counter counter, final String why)
    {
        counters.increment(counter);
        LOG.debug("dropped a UDP datagram: {}", why);
    }

    // ------------------------------------------------------------------------------------------------ output

    /** Writes one datagram from {@code endpoint}, its data copied once from {@code src} into the transmit slot. */
    boolean send(final UdpEndpoint endpoint, final int remoteAddress, final int remotePort, final DirectBuffer src,
        final int offset, final int length, final long nowNs)
    {
        if (endpoint.isClosed())
        {
            counters.increment(Counter.UDP_TX_INVALID);
            return false;
        }
        return sendFrom(ipv4.ourAddress(), endpoint.localPort(), remoteAddress, remotePort, src, offset, length, nowNs);
    }

    /**
     * Gateway mode: sends one datagram from any address and port (a forwarding engine answers the guest from the
     * address and port it sent to), its data copied once into the transmit slot.
     *
     * @return false when it could not be sent (counted: too big, invalid port, no route or buffer)
     */
    public boolean sendFrom(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final DirectBuffer src, final int offset, final int length, final long nowNs)
    {
        if (length > UdpHeader.MAX_DATA_LENGTH)
        {
            counters.increment(Counter.UDP_TX_TOO_BIG);
            LOG.debug("cannot send {} bytes from port {}: at most 65,507 fit a datagram", length, localPort);
            return false;
        }
        src.boundsCheck(offset, length);
        if (remotePort <= 0 || remotePort > 65535 || localPort <= 0 || localPort > 65535)
        {
            // RFC 768 leaves port 0 unassigned; no datagram is sent to it (as sendto(2) refuses)
            counters.increment(Counter.UDP_TX_INVALID);
            return false;
        }
        final int udpLength = UdpHeader.HEADER_LENGTH + length;
        final int payload = ipv4.beginDatagram(localAddress, remoteAddress, IpProtocol.UDP, udpLength, nowNs);
        if (payload < 0)
        {
            counters.increment(Counter.UDP_TX_FAILED);
            return false;
        }
        boolean committed = false;
        try
        {
            final MutableDirectBuffer out = ipv4.transmitBuffer();
            out.putBytes(payload + UdpHeader.HEADER_LENGTH, src, offset, length);
            outgoing.wrap(out, payload, udpLength)
                .sourcePort(localPort)
                .destinationPort(remotePort)
                .length(udpLength)
                .updateChecksum(localAddress, remoteAddress);
            ipv4.commitDatagram(nowNs);
            committed = true;
        }
        finally
        {
            if (!committed)
            {
                ipv4.abortDatagram();
            }
        }
        counters.increment(Counter.UDP_TX);
        return true;
    }
}
