package io.tapstack.trace;

import org.agrona.DirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * One Ethernet frame in words, as {@code tcpdump -n -S} prints it after the timestamp: ARP who-has and is-at,
 * IPv4 addresses, ICMP echo request and reply with id and seq, destination unreachable and time exceeded, UDP ports
 * and length, TCP ports, flags ({@code [S.]}), absolute seq and ack, win, urg, options ({@code [mss 1460,sackOK,TS
 * val 1 ecr 0,nop,wscale 7]}) and the payload's length.
 *
 * <p>Where it differs from tcpdump, on purpose: sequence numbers are absolute (tcpdump's {@code -S}; tcpdump's
 * default makes them relative to the ISN); nothing after {@code length N} (tcpdump decodes some application
 * protocols by port: HTTP, DNS, ...); TCP options other than eol, nop, mss, wscale, sackOK, sack and TS are
 * {@code unknown-KIND 0x...} with their bytes in hex (tcpdump names more kinds); ICMP types other than echo, destination
 * unreachable and time exceeded are {@code ICMP type-#N}; EtherTypes other than ARP and IPv4 are {@code ethertype
 * 0xNNNN, length N} (tcpdump decodes IPv6 and dumps the rest in hex). Checksums are not verified (tcpdump verifies
 * them only with {@code -v}).
 *
 * <p>Reads the frame only within its length, whatever its bytes say: a short or malformed frame is described as
 * far as it goes and marked as tcpdump marks it ({@code [|tcp]}, {@code [bad opt]}); it never throws. Stateless.
 */
public final class FrameDescriber
{
    private static final int ETHERNET_HEADER = 14;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private FrameDescriber()
    {
    }

    /** Appends the description of the frame of {@code length} bytes at {@code offset} to {@code out}. */
    public static void describe(final DirectBuffer buffer, final int offset, final int length, final StringBuilder out)
    {
        if (length < ETHERNET_HEADER)
        {
            out.append("[|ether]");
            return;
        }
        final int etherType = u16(buffer, offset + 12);
        final int payload = offset + ETHERNET_HEADER;
        final int payloadLength = length - ETHERNET_HEADER;
        switch (etherType)
        {
            case ETHERTYPE_ARP -> arp(buffer, payload, payloadLength, out);
            case ETHERTYPE_IPV4 -> ipv4(buffer, payload, payloadLength, out);
            default ->
            {
                out.append("ethertype 0x");
                hex(out, etherType >> 8);
                hex(out, etherType & 0xFF);
                out.append(", length ").append(length);
            }
        }
    }

    /**
     * Appends the description of the bare IP packet of {@code length} bytes at {@code offset} (a TUN's frame,
     * LINKTYPE_RAW) to {@code out}, as tcpdump prints a raw-IP capture: the same words as for an Ethernet frame's
     * payload.
     */
    public static void describeRawIp(final DirectBuffer buffer, final int offset, final int length,
        final StringBuilder out)
    {
        if (length < 1)
        {
            out.append("[|ip]");
            return;
        }
        final int version = u8(buffer, offset) >> 4;
        if (version == 4)
        {
            ipv4(buffer, offset, length, out);
        }
        else
        {
            out.append("IP version ").append(version).append(", length ").append(length);
        }
    }

    /** The description of one bare IP packet as a new string (for tests and tools). */
    public static String describeRawIp(final DirectBuffer buffer, final int offset, final int length)
    {
        final StringBuilder sb = new StringBuilder(128);
        describeRawIp(buffer, offset, length, sb);
        return sb.toString();
    }

    /** The description of one frame as a new string (for tests and tools). */
    public static String describe(final DirectBuffer buffer, final int offset, final int length)
    {
        final StringBuilder sb = new StringBuilder(128);
        describe(buffer, offset, length, sb);
        return sb.toString();
    }

    // RFC 826
    private static void arp(final DirectBuffer b, final int at, final int length, final StringBuilder out)
    {
        out.append("ARP, ");
        if (length < 28 || u16(b, at) != 1 || u16(b, at + 2) != ETHERTYPE_IPV4 || u8(b, at + 4) != 6
            || u8(b, at + 5) != 4)
        {
            out.append("not Ethernet/IPv4 or short, length ").append(length);
            return;
        }
        final int oper = u16(b, at + 6);
        final int sha = at + 8;
        final int spa = at + 14;
        final int tha = at + 18;
        final int tpa = at + 24;
        switch (oper)
        {
            case 1 ->
            {
                out.append("Request who-has ");
                ipv4Address(b, tpa, out);
                if (u16(b, tha) != 0 || b.getInt(tha + 2) != 0)
                {
                    out.append(" (");
                    mac(b, tha, out);
                    out.append(')');
                }
                out.append(" tell ");
                ipv4Address(b, spa, out);
            }
            case 2 ->
            {
                out.append("Reply ");
                ipv4Address(b, spa, out);
                out.append(" is-at ");
                mac(b, sha, out);
            }
            default -> out.append("opcode ").append(oper);
        }
        out.append(", length ").append(length);
    }

