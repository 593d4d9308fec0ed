package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.ip.Ipv4Layer;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes TCP segments into IPv4 transmit slots: a connection's segments with their data copied once from the send
 * buffer, and the segments no connection sends (resets, a SYN cookie's SYN-ACK, the ACKs of a TIME-WAIT record).
 * The header is written in place (RFC 9293 §3.1) and the checksum computed over the final bytes, or, when the device
 * offloads checksums on send ({@link Ipv4Layer#tcpChecksumOffload(int)}), only its pseudo-header sum, which the
 * device completes (virtio-net NEEDS_CSUM): no pass over the payload here. Allocation free. Owned by the stack
 * thread.
 */
final class TcpSegmentWriter
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpSegmentWriter.class);

    private final Ipv4Layer ipv4;
    private final StackCounters counters;
    private final TcpHeader outgoing = new TcpHeader();

    TcpSegmentWriter(final Ipv4Layer ipv4, final StackCounters counters)
    {
        this.ipv4 = ipv4;
        this.counters = counters;
    }

    /**
     * A segment without data from no connection, with {@code options} (null for none).
     *
     * @return false when no transmit slot was free (counted)
     */
    boolean sendControl(final int remote, final int localPort, final int remotePort, final int seq, final int ack,
        final int flags, final int window, final TcpOptions options, final long nowNs)
    {
        return sendControl(ipv4.ourAddress(), remote, localPort, remotePort, seq, ack, flags, window, options, nowNs);
    }

    /** {@link #sendControl(int, int, int, int, int, int, int, TcpOptions, long)} from {@code local} (gateway mode). */
    boolean sendControl(final int local, final int remote, final int localPort, final int remotePort, final int seq,
        final int ack, final int flags, final int window, final TcpOptions options, final long nowNs)
    {
        final int optionsLength = options == null ? 0 : options.writeLength();
        final int headerLength = TcpHeader.MIN_HEADER_LENGTH + optionsLength;
        final int offset = ipv4.beginDatagram(local, remote, IpProtocol.TCP, headerLength, nowNs);
        if (offset < 0)
        {
            counters.increment(Counter.TCP_TX_NO_BUFFER);
            return false;
        }
        final MutableDirectBuffer out = ipv4.transmitBuffer();
        outgoing.wrap(out, offset, headerLength)
            .sourcePort(localPort)
            .destinationPort(remotePort)
            .sequenceNumber(seq)
            .acknowledgmentNumber(ack)
            .headerLength(headerLength)
            .flags(flags)
            .window(window)
            .urgentPointer(0);
        if (optionsLength > 0)
        {
            options.write(out, offset + TcpHeader.MIN_HEADER_LENGTH);
        }
        checksum(local, remote, headerLength);
        ipv4.commitDatagram(nowNs);
        counters.increment(Counter.TCP_TX);
        if ((flags & TcpFlags.RST) != 0)
        {
            counters.increment(Counter.TCP_RST_TX);
            if (LOG.isDebugEnabled())
            {
                LOG.debug("sent reset to {}:{} seq {} ack {}", Ipv4Address.toString(remote), remotePort,
                    SeqNum.unsigned(seq), SeqNum.unsigned(ack));
            }
        }
        return true;
    }

    /** Writes one segment of {@code c}, its data copied once from the send buffer into the transmit slot. */
    boolean sendSegment(final TcpConnection c, final int seq, final int ack, final int flags, final int window,
        final TcpOptions options, final SendBuffer data, final int dataOffset, final int dataLength, final long nowNs)
    {
        final int optionsLength = options.writeLength();
        final int headerLength = TcpHeader.MIN_HEADER_LENGTH + optionsLength;
        final int length = headerLength + dataLength;
        final int offset = ipv4.beginDatagram(c.localAddress(), c.remoteAddress(), IpProtocol.TCP, length, nowNs);
        if (offset < 0)
        {
            counters.increment(Counter.TCP_TX_NO_BUFFER);
            return false;
        }
        final MutableDirectBuffer out = ipv4.transmitBuffer();
        outgoing.wrap(out, offset, length)
            .sourcePort(c.localPort())
            .destinationPort(c.remotePort())
            .sequenceNumber(seq)
            .acknowledgmentNumber((flags & TcpFlags.ACK) != 0 ? ack : 0)
            .headerLength(headerLength)
            .flags(flags)
            .window(window)
            .urgentPointer(0);
        if (optionsLength > 0)
        {
            options.write(out, offset + TcpHeader.MIN_HEADER_LENGTH);
        }
        if (dataLength > 0)
        {
            data.copyOut(dataOffset, out, offset + headerLength, dataLength);
        }
        checksum(c.localAddress(), c.remoteAddress(), length);
        ipv4.commitDatagram(nowNs);
        counters.increment(Counter.TCP_TX);
        return true;
    }

    /** RFC 9293 §3.1's checksum of the wrapped segment: complete, or left for the device to finish. */
    private void checksum(final int local, final int remote, final int tcpLength)
    {
        if (ipv4.tcpChecksumOffload(tcpLength))
        {
            outgoing.updatePartialChecksum(local, remote);
            counters.increment(Counter.TCP_TX_CHECKSUM_PARTIAL);
        }
        else
        {
            outgoing.updateChecksum(local, remote);
        }
    }
}
