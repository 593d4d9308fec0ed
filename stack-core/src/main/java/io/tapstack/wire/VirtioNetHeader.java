package io.tapstack.wire;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over {@code struct virtio_net_hdr} (the virtio 1.x specification, "Device Operation" of the network
 * device; Linux include/uapi/linux/virtio_net.h), the 10 bytes a TAP opened with {@code IFF_VNET_HDR} puts in
 * front of every frame in both directions. It tells whether the frame is a GSO super-frame (a TCP segment longer
 * than the MSS that the kernel cuts, or that the kernel's GRO glued together) and what is known of its checksum.
 *
 * <pre>
 *  0        7 8       15 16                 31
 * +----------+----------+---------------------+
 * |  flags   | gso_type |      hdr_len        |
 * +----------+----------+---------------------+
 * |      gso_size       |     csum_start      |
 * +---------------------+---------------------+
 * |     csum_offset     |
 * +---------------------+
 * </pre>
 *
 * The 16-bit fields are little-endian (a TAP without {@code TUNSETVNETBE} on a little-endian host, as the legacy
 * virtio header is: the only hosts this stack runs on).
 */
public final class VirtioNetHeader
{
    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;
    /** The header without {@code num_buffers} (what {@code TUNSETVNETHDRSZ} 10 asks for). */
    public static final int LENGTH = 10;

    /** flags: the checksum is partial; the receiver (or the kernel) completes it from csum_start. */
    public static final int F_NEEDS_CSUM = 1;
    /** flags: the checksum was verified already. */
    public static final int F_DATA_VALID = 2;

    /** gso_type: one ordinary frame. */
    public static final int GSO_NONE = 0;
    /** gso_type: a TCP over IPv4 super-frame, cut into segments of gso_size bytes of payload. */
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    /** gso_type bit: the super-frame's segments carry ECN's CWR on the first. */
    public static final int GSO_ECN = 0x80;

    private MutableDirectBuffer buffer;
    private int offset;

    public VirtioNetHeader wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Zeroes the header: an ordinary frame with a complete checksum. */
    public VirtioNetHeader clear()
    {
        buffer.putShort(offset, (short)0);
        buffer.putLong(offset + 2, 0L);
        return this;
    }

    public int flags()
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    public VirtioNetHeader flags(final int flags)
    {
        buffer.putByte(offset + FLAGS_OFFSET, (byte)flags);
        return this;
    }

    public int gsoType()
    {
        return buffer.getByte(offset + GSO_TYPE_OFFSET) & 0xFF;
    }

    public VirtioNetHeader gsoType(final int gsoType)
    {
        buffer.putByte(offset + GSO_TYPE_OFFSET, (byte)gsoType);
        return this;
    }

    /** Bytes of headers (link, IP, TCP) before the payload: a hint for the kernel's copy. */
    public int hdrLen()
    {
        return get16(HDR_LEN_OFFSET);
    }

    public VirtioNetHeader hdrLen(final int hdrLen)
    {
        return put16(HDR_LEN_OFFSET, hdrLen);
    }

    /** Payload bytes per segment of a super-frame (the MSS it is cut at). */
    public int gsoSize()
    {
        return get16(GSO_SIZE_OFFSET);
    }

    public VirtioNetHeader gsoSize(final int gsoSize)
    {
        return put16(GSO_SIZE_OFFSET, gsoSize);
    }

    /** With {@link #F_NEEDS_CSUM}: where the checksummed range starts, from the start of the frame. */
    public int csumStart()
    {
        return get16(CSUM_START_OFFSET);
    }

    public VirtioNetHeader csumStart(final int csumStart)
    {
        return put16(CSUM_START_OFFSET, csumStart);
    }

    /** With {@link #F_NEEDS_CSUM}: where the checksum field is, from {@link #csumStart()}. */
    public int csumOffset()
    {
        return get16(CSUM_OFFSET_OFFSET);
    }

    public VirtioNetHeader csumOffset(final int csumOffset)
    {
        return put16(CSUM_OFFSET_OFFSET, csumOffset);
    }

    private int get16(final int field)
    {
        return buffer.getShort(offset + field, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
    }

    private VirtioNetHeader put16(final int field, final int value)
    {
        buffer.putShort(offset + field, (short)value, ByteOrder.LITTLE_ENDIAN);
        return this;
    }
}