    // RFC 791
    private static void ipv4(final DirectBuffer b, final int at, final int length, final StringBuilder out)
    {
        out.append("IP ");
        if (length < 20)
        {
            out.append("[|ip]");
            return;
        }
        final int headerLength = (u8(b, at) & 0xF) * 4;
        final int totalLength = u16(b, at + 2);
        if ((u8(b, at) >> 4) != 4 || headerLength < 20)
        {
            out.append("bad header (version ").append(u8(b, at) >> 4).append(", length ").append(headerLength)
                .append(')');
            return;
        }
        if (totalLength < headerLength)
        {
            out.append("bad total length ").append(totalLength);
            return;
        }
        // tcpdump takes the IP's own length, not the frame's (Ethernet pads short frames)
        final int ipLength = Math.min(totalLength, length);
        final int fragmentOffset = u16(b, at + 6) & 0x1FFF;
        final int protocol = u8(b, at + 9);
        final int src = at + 12;
        final int dst = at + 16;
        final int l4 = at + headerLength;
        final int l4Length = totalLength - headerLength;
        final int l4Captured = Math.max(0, ipLength - headerLength);
        if (fragmentOffset != 0)
        {
            // not the first fragment: no transport header to read
            ipv4Address(b, src, out);
            out.append(" > ");
            ipv4Address(b, dst, out);
            out.append(": ip-proto-").append(protocol);
            return;
        }
        switch (protocol)
        {
            case 1 -> icmp(b, src, dst, l4, l4Length, l4Captured, out);
            case 6 -> tcp(b, src, dst, l4, l4Length, l4Captured, out);
            case 17 -> udp(b, src, dst, l4, l4Captured, out);
            default ->
            {
                ipv4Address(b, src, out);
                out.append(" > ");
                ipv4Address(b, dst, out);
                out.append(":  ip-proto-").append(protocol).append(' ').append(l4Length);
            }
        }
    }

    // RFC 792
    private static void icmp(final DirectBuffer b, final int src, final int dst, final int at, final int length,
        final int captured, final StringBuilder out)
    {
        ipv4Address(b, src, out);
        out.append(" > ");
        ipv4Address(b, dst, out);
        out.append(": ICMP ");
        if (captured < 8)
        {
            out.append("[|icmp]");
            return;
        }
        final int type = u8(b, at);
        final int code = u8(b, at + 1);
        switch (type)
        {
            case 0, 8 -> out.append(type == 8 ? "echo request, id " : "echo reply, id ").append(u16(b, at + 4))
                .append(", seq ").append(u16(b, at + 6));
            case 3 ->
            {
                if (!unreachable(b, at, code, captured, out))
                {
                    return;
                }
            }
            case 11 -> out.append(code == 0 ? "time exceeded in-transit"
                : code == 1 ? "ip reassembly time exceeded" : "time exceeded, code " + code);
            default -> out.append("type-#").append(type);
        }
        out.append(", length ").append(length);
    }

    /** Destination unreachable, named by the quoted datagram; false when the quote is cut short. */
    private static boolean unreachable(final DirectBuffer b, final int at, final int code, final int captured,
        final StringBuilder out)
    {
        final int quote = at + 8;
        if (captured < 8 + 20)
        {
            out.append("[|icmp]");
            return false;
        }
        final int quotedDst = quote + 16;
        switch (code)
        {
            case 0 ->
            {
                out.append("net ");
                ipv4Address(b, quotedDst, out);
                out.append(" unreachable");
            }
            case 1 ->
            {
                out.append("host ");
                ipv4Address(b, quotedDst, out);
                out.append(" unreachable");
            }
            case 2 ->
            {
                ipv4Address(b, quotedDst, out);
                out.append(" protocol ").append(u8(b, quote + 9)).append(" unreachable");
            }
            case 3 ->
            {
                final int quotedHeader = (u8(b, quote) & 0xF) * 4;
                final int quotedProtocol = u8(b, quote + 9);
                if (captured < 8 + quotedHeader + 4 || quotedHeader < 20)
                {
                    out.append("[|icmp]");
                    return false;
                }
                ipv4Address(b, quotedDst, out);
                out.append(quotedProtocol == 6 ? " tcp port " : quotedProtocol == 17 ? " udp port "
                    : " protocol " + quotedProtocol + " port ").append(u16(b, quote + quotedHeader + 2))
                    .append(" unreachable");
            }
            case 4 ->
            {
                ipv4Address(b, quotedDst, out);
                out.append(" unreachable - need to frag (mtu ").append(u16(b, at + 6)).append(')');
            }
            default ->
            {
                ipv4Address(b, quotedDst, out);
                out.append(" unreachable, code ").append(code);
            }
        }
        return true;
    }

