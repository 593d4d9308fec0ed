package io.tapstack.forward.dhcp;

import io.tapstack.wire.MacAddress;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over a DHCP message (RFC 2131 §2, the BOOTP format of RFC 951) and its options (RFC 2132). Read RFC
 * 2131 §2 and §4.1, and RFC 2132 §2-3 and §9, first.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 * +---------------+---------------+---------------+---------------+
 * |                            xid (4)                            |
 * +-------------------------------+-------------------------------+
 * |           secs (2)            |           flags (2)           |
 * +-------------------------------+-------------------------------+
 * |                          ciaddr  (4)                          |
 * |                          yiaddr  (4)                          |
 * |                          siaddr  (4)                          |
 * |                          giaddr  (4)                          |
 * +---------------------------------------------------------------+
 * |                          chaddr  (16)                         |
 * |                          sname   (64)                         |
 * |                          file    (128)                        |
 * +---------------------------------------------------------------+
 * |            magic cookie 99.130.83.99, then options            |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>{@link #validate()} walks the options once (every length checked against the message's end) and keeps the
 * few a server acts on in fields; after OK no accessor reads outside the wrapped range. Writing: the setters, then
 * {@link #beginOptions()}, the {@code put*} options and {@link #endOptions()}. Allocates nothing.
 */
public final class DhcpMessage
{
    public static final int OP_OFFSET = 0;
    public static final int HTYPE_OFFSET = 1;
    public static final int HLEN_OFFSET = 2;
    public static final int HOPS_OFFSET = 3;
    public static final int XID_OFFSET = 4;
    public static final int SECS_OFFSET = 8;
    public static final int FLAGS_OFFSET = 10;
    public static final int CIADDR_OFFSET = 12;
    public static final int YIADDR_OFFSET = 16;
    public static final int SIADDR_OFFSET = 20;
    public static final int GIADDR_OFFSET = 24;
    public static final int CHADDR_OFFSET = 28;
    public static final int CHADDR_LENGTH = 16;
    public static final int SNAME_OFFSET = 44;
    public static final int FILE_OFFSET = 108;
    public static final int COOKIE_OFFSET = 236;
    public static final int OPTIONS_OFFSET = 240;
    /** RFC 2131 §3: 99.130.83.99, the first four octets of the options field. */
    public static final int MAGIC_COOKIE = 0x63825363;
    /** RFC 1542 §3.1.1 (and RFC 951): BOOTP messages are at least 300 octets; some clients drop shorter ones. */
    public static final int MIN_BOOTP_LENGTH = 300;
    /** RFC 2131 §2: a client must be prepared to receive at least 576-octet IP datagrams, so 548 of DHCP. */
    public static final int MIN_MAX_MESSAGE_LENGTH = 548;

    public static final int OP_BOOTREQUEST = 1;
    public static final int OP_BOOTREPLY = 2;
    /** RFC 1700 (ARP hardware types): 1 is Ethernet, whose addresses are 6 octets. */
    public static final int HTYPE_ETHERNET = 1;
    public static final int HLEN_ETHERNET = 6;
    /** RFC 2131 §2, figure 2: the leftmost bit of flags asks for a broadcast reply. */
    public static final int FLAG_BROADCAST = 0x8000;

    // RFC 2132 option codes
    public static final int OPTION_PAD = 0;
    public static final int OPTION_SUBNET_MASK = 1;
    public static final int OPTION_ROUTER = 3;
    public static final int OPTION_DNS_SERVERS = 6;
    public static final int OPTION_INTERFACE_MTU = 26;
    public static final int OPTION_BROADCAST_ADDRESS = 28;
    public static final int OPTION_REQUESTED_ADDRESS = 50;
    public static final int OPTION_LEASE_TIME = 51;
    public static final int OPTION_OVERLOAD = 52;
    public static final int OPTION_MESSAGE_TYPE = 53;
    public static final int OPTION_SERVER_IDENTIFIER = 54;
    public static final int OPTION_PARAMETER_REQUEST_LIST = 55;
    public static final int OPTION_MESSAGE = 56;
    public static final int OPTION_MAX_MESSAGE_SIZE = 57;
    public static final int OPTION_RENEWAL_TIME = 58;
    public static final int OPTION_REBINDING_TIME = 59;
    public static final int OPTION_CLIENT_IDENTIFIER = 61;
    public static final int OPTION_END = 255;

    // RFC 2132 §9.6 message types
    public static final int DHCPDISCOVER = 1;
    public static final int DHCPOFFER = 2;
    public static final int DHCPREQUEST = 3;
    public static final int DHCPDECLINE = 4;
    public static final int DHCPACK = 5;
    public static final int DHCPNAK = 6;
    public static final int DHCPRELEASE = 7;
    public static final int DHCPINFORM = 8;

    /** Option fields not present in the message. */
    public static final int ABSENT = -1;
    /** {@link #requestedAddress()} and {@link #serverIdentifier()} when absent (0.0.0.0 is never a valid one). */
    public static final int NO_ADDRESS = 0;

    /** What {@link #validate} found. */
    public enum Verdict
    {
        OK,
        /** Shorter than the fixed fields and the magic cookie. */
        TOO_SHORT,
        /** Not the RFC 2131 §3 magic cookie: BOOTP vendor data or garbage. */
        BAD_COOKIE,
        /** op is neither BOOTREQUEST nor BOOTREPLY. */
        BAD_OP,
        /** Not Ethernet (htype 1, hlen 6): the only hardware this server hands addresses to. */
        BAD_HARDWARE,
        /** An option's length runs past the message's end, or an option the server reads has a wrong length. */
        BAD_OPTIONS,
        /** No DHCP message type option (53): a plain BOOTP message, which this server does not answer. */
        NO_MESSAGE_TYPE
    }

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    // what validate() found among the options
    private int messageType;
    private int requestedAddress;
    private int serverIdentifier;
    private long leaseTimeSeconds;
    private int maxMessageSize;
    private int overload;

    // the option being written
    private int writePosition;

    public DhcpMessage wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    public int length()
    {
        return length;
    }

    /** Checks the fixed part and walks the options (RFC 2132 §2: code, length, data; pad and end have no length). */
    public Verdict validate()
    {
        messageType = ABSENT;
        requestedAddress = NO_ADDRESS;
        serverIdentifier = NO_ADDRESS;
        leaseTimeSeconds = ABSENT;
        maxMessageSize = ABSENT;
        overload = ABSENT;
        if (length < OPTIONS_OFFSET)
        {
            return Verdict.TOO_SHORT;
        }
        if (cookie() != MAGIC_COOKIE)
        {
            return Verdict.BAD_COOKIE;
        }
        final int op = op();
        if (op != OP_BOOTREQUEST && op != OP_BOOTREPLY)
        {
            return Verdict.BAD_OP;
        }
        if (htype() != HTYPE_ETHERNET || hlen() != HLEN_ETHERNET)
        {
            return Verdict.BAD_HARDWARE;
        }
        final int end = offset + length;
        int p = offset + OPTIONS_OFFSET;
        while (p < end)
        {
            final int code = buffer.getByte(p) & 0xFF;
            if (code == OPTION_END)
            {
                break;
            }
            if (code == OPTION_PAD)
            {
                p++;
                continue;
            }
            if (p + 1 >= end)
            {
                return Verdict.BAD_OPTIONS;
            }
            final int optionLength = buffer.getByte(p + 1) & 0xFF;
            final int data = p + 2;
            if (data + optionLength > end)
            {
                return Verdict.BAD_OPTIONS;
            }
            if (!readOption(code, data, optionLength))
            {
                return Verdict.BAD_OPTIONS;
            }
            p = data + optionLength;
        }
        // RFC 2131 §4.1: an option appearing twice is concatenated (RFC 3396); for the fixed-size options a server
        // reads, the last one is kept: a client sends each once
        return messageType == ABSENT ? Verdict.NO_MESSAGE_TYPE : Verdict.OK;
    }

    private boolean readOption(final int code, final int data, final int optionLength)
    {
        switch (code)
        {
            case OPTION_MESSAGE_TYPE:
                if (optionLength != 1)
                {
                    return false;
                }
                messageType = buffer.getByte(data) & 0xFF;
                return true;
            case OPTION_REQUESTED_ADDRESS:
                if (optionLength != 4)
                {
                    return false;
                }
                requestedAddress = buffer.getInt(data, ByteOrder.BIG_ENDIAN);
                return true;
            case OPTION_SERVER_IDENTIFIER:
                if (optionLength != 4)
                {
                    return false;
                }
                serverIdentifier = buffer.getInt(data, ByteOrder.BIG_ENDIAN);
                return true;
            case OPTION_LEASE_TIME:
                if (optionLength != 4)
                {
                    return false;
                }
                leaseTimeSeconds = buffer.getInt(data, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
                return true;
            case OPTION_MAX_MESSAGE_SIZE:
                if (optionLength != 2)
                {
                    return false;
                }
                maxMessageSize = buffer.getShort(data, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                return true;
            case OPTION_OVERLOAD:
                if (optionLength != 1)
                {
                    return false;
                }
                overload = buffer.getByte(data) & 0xFF;
                return true;
            default:
                return true; // RFC 2132 §2: options a receiver does not know are skipped by their length
        }
    }

    // ------------------------------------------------------------------------------------------ fixed fields

    public int op()
    {
        return buffer.getByte(offset + OP_OFFSET) & 0xFF;
    }

    public DhcpMessage op(final int op)
    {
        buffer.putByte(offset + OP_OFFSET, (byte)op);
        return this;
    }

    public int htype()
    {
        return buffer.getByte(offset + HTYPE_OFFSET) & 0xFF;
    }

    public DhcpMessage htype(final int htype)
    {
        buffer.putByte(offset + HTYPE_OFFSET, (byte)htype);
        return this;
    }

    public int hlen()
    {
        return buffer.getByte(offset + HLEN_OFFSET) & 0xFF;
    }

    public DhcpMessage hlen(final int hlen)
    {
        buffer.putByte(offset + HLEN_OFFSET, (byte)hlen);
        return this;
    }

    public int hops()
    {
        return buffer.getByte(offset + HOPS_OFFSET) & 0xFF;
    }

    public DhcpMessage hops(final int hops)
    {
        buffer.putByte(offset + HOPS_OFFSET, (byte)hops);
        return this;
    }

    public int xid()
    {
        return buffer.getInt(offset + XID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public DhcpMessage xid(final int xid)
    {
        buffer.putInt(offset + XID_OFFSET, xid, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int secs()
    {
        return buffer.getShort(offset + SECS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public DhcpMessage secs(final int secs)
    {
        buffer.putShort(offset + SECS_OFFSET, (short)secs, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int flags()
    {
        return buffer.getShort(offset + FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public DhcpMessage flags(final int flags)
    {
        buffer.putShort(offset + FLAGS_OFFSET, (short)flags, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public boolean broadcastFlag()
    {
        return (flags() & FLAG_BROADCAST) != 0;
    }

    public int ciaddr()
    {
        return buffer.getInt(offset + CIADDR_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public DhcpMessage ciaddr(final int address)
    {
        buffer.putInt(offset + CIADDR_OFFSET, address, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int yiaddr()
    {
        return buffer.getInt(offset + YIADDR_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public DhcpMessage yiaddr(final int address)
    {
        buffer.putInt(offset + YIADDR_OFFSET, address, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int siaddr()
    {
        return buffer.getInt(offset + SIADDR_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public DhcpMessage siaddr(final int address)
    {
        buffer.putInt(offset + SIADDR_OFFSET, address, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int giaddr()
    {
        return buffer.getInt(offset + GIADDR_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public DhcpMessage giaddr(final int address)
    {
        buffer.putInt(offset + GIADDR_OFFSET, address, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** The client's Ethernet address: the first 6 octets of chaddr. */
    public long chaddr()
    {
        return MacAddress.read(buffer, offset + CHADDR_OFFSET);
    }

    /** Writes an Ethernet chaddr and zeroes the rest of the 16-octet field. */
    public DhcpMessage chaddr(final long mac)
    {
        buffer.setMemory(offset + CHADDR_OFFSET, CHADDR_LENGTH, (byte)0);
        MacAddress.write(buffer, offset + CHADDR_OFFSET, mac);
        return this;
    }

    public int cookie()
    {
        return buffer.getInt(offset + COOKIE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    // ------------------------------------------------------------------------------------------ parsed options

    /** Option 53, or {@link #ABSENT}. */
    public int messageType()
    {
        return messageType;
    }

    /** Option 50 (RFC 2132 §9.1), or {@link #NO_ADDRESS}. */
    public int requestedAddress()
    {
        return requestedAddress;
    }

    /** Option 54 (RFC 2132 §9.7), or {@link #NO_ADDRESS}. */
    public int serverIdentifier()
    {
        return serverIdentifier;
    }

    /** Option 51 in seconds (RFC 2132 §9.2), or {@link #ABSENT}. */
    public long leaseTimeSeconds()
    {
        return leaseTimeSeconds;
    }

    /** Option 57 (RFC 2132 §9.10), or {@link #ABSENT}. */
    public int maxMessageSize()
    {
        return maxMessageSize;
    }

    /** Option 52 (RFC 2132 §9.3), or {@link #ABSENT}: options also in sname/file, which this server ignores. */
    public int overload()
    {
        return overload;
    }

    // ------------------------------------------------------------------------------------------ writing

    /**
     * Zeroes the fixed fields and writes the header of a message: op, Ethernet, hops 0, secs 0, and the magic
     * cookie; the caller sets the rest. The wrapped length must be at least {@link #MIN_BOOTP_LENGTH}.
     */
    public DhcpMessage clearForWriting(final int op)
    {
        buffer.setMemory(offset, OPTIONS_OFFSET, (byte)0);
        op(op).htype(HTYPE_ETHERNET).hlen(HLEN_ETHERNET);
        buffer.putInt(offset + COOKIE_OFFSET, MAGIC_COOKIE, ByteOrder.BIG_ENDIAN);
        writePosition = offset + OPTIONS_OFFSET;
        return this;
    }

    /** Starts the options after the cookie (also done by {@link #clearForWriting}). */
    public DhcpMessage beginOptions()
    {
        writePosition = offset + OPTIONS_OFFSET;
        return this;
    }

    public DhcpMessage putByteOption(final int code, final int value)
    {
        buffer.putByte(writePosition, (byte)code);
        buffer.putByte(writePosition + 1, (byte)1);
        buffer.putByte(writePosition + 2, (byte)value);
        writePosition += 3;
        return this;
    }

    public DhcpMessage putShortOption(final int code, final int value)
    {
        buffer.putByte(writePosition, (byte)code);
        buffer.putByte(writePosition + 1, (byte)2);
        buffer.putShort(writePosition + 2, (short)value, ByteOrder.BIG_ENDIAN);
        writePosition += 4;
        return this;
    }

    /** A 4-octet option: an address, or a time in seconds (unsigned 32 bits). */
    public DhcpMessage putIntOption(final int code, final int value)
    {
        buffer.putByte(writePosition, (byte)code);
        buffer.putByte(writePosition + 1, (byte)4);
        buffer.putInt(writePosition + 2, value, ByteOrder.BIG_ENDIAN);
        writePosition += 6;
        return this;
    }

    /** An option of {@code count} addresses from {@code addresses} (count 1..63). */
    public DhcpMessage putAddressesOption(final int code, final int[] addresses, final int count)
    {
        buffer.putByte(writePosition, (byte)code);
        buffer.putByte(writePosition + 1, (byte)(4 * count));
        for (int i = 0; i < count; i++)
        {
            buffer.putInt(writePosition + 2 + 4 * i, addresses[i], ByteOrder.BIG_ENDIAN);
        }
        writePosition += 2 + 4 * count;
        return this;
    }

    /**
     * Writes the end option and pads with zeros to {@link #MIN_BOOTP_LENGTH}.
     *
     * @return the message's length
     */
    public int endOptions()
    {
        buffer.putByte(writePosition++, (byte)OPTION_END);
        final int written = writePosition - offset;
        if (written < MIN_BOOTP_LENGTH)
        {
            buffer.setMemory(writePosition, MIN_BOOTP_LENGTH - written, (byte)0);
            return MIN_BOOTP_LENGTH;
        }
        return written;
    }
}
