package io.tapstack.udp;

import io.tapstack.wire.UdpHeader;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableRingBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * One bound UDP port: a bounded queue of received datagrams and a way to send from the port. Read RFC 768 and
 * RFC 1122 §4.1.3 first.
 *
 * <p>The receive queue is an Agrona {@link ExpandableRingBuffer} allocated once at full size (so it never grows
 * or allocates again). Each record is the datagram as it arrived, copied once from the received packet: its
 * 8-byte UDP header, whose Length and Checksum fields (spent once verified; the record has its own length) are
 * then overwritten with the sender's address, and the data. Owned by the stack thread.
 */
public final class UdpEndpoint
{
    /** Where a record keeps the sender's port: the UDP header's own Source Port field. */
    private static final int RECORD_SOURCE_PORT_OFFSET = UdpHeader.SOURCE_PORT_OFFSET;
    /** Where a record keeps the sender's address: over the UDP Length and Checksum fields. */
    private static final int RECORD_SOURCE_ADDRESS_OFFSET = UdpHeader.LENGTH_OFFSET;

    private final UdpLayer layer;
    private final int localPort;
    private final UdpHandler handler;
    /** Queue bound in bytes: record lengths (data + 16 bytes of framing, 8-aligned) plus any wrap padding. */
    private final int limitBytes;
    private final ExpandableRingBuffer queue;
    private final ExpandableRingBuffer.MessageConsumer stampSource = this::stampSource;
    private final ExpandableRingBuffer.MessageConsumer copyOut = this::copyOut;

    private int queuedDatagrams;
    /** Data bytes of the queued datagrams (their headers not included). */
    private int queuedBytes;
    private long drops;
    private boolean closed;
    private int lastRemoteAddress;
    private int lastRemotePort;

    // arguments of the call in progress, for the stored consumers (no capturing lambda per call)
    private int stampAddress;
    private MutableDirectBuffer dst;
    private int dstOffset;
    private int dstMaxLength;
    private int copiedFullLength;

    UdpEndpoint(final UdpLayer layer, final int localPort, final UdpHandler handler, final int limitBytes)
    {
        this.layer = layer;
        this.localPort = localPort;
        this.handler = handler;
        this.limitBytes = limitBytes;
        final int capacity = BitUtil.findNextPositivePowerOfTwo(limitBytes);
        this.queue = new ExpandableRingBuffer(capacity, capacity, false);
    }

    public int localPort()
    {
        return localPort;
    }

    UdpHandler handler()
    {
        return handler;
    }

    /**
     * Sends one datagram of {@code length} bytes from {@code src} (0..65,507; larger than the MTU goes out
     * fragmented).
     *
     * @param nowNs the stack's time (the caller's duty cycle): ARP and IP timers run on it
     * @return true if handed to IP; false if it could not be sent (too big, closed, port 0, no route, device
     * full), counted
     * @throws IndexOutOfBoundsException if {@code src} does not hold {@code length} bytes at {@code offset}
     */
    public boolean send(final int remoteAddress, final int remotePort, final DirectBuffer src, final int offset,
        final int length, final long nowNs)
    {
        return layer.send(this, remoteAddress, remotePort, src, offset, length, nowNs);
    }

    /**
     * Copies the oldest queued datagram into {@code dst} (truncated to {@code maxLength}, the rest discarded, as
     * recvfrom does) and removes it. Afterwards {@link #lastRemoteAddress()} and {@link #lastRemotePort()} name
     * its sender.
     *
     * @return the datagram's full length (more than {@code maxLength} when truncated), or -1 when none is queued
     * @throws IndexOutOfBoundsException if {@code dst} does not have {@code maxLength} bytes at {@code offset}
     */
    public int receive(final MutableDirectBuffer dst, final int offset, final int maxLength)
    {
        if (queuedDatagrams == 0)
        {
            return -1;
        }
        dst.boundsCheck(offset, maxLength);
        this.dst = dst;
        this.dstOffset = offset;
        this.dstMaxLength = maxLength;
        queue.consume(copyOut, 1);
        this.dst = null;
        queuedDatagrams--;
        queuedBytes -= copiedFullLength;
        if (queuedDatagrams == 0)
        {
            // rewind an empty ring to its start: no wrap padding, so a largest datagram always fits again
            queue.reset(queue.capacity());
        }
        return copiedFullLength;
    }

