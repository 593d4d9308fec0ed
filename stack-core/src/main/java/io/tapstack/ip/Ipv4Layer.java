package io.tapstack.ip;

import io.tapstack.StackConfig;
import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameHandler;
import io.tapstack.link.ArpLayer;
import io.tapstack.link.EtherTypeHandler;
import io.tapstack.link.EthernetArpLink;
import io.tapstack.link.EthernetLayer;
import io.tapstack.link.Ipv4Link;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.IpProtocol;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IPv4. Read RFC 791 §3 and RFC 1122 §3.2.1 (what a host must check) and §3.3.1-2 (routing, reassembly)
 * first.
 *
 * <p>In: validates, accepts our address and broadcasts, reassembles fragments, dispatches on protocol. Out:
 * {@link #beginDatagram} / {@link #commitDatagram}: a datagram that fits the MTU and whose next hop is known
 * is written straight into a device slot; anything else (too big, next hop unresolved) is built in a scratch
 * buffer and then fragmented and/or queued for ARP. The link below is an {@link Ipv4Link}: Ethernet with ARP, or
 * bare IP on a point-to-point TUN, where every next hop is known. Protocols above register an {@link Ipv4Transport} by
 * protocol number. Owned by the stack thread.
 */
public final class Ipv4Layer implements EtherTypeHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(Ipv4Layer.class);

    private final StackCounters counters;
    private final Ipv4Link link;
    private final RouteTable routes;
    private final Reassembler reassembler;
    private final int ourAddress;
    private final int ttl;
    private final int mtu;
    /** The device's word on the transport checksum of the frame being handled (FrameHandler.CHECKSUM_*). */
    private int receivedChecksum = FrameHandler.CHECKSUM_UNVERIFIED;
    /** The device completes the TCP checksums we send (FrameDevice.offloadTcpChecksums): TCP writes partial ones. */
    private boolean tcpChecksumOffload;
    /** StackConfig.gatewayMode: TCP and UDP for any unicast destination are taken in, as a router's guest expects. */
    private final boolean gatewayMode;
    private final Ipv4Header header = new Ipv4Header();
    private final Ipv4Header quoted = new Ipv4Header();
    /** Protocols above IP by protocol number (0-255); null: none, answered with protocol unreachable. */
    private final Ipv4Transport[] transports = new Ipv4Transport[256];
    /** Sends the errors IP itself reports (protocol unreachable, reassembly time exceeded). */
    private IcmpLayer icmp;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[Ipv4Header.MAX_DATAGRAM_LENGTH]);
    private final UnsafeBuffer fragment;
    private int identification;

    // the datagram between beginDatagram and commitDatagram
    private boolean inScratch;
    private boolean open;
    private int pendingOffset;
    private int pendingTotalLength;
    private int pendingDestination;
    private int pendingSource;
    private int pendingProtocol;
    private int pendingNextHop;
    private long pendingMac;

    public Ipv4Layer(final StackConfig config, final EthernetLayer ethernet, final ArpLayer arp,
        final StackCounters counters, final int initialIdentification)
    {
        this(config, new EthernetArpLink(ethernet, arp), counters, initialIdentification);
    }

    public Ipv4Layer(final StackConfig config, final Ipv4Link link, final StackCounters counters,
        final int initialIdentification)
    {
        this.counters = counters;
        this.link = link;
        this.ourAddress = config.ipAddress();
        this.ttl = config.ttl();
        this.mtu = Math.min(config.mtu(), link.maxPacketLength());
        this.gatewayMode = config.gatewayMode();
        this.routes = new RouteTable(config.ipAddress(), config.prefixLength(), config.gateway());
        this.reassembler = new Reassembler(config.reassemblyMemoryBytes(), config.reassemblyTimeoutNs(), counters);
        this.fragment = new UnsafeBuffer(new byte[mtu]);
        this.identification = initialIdentification & 0xFFFF;
    }

    /** The ICMP that sends the errors IP reports itself; it still receives ICMP only if registered. */
    public void icmp(final IcmpLayer icmp)
    {
        this.icmp = icmp;
        reassembler.timeoutListener(icmp::onReassemblyTimeout);
    }

    /** Delivers datagrams of {@code protocol} (and ICMP errors about the ones it sent) to {@code transport}. */
    public void register(final int protocol, final Ipv4Transport transport)
    {
        if (protocol < 0 || protocol >= transports.length)
        {
            throw new IllegalArgumentException("IP protocol numbers are 0-255: " + protocol);
        }
        transports[protocol] = transport;
    }

    public RouteTable routes()
    {
        return routes;
    }

    public Reassembler reassembler()
    {
        return reassembler;
    }

    public int ourAddress()
    {
        return ourAddress;
    }

    /**
     * What the device said of the transport checksum of the frame being handled ({@code FrameHandler.CHECKSUM_*}):
     * the stack sets it around each frame. Stack thread.
     */
    public void receivedChecksum(final int checksumState)
    {
        this.receivedChecksum = checksumState;
    }

    /**
     * For a transport, during {@link Ipv4Transport#onPacket}: whether the device verified the datagram's checksum
     * ({@code FrameHandler.CHECKSUM_VALID}), left it partial ({@code CHECKSUM_PARTIAL}), or the transport must verify
     * it ({@code CHECKSUM_UNVERIFIED}: always for a reassembled datagram).
     */
    public int receivedChecksum()
    {
        return receivedChecksum;
    }

    public int mtu()
    {
        return mtu;
    }

    /**
     * A transport's advice that {@code destination} received what we sent (a TCP ACK of new data): the next hop
     * towards it is reachable, so its ARP entry needs no re-validation (RFC 1122 §2.3.2.1, "advice from higher
     * layers").
     */
    public void confirmReachable(final int destination, final long nowNs)
    {
        final int nextHop = routes.nextHop(destination);
        if (nextHop != RouteTable.NO_ROUTE && !routes.isBroadcast(nextHop))
        {
            link.confirmReachable(nextHop, nowNs);
        }
    }

    /**
     * One received IPv4 packet (the Ethernet payload, possibly with link padding after it).
     *
     * @param linkBroadcast the frame was sent to the Ethernet broadcast address
     */
    @Override
    public void onPacket(final MutableDirectBuffer buffer, final int offset, final int length,
        final boolean linkBroadcast, final long nowNs)
    {
        try
        {
            receive(buffer, offset, length, linkBroadcast, nowNs);
        }
        catch (final RuntimeException ex)
        {
            // a bug above us (bad input is counted, never thrown): the datagram a transport was building when it
            // threw is ours to release, so the next one can begin; the stack counts and logs the error
            abortDatagram();
            throw ex;
        }
    }

    private void receive(final MutableDirectBuffer buffer, final int offset, final int length,
        final boolean linkBroadcast, final long nowNs)
    {
        counters.increment(Counter.IP_RX);
        header.wrap(buffer, offset, length);
        switch (header.validate())
        {
            case OK:
                break;
            case TOO_SHORT:
                dropInvalid(Counter.IP_DROP_TOO_SHORT, "shorter than an IPv4 header");
                return;
            case BAD_VERSION:
                dropInvalid(Counter.IP_DROP_BAD_VERSION, "version is not 4");
                return;
            case BAD_HEADER_LENGTH:
                dropInvalid(Counter.IP_DROP_BAD_HEADER_LENGTH, "IHL out of range");
                return;
            case BAD_TOTAL_LENGTH:
                dropInvalid(Counter.IP_DROP_BAD_TOTAL_LENGTH, "total length below the header length");
                return;
            case TRUNCATED:
                dropInvalid(Counter.IP_DROP_TRUNCATED, "total length beyond the frame");
                return;
            case BAD_CHECKSUM:
                dropInvalid(Counter.IP_DROP_BAD_CHECKSUM, "header checksum does not verify");
                return;
            default:
                return;
        }
        final int destination = header.destination();
        final boolean broadcast = routes.isBroadcast(destination);
        if (destination != ourAddress && !broadcast && !takesForGateway(destination, header.protocol()))
        {
            // RFC 1122 §3.2.1.3: a host silently discards datagrams not addressed to it
            counters.increment(Counter.IP_DROP_NOT_FOR_US);
            return;
        }
        final int source = header.source();
        if (routes.isBroadcast(source) || Ipv4Address.isMulticast(source) || source == ourAddress)
        {
            // RFC 1122 §3.2.1.3: a source address must be a unicast address other than ours
            dropInvalid(Counter.IP_DROP_BAD_SOURCE, "source address is not a unicast address");
            return;
        }
        if (header.isFragment())
        {
            // a device vouches for one frame, never for a datagram put together from several
            receivedChecksum = FrameHandler.CHECKSUM_UNVERIFIED;
            final int index = reassembler.onFragment(header, nowNs);
            if (index >= 0)
            {
                try
                {
                    final MutableDirectBuffer whole = reassembler.buffer(index);
                    final int headerOffset = reassembler.headerOffset(index);
                    header.wrap(whole, headerOffset, reassembler.totalLength(index));
                    deliver(header, broadcast || linkBroadcast, nowNs);
                }
                finally
                {
                    reassembler.release(index);
                }
            }
            return;
        }
        deliver(header, broadcast || linkBroadcast, nowNs);
    }

    /**
     * Gateway mode: TCP and UDP to a unicast address other than ours are the guest's traffic for the world, which
     * the transports hand to the forwarding engine (counted in IP_RX_GATEWAY). Anything else stays a host's drop.
     */
    private boolean takesForGateway(final int destination, final int protocol)
    {
        if (!gatewayMode || Ipv4Address.isMulticast(destination) || destination == 0
            || (protocol != IpProtocol.TCP && protocol != IpProtocol.UDP))
        {
            return false;
        }
        counters.increment(Counter.IP_RX_GATEWAY);
        return true;
    }

    private void deliver(final Ipv4Header datagram, final boolean broadcast, final long nowNs)
    {
        final Ipv4Transport transport = transports[datagram.protocol()];
        if (transport != null)
        {
            transport.onPacket(datagram, broadcast, nowNs);
            return;
        }
        counters.increment(Counter.IP_DROP_UNKNOWN_PROTOCOL);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("no handler for protocol {} from {}", datagram.protocol(), Ipv4Address.toString(datagram.source()));
        }
        if (!broadcast)
        {
            // RFC 1122 §3.2.2.1: protocol unreachable; never in answer to a broadcast
            icmp.sendError(IcmpMessage.TYPE_DESTINATION_UNREACHABLE, IcmpMessage.CODE_PROTOCOL_UNREACHABLE,
                datagram.buffer(), datagram.offset(), datagram.totalLength(), nowNs);
        }
    }

    /**
     * An ICMP error quoting {@code length} bytes from {@code offset}: the header of a datagram we sent and the
     * start of its payload. RFC 1122 §3.2.2: it goes to the transport protocol named in the quoted header, which
     * finds the sender by its ports (RFC 792: at least 8 payload bytes are quoted).
     */
    void onIcmpError(final int type, final int code, final MutableDirectBuffer buffer, final int offset,
        final int length, final long nowNs)
    {
        quoted.wrap(buffer, offset, length);
        if (length < Ipv4Header.MIN_HEADER_LENGTH || quoted.version() != 4
            || quoted.headerLength() < Ipv4Header.MIN_HEADER_LENGTH || quoted.headerLength() + 8 > length
            || (quoted.flagsAndFragmentOffset() & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0)
        {
            LOG.debug("ICMP error type {} code {} quotes too little to tell whose datagram it was", type, code);
            return;
        }
        final Ipv4Transport transport = transports[quoted.protocol()];
        if (transport != null)
        {
            // a transport that does not take ICMP errors (the default) leaves the error counted and logged only
            transport.onIcmpError(type, code, quoted, nowNs);
        }
    }

    private void dropInvalid(final Counter counter, final String why)
    {
        counters.increment(counter);
        LOG.debug("dropped an IPv4 packet: {}", why);
    }

    /**
     * Starts an outgoing datagram of {@code payloadLength} bytes to {@code destination}. Write the payload into
     * {@link #transmitBuffer()} at the returned offset, then call {@link #commitDatagram} or
     * {@link #abortDatagram}.
     *
     * @return where the payload goes, or -1 when the datagram cannot be sent (counted)
     */
    public int beginDatagram(final int destination, final int protocol, final int payloadLength, final long nowNs)
    {
        return beginDatagram(ourAddress, destination, protocol, payloadLength, nowNs);
    }

    /**
     * {@link #beginDatagram(int, int, int, long)} with another source address than ours: in gateway mode the stack
     * answers for the destinations the guest reached (a connection's local address is the address the guest
     * connected to).
     */
    public int beginDatagram(final int source, final int destination, final int protocol, final int payloadLength,
        final long nowNs)
    {
        if (open)
        {
            throw new IllegalStateException("a datagram is already being built");
        }
        final int totalLength = Ipv4Header.MIN_HEADER_LENGTH + payloadLength;
        if (payloadLength < 0 || totalLength > Ipv4Header.MAX_DATAGRAM_LENGTH)
        {
            counters.increment(Counter.IP_TX_TOO_BIG);
            return -1;
        }
        final int nextHop = routes.nextHop(destination);
        if (nextHop == RouteTable.NO_ROUTE)
        {
            counters.increment(Counter.IP_TX_NO_ROUTE);
            LOG.debug("no route to {}", Ipv4Address.toString(destination));
            return -1;
        }
        final long mac = link.resolve(nextHop, routes.isBroadcast(nextHop), nowNs);
        int ipOffset;
        if (totalLength <= mtu && mac != Ipv4Link.UNRESOLVED)
        {
            ipOffset = link.claim(mac, totalLength);
            if (ipOffset < 0)
            {
                counters.increment(Counter.IP_TX_NO_BUFFER);
                return -1;
            }
            inScratch = false;
        }
        else
        {
            ipOffset = 0;
            inScratch = true;
        }
        open = true;
        pendingOffset = ipOffset;
        pendingTotalLength = totalLength;
        pendingDestination = destination;
        pendingSource = source;
        pendingProtocol = protocol;
        pendingNextHop = nextHop;
        pendingMac = mac;
        return ipOffset + Ipv4Header.MIN_HEADER_LENGTH;
    }

    /**
     * Set once, when the stack is built, to what the device answered to
     * {@link io.tapstack.dev.FrameDevice#offloadTcpChecksums}.
     */
    public void tcpChecksumOffload(final boolean offload)
    {
        this.tcpChecksumOffload = offload;
    }

    /**
     * Whether a TCP segment of {@code tcpLength} bytes may go with only its pseudo-header sum: the device completes
     * it, and the segment goes whole (a fragmented datagram is never marked partial, so it needs its full checksum).
     */
    public boolean tcpChecksumOffload(final int tcpLength)
    {
        return tcpChecksumOffload && tcpLength + Ipv4Header.MIN_HEADER_LENGTH <= mtu;
    }

    /** The buffer the offset from {@link #beginDatagram} refers to. */
    public MutableDirectBuffer transmitBuffer()
    {
        return inScratch ? scratch : link.transmitBuffer();
    }

    /** Writes the header and sends the datagram begun by {@link #beginDatagram}, fragmenting it if needed. */
    public void commitDatagram(final long nowNs)
    {
        if (!open)
        {
            throw new IllegalStateException("no datagram to commit");
        }
        open = false;
        final int id = nextIdentification();
        if (!inScratch)
        {
            Ipv4Header.write(link.transmitBuffer(), pendingOffset, pendingTotalLength, id, 0, ttl,
                pendingProtocol, pendingSource, pendingDestination);
            link.commit(pendingOffset);
            counters.increment(Counter.IP_TX);
            return;
        }
        counters.increment(Counter.IP_TX);
        final int payloadLength = pendingTotalLength - Ipv4Header.MIN_HEADER_LENGTH;
        if (pendingTotalLength <= mtu)
        {
            Ipv4Header.write(scratch, 0, pendingTotalLength, id, 0, ttl, pendingProtocol, pendingSource,
                pendingDestination);
            sendPacket(scratch, 0, pendingTotalLength, nowNs);
            return;
        }
        // RFC 791 §3.2 "fragmentation": pieces of a multiple of 8 bytes, MF on all but the last
        final int maxPiece = (mtu - Ipv4Header.MIN_HEADER_LENGTH) & ~7;
        for (int sent = 0; sent < payloadLength; sent += maxPiece)
        {
            final int piece = Math.min(maxPiece, payloadLength - sent);
            final boolean last = sent + piece == payloadLength;
            final int flags = (last ? 0 : Ipv4Header.FLAG_MORE_FRAGMENTS) | (sent >>> 3);
            final int length = Ipv4Header.MIN_HEADER_LENGTH + piece;
            Ipv4Header.write(fragment, 0, length, id, flags, ttl, pendingProtocol, pendingSource, pendingDestination);
            fragment.putBytes(Ipv4Header.MIN_HEADER_LENGTH, scratch, Ipv4Header.MIN_HEADER_LENGTH + sent, piece);
            counters.increment(Counter.IP_FRAGMENTS_TX);
            sendPacket(fragment, 0, length, nowNs);
        }
    }

    /** Releases the datagram begun by {@link #beginDatagram} without sending it; nothing when none is open. */
    public void abortDatagram()
    {
        if (open && !inScratch)
        {
            link.abort(pendingOffset);
        }
        open = false;
    }

    private void sendPacket(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        final long mac = pendingMac != Ipv4Link.UNRESOLVED ? pendingMac
            : link.resolve(pendingNextHop, routes.isBroadcast(pendingNextHop), nowNs);
        if (mac != Ipv4Link.UNRESOLVED)
        {
            if (!link.transmit(mac, buffer, offset, length))
            {
                counters.increment(Counter.IP_TX_NO_BUFFER);
            }
        }
        else
        {
            link.enqueue(pendingNextHop, buffer, offset, length, nowNs);
        }
    }

    private int nextIdentification()
    {
        // RFC 6864 §4.1: the ID need only be unique per source, destination and protocol while fragments live
        final int id = identification;
        identification = (identification + 1) & 0xFFFF;
        return id;
    }

    public int onTimer(final long nowNs)
    {
        return reassembler.expire(nowNs);
    }

    public long nextDeadlineNs()
    {
        return reassembler.nextDeadlineNs();
    }
}