    // RFC 768
    private static void udp(final DirectBuffer b, final int src, final int dst, final int at, final int captured,
        final StringBuilder out)
    {
        if (captured < 8)
        {
            truncated(b, src, dst, "udp", out);
            return;
        }
        endpoints(b, src, dst, at, out);
        final int udpLength = u16(b, at + 4);
        if (udpLength < 8)
        {
            out.append("UDP, bad length ").append(udpLength).append(" < 8");
            return;
        }
        out.append("UDP, length ").append(udpLength - 8);
    }

    // RFC 9293 §3.1
    private static void tcp(final DirectBuffer b, final int src, final int dst, final int at, final int length,
        final int captured, final StringBuilder out)
    {
        if (captured < 20)
        {
            truncated(b, src, dst, "tcp", out);
            return;
        }
        endpoints(b, src, dst, at, out);
        final int flags = u8(b, at + 13);
        out.append("Flags [");
        flags(flags, out);
        out.append(']');
        final int headerLength = (u8(b, at + 12) >> 4) * 4;
        if (headerLength < 20)
        {
            out.append(" tcp ").append(length).append(" [bad hdr length ").append(headerLength)
                .append(" - too short, < 20]");
            return;
        }
        final int dataLength = length - headerLength;
        if (dataLength < 0)
        {
            out.append(" [bad hdr length ").append(headerLength).append(" - too long, > ").append(length)
                .append(']');
            return;
        }
        final long seq = u32(b, at + 4);
        if (dataLength > 0 || (flags & 0x07) != 0)
        {
            out.append(", seq ").append(seq);
            if (dataLength > 0)
            {
                out.append(':').append((seq + dataLength) & 0xFFFF_FFFFL);
            }
        }
        if ((flags & 0x10) != 0)
        {
            out.append(", ack ").append(u32(b, at + 8));
        }
        out.append(", win ").append(u16(b, at + 14));
        if ((flags & 0x20) != 0)
        {
            out.append(", urg ").append(u16(b, at + 18));
        }
        if (headerLength > 20)
        {
            out.append(", options [");
            if (!options(b, at + 20, Math.min(headerLength, captured) - 20, headerLength - 20, out))
            {
                return;
            }
            out.append(']');
        }
        out.append(", length ").append(dataLength);
    }

    /** tcpdump's flag letters, in its order: F S R P . U E W; "none" without any. */
    private static void flags(final int flags, final StringBuilder out)
    {
        if (flags == 0)
        {
            out.append("none");
            return;
        }
        appendIf(flags, 0x01, 'F', out);
        appendIf(flags, 0x02, 'S', out);
        appendIf(flags, 0x04, 'R', out);
        appendIf(flags, 0x08, 'P', out);
        appendIf(flags, 0x10, '.', out);
        appendIf(flags, 0x20, 'U', out);
        appendIf(flags, 0x40, 'E', out);
        appendIf(flags, 0x80, 'W', out);
    }

    private static void appendIf(final int flags, final int flag, final char letter, final StringBuilder out)
    {
        if ((flags & flag) != 0)
        {
            out.append(letter);
        }
    }

