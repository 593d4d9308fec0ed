package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.ip.Ipv4Layer;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP demultiplexing. Read RFC 9293 §3.1 (header), §3.10.7 (segment arrival) and RFC 1122 §4.2.3.10 first.
 *
 * <p>Validates every segment (length, data offset, checksum over the pseudo-header, options), then finds its
 * connection or listener; a segment for no connection is answered with a reset per RFC 9293 §3.10.7.1.
 * Owned by the stack thread.
 */
public final class TcpLayer
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpLayer.class);

    private final Ipv4Layer ipv4;
    private final StackCounters counters;
    private final TcpHeader segment = new TcpHeader();
    private final TcpHeader outgoing = new TcpHeader();
    private final TcpOptions options = new TcpOptions();

    public TcpLayer(final Ipv4Layer ipv4, final StackCounters counters)
    {
        this.ipv4 = ipv4;
        this.counters = counters;
    }

    /** One received TCP segment inside {@code datagram}. */
    public void onPacket(final Ipv4Header datagram, final boolean broadcast, final long nowNs)
    {
        counters.increment(Counter.TCP_RX);
        final int source = datagram.source();
        final int destination = datagram.destination();
        segment.wrap(datagram.buffer(), datagram.payloadOffset(), datagram.payloadLength());
        switch (segment.validate(source, destination))
        {
            case OK:
                break;
            case TOO_SHORT:
                drop(Counter.TCP_DROP_TOO_SHORT, "shorter than a TCP header");
                return;
            case BAD_DATA_OFFSET:
                drop(Counter.TCP_DROP_BAD_DATA_OFFSET, "data offset out of range");
                return;
            default:
                drop(Counter.TCP_DROP_BAD_CHECKSUM, "checksum does not verify");
                return;
        }
        if (options.parse(segment.buffer(), segment.optionsOffset(), segment.optionsLength())
            != TcpOptions.Verdict.OK)
        {
            drop(Counter.TCP_DROP_BAD_OPTIONS, "an option overruns the header or has a bad length");
            return;
        }
        if (broadcast)
        {
            // RFC 1122 §4.2.3.10: TCP is unicast only; never answer a broadcast with a reset
            drop(Counter.TCP_DROP_BROADCAST, "sent to a broadcast address");
            return;
        }
        counters.increment(Counter.TCP_TO_CLOSED_PORT);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{} {}:{} -> port {}: no connection or listener", TcpFlags.describe(segment.flags()),
                Ipv4Address.toString(source), segment.sourcePort(), segment.destinationPort());
        }
        sendResetFor(source, nowNs);
    }

    /**
     * RFC 9293 §3.10.7.1 (CLOSED): a reset answers anything but a reset. If the segment carried an ACK, the
     * reset takes its sequence number from it; otherwise it has sequence zero and acknowledges the segment.
     */
    private void sendResetFor(final int remote, final long nowNs)
    {
        final int flags = segment.flags();
        if ((flags & TcpFlags.RST) != 0)
        {
            return;
        }
        final int seq;
        final int ack;
        final int resetFlags;
        if ((flags & TcpFlags.ACK) != 0)
        {
            seq = segment.acknowledgmentNumber();
            ack = 0;
            resetFlags = TcpFlags.RST;
        }
        else
        {
            seq = 0;
            ack = segment.sequenceNumber() + segment.segmentLength();
            resetFlags = TcpFlags.RST | TcpFlags.ACK;
        }
        sendBare(remote, segment.destinationPort(), segment.sourcePort(), seq, ack, resetFlags, nowNs);
        counters.increment(Counter.TCP_RST_TX);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("sent reset to {}:{} seq {} ack {}", Ipv4Address.toString(remote), segment.sourcePort(),
                SeqNum.unsigned(seq), SeqNum.unsigned(ack));
        }
    }

    /** Sends a segment with no data and no options (a reset or a bare ACK). */
    private void sendBare(final int remote, final int localPort, final int remotePort, final int seq, final int ack,
        final int flags, final long nowNs)
    {
        final int offset = ipv4.beginDatagram(remote, IpProtocol.TCP, TcpHeader.MIN_HEADER_LENGTH, nowNs);
        if (offset < 0)
        {
            return;
        }
        final MutableDirectBuffer out = ipv4.transmitBuffer();
        outgoing.wrap(out, offset, TcpHeader.MIN_HEADER_LENGTH)
            .sourcePort(localPort)
            .destinationPort(remotePort)
            .sequenceNumber(seq)
            .acknowledgmentNumber(ack)
            .headerLength(TcpHeader.MIN_HEADER_LENGTH)
            .flags(flags)
            .window(0)
            .urgentPointer(0)
            .updateChecksum(ipv4.ourAddress(), remote);
        ipv4.commitDatagram(nowNs);
        counters.increment(Counter.TCP_TX);
    }

    private void drop(final Counter counter, final String why)
    {
        counters.increment(counter);
        LOG.debug("dropped a TCP segment: {}", why);
    }
}