    private boolean copyOut(final MutableDirectBuffer buffer, final int offset, final int length, final int headOffset)
    {
        lastRemotePort = buffer.getShort(offset + RECORD_SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        lastRemoteAddress = buffer.getInt(offset + RECORD_SOURCE_ADDRESS_OFFSET, ByteOrder.BIG_ENDIAN);
        copiedFullLength = length - UdpHeader.HEADER_LENGTH;
        dst.putBytes(dstOffset, buffer, offset + UdpHeader.HEADER_LENGTH, Math.min(copiedFullLength, dstMaxLength));
        return true;
    }

    /**
     * Queues the verified datagram of {@code udpLength} bytes (header included) at {@code udpOffset}.
     *
     * @return false when the queue has no room for it (counted in {@link #drops()}; the caller counts the rest)
     */
    boolean enqueue(final DirectBuffer buffer, final int udpOffset, final int udpLength, final int sourceAddress)
    {
        final int recordLength = BitUtil.align(ExpandableRingBuffer.HEADER_LENGTH + udpLength,
            ExpandableRingBuffer.HEADER_ALIGNMENT);
        final int before = queue.size();
        if (!hasRoomFor(recordLength) || !queue.append(buffer, udpOffset, udpLength))
        {
            drops++;
            return false;
        }
        // the new record is the first data record at or after the old tail (a wrap may have put padding there)
        stampAddress = sourceAddress;
        queue.forEach(before, stampSource, 1);
        queuedDatagrams++;
        queuedBytes += udpLength - UdpHeader.HEADER_LENGTH;
        return true;
    }

    /**
     * True when a record of {@code recordLength} bytes fits within the bound and in one contiguous run of the ring.
     * The ring never splits a record: one that does not fit before the ring's end goes to its start, after padding
     * to the end. Checked here rather than left to append: at its maximum capacity Agrona 1.x's append writes past
     * the ring's end when that padding leaves too little room (fixed upstream in aeron-io/agrona PR #370).
     */
    private boolean hasRoomFor(final int recordLength)
    {
        final int capacity = queue.capacity();
        final int used = queue.size();
        final int tailOffset = (int)queue.tail() & (capacity - 1);
        final int headOffset = (int)queue.head() & (capacity - 1);
        if (used > 0 && tailOffset <= headOffset)
        {
            // wrapped (or full): the free space is the one run from tail to head
            return recordLength <= headOffset - tailOffset && used + recordLength <= limitBytes;
        }
        final int toEnd = capacity - tailOffset;
        final int padding = recordLength <= toEnd ? 0 : toEnd;
        return used + padding + recordLength <= limitBytes && (padding == 0 || recordLength <= headOffset);
    }

    private boolean stampSource(final MutableDirectBuffer buffer, final int offset, final int length,
        final int headOffset)
    {
        buffer.putInt(offset + RECORD_SOURCE_ADDRESS_OFFSET, stampAddress, ByteOrder.BIG_ENDIAN);
        return true;
    }

    /** The sender's address of the datagram last returned by {@link #receive} (0 before the first). */
    public int lastRemoteAddress()
    {
        return lastRemoteAddress;
    }

    /** The sender's port of the datagram last returned by {@link #receive} (0 before the first). */
    public int lastRemotePort()
    {
        return lastRemotePort;
    }

    /** Datagrams queued to receive. */
    public int queuedDatagrams()
    {
        return queuedDatagrams;
    }

    /** Data bytes queued to receive (UDP headers not included). */
    public int queuedBytes()
    {
        return queuedBytes;
    }

    /** Datagrams dropped because the receive queue was full. */
    public long drops()
    {
        return drops;
    }

    /** Unbinds the port and discards anything queued; later sends fail and receives return -1. Idempotent. */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        layer.unbind(this);
        queue.reset(queue.capacity());
        queuedDatagrams = 0;
        queuedBytes = 0;
    }

    public boolean isClosed()
    {
        return closed;
    }

    @Override
    public String toString()
    {
        return "UdpEndpoint{port=" + localPort + ", queued=" + queuedDatagrams + (closed ? ", closed}" : "}");
    }
}