    /**
     * The options, RFC 9293 §3.2, 7323, 2018; false after a malformed one ({@code [bad opt]}, where tcpdump stops
     * the line).
     */
    private static boolean options(final DirectBuffer b, final int at, final int captured, final int declared,
        final StringBuilder out)
    {
        int i = 0;
        final int end = Math.min(captured, declared);
        boolean first = true;
        while (i < end)
        {
            if (!first)
            {
                out.append(',');
            }
            first = false;
            final int kind = u8(b, at + i);
            if (kind == 0 || kind == 1)
            {
                out.append(kind == 0 ? "eol" : "nop");
                i++;
                if (kind == 0)
                {
                    break;
                }
                continue;
            }
            final int len = i + 1 < end ? u8(b, at + i + 1) : 0;
            if (len < 2 || i + len > end)
            {
                optionName(kind, out);
                out.append("[bad opt]");
                return false;
            }
            final int data = at + i + 2;
            final int dataLength = len - 2;
            optionName(kind, out);
            switch (kind)
            {
                case 2 -> fixedOption(b, data, dataLength, 2, out);
                case 3 -> fixedOption(b, data, dataLength, 1, out);
                case 4 ->
                {
                    if (dataLength != 0)
                    {
                        out.append("[len ").append(len).append(']');
                    }
                }
                case 5 ->
                {
                    if (dataLength % 8 != 0)
                    {
                        out.append(" invalid sack");
                    }
                    else
                    {
                        out.append(' ').append(dataLength / 8).append(' ');
                        for (int s = 0; s < dataLength; s += 8)
                        {
                            out.append('{').append(u32(b, data + s)).append(':').append(u32(b, data + s + 4))
                                .append('}');
                        }
                    }
                }
                case 8 ->
                {
                    if (dataLength < 8)
                    {
                        out.append("[bad opt]");
                        return false;
                    }
                    out.append(" val ").append(u32(b, data)).append(" ecr ").append(u32(b, data + 4));
                    if (dataLength != 8)
                    {
                        out.append("[len ").append(len).append(']');
                    }
                }
                default ->
                {
                    out.append(" 0x");
                    for (int d = 0; d < dataLength; d++)
                    {
                        hex(out, u8(b, data + d));
                    }
                }
            }
            i += len;
        }
        return true;
    }

    /** mss (2 bytes) or wscale (1 byte): the value, and tcpdump's "[len N]" when the option's length is off. */
    private static void fixedOption(final DirectBuffer b, final int data, final int dataLength, final int size,
        final StringBuilder out)
    {
        if (dataLength < size)
        {
            out.append("[bad opt]");
            return;
        }
        out.append(' ').append(size == 2 ? u16(b, data) : u8(b, data));
        if (dataLength != size)
        {
            out.append("[len ").append(dataLength + 2).append(']');
        }
    }

    private static void optionName(final int kind, final StringBuilder out)
    {
        switch (kind)
        {
            case 2 -> out.append("mss");
            case 3 -> out.append("wscale");
            case 4 -> out.append("sackOK");
            case 5 -> out.append("sack");
            case 8 -> out.append("TS");
            default -> out.append("unknown-").append(kind);
        }
    }

    private static void endpoints(final DirectBuffer b, final int src, final int dst, final int l4,
        final StringBuilder out)
    {
        ipv4Address(b, src, out);
        out.append('.').append(u16(b, l4)).append(" > ");
        ipv4Address(b, dst, out);
        out.append('.').append(u16(b, l4 + 2)).append(": ");
    }

    /** Addresses only, and tcpdump's mark for a header cut short by the capture: "a > b: [|tcp]". */
    private static void truncated(final DirectBuffer b, final int src, final int dst, final String protocol,
        final StringBuilder out)
    {
        ipv4Address(b, src, out);
        out.append(" > ");
        ipv4Address(b, dst, out);
        out.append(": [|").append(protocol).append(']');
    }

    private static void ipv4Address(final DirectBuffer b, final int at, final StringBuilder out)
    {
        out.append(u8(b, at)).append('.').append(u8(b, at + 1)).append('.').append(u8(b, at + 2)).append('.')
            .append(u8(b, at + 3));
    }

    private static void mac(final DirectBuffer b, final int at, final StringBuilder out)
    {
        for (int i = 0; i < 6; i++)
        {
            if (i > 0)
            {
                out.append(':');
            }
            hex(out, u8(b, at + i));
        }
    }

    private static void hex(final StringBuilder out, final int octet)
    {
        out.append(HEX[(octet >> 4) & 0xF]).append(HEX[octet & 0xF]);
    }

    private static int u8(final DirectBuffer b, final int at)
    {
        return b.getByte(at) & 0xFF;
    }

    private static int u16(final DirectBuffer b, final int at)
    {
        return b.getShort(at, BIG_ENDIAN) & 0xFFFF;
    }

    private static long u32(final DirectBuffer b, final int at)
    {
        return b.getInt(at, BIG_ENDIAN) & 0xFFFF_FFFFL;
    }
}
