package io.tapstack.forward.dns;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over the parts of a DNS message a forwarder reads (RFC 1035 §4.1): the header and the one question.
 * Read RFC 1035 §4.1.1-4.1.2 (header, question) and §4.2 (UDP and TCP transport), and RFC 6891 §6.1.2 (the OPT
 * record's class is the requestor's UDP payload size) first. The answer, authority and additional sections are
 * passed on as bytes and never parsed (except a query's leading OPT record, for its size).
 *
 * <pre>
 *                                 1  1  1  1  1  1
 *   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |                      ID                       |
 * |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
 * |                    QDCOUNT                    |
 * |                    ANCOUNT                    |
 * |                    NSCOUNT                    |
 * |                    ARCOUNT                    |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * | QNAME (labels) | QTYPE (16) | QCLASS (16)     |
 * </pre>
 *
 * <p>{@link #validate} checks the header and walks the question's name with every length bounded (labels of at most
 * 63 octets, a name of at most 255, RFC 1035 §2.3.4; no compression pointer, which a question does not need);
 * after OK no accessor reads outside the wrapped range. Allocates nothing.
 */
public final class DnsMessage
{
    public static final int HEADER_LENGTH = 12;
    public static final int ID_OFFSET = 0;
    public static final int FLAGS_OFFSET = 2;
    public static final int QDCOUNT_OFFSET = 4;
    public static final int ANCOUNT_OFFSET = 6;
    public static final int NSCOUNT_OFFSET = 8;
    public static final int ARCOUNT_OFFSET = 10;
    public static final int FLAG_QR = 0x8000;
    public static final int FLAG_TC = 0x0200;
    public static final int FLAG_RD = 0x0100;
    public static final int FLAG_RA = 0x0080;
    public static final int OPCODE_MASK = 0x7800;
    public static final int RCODE_MASK = 0x000F;
    public static final int OPCODE_QUERY = 0;
    public static final int RCODE_FORMERR = 1;
    public static final int RCODE_SERVFAIL = 2;
    public static final int RCODE_NOTIMP = 4;
    /** RFC 1035 §2.3.4. */
    public static final int MAX_NAME_LENGTH = 255;
    public static final int MAX_LABEL_LENGTH = 63;
    /** RFC 1035 §4.2.1: what a UDP answer may hold when the query carries no OPT record. */
    public static final int CLASSIC_UDP_PAYLOAD = 512;
    /** RFC 6891 §6.1.1: the OPT pseudo-record's type. */
    public static final int TYPE_OPT = 41;

    /** What {@link #validate} found. */
    public enum Verdict
    {
        OK,
        /** Shorter than the 12-octet header. */
        TOO_SHORT,
        /** Not exactly one question. */
        BAD_QUESTION_COUNT,
        /** The question's name is malformed (a label too long, the name too long, a pointer, past the end). */
        BAD_QUESTION
    }

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;
    /** The question's length (name, type, class), valid after OK. */
    private int questionLength;

    public DnsMessage wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.questionLength = 0;
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

    /** Checks the header and the one question (RFC 1035 §4.1.2). */
    public Verdict validate()
    {
        questionLength = 0;
        if (length < HEADER_LENGTH)
        {
            return Verdict.TOO_SHORT;
        }
        if (qdcount() != 1)
        {
            return Verdict.BAD_QUESTION_COUNT;
        }
        final int end = offset + length;
        int p = offset + HEADER_LENGTH;
        int nameLength = 0;
        while (true)
        {
            if (p >= end)
            {
                return Verdict.BAD_QUESTION;
            }
            final int label = buffer.getByte(p) & 0xFF;
            if (label == 0)
            {
                p++;
                nameLength++;
                break;
            }
            if (label > MAX_LABEL_LENGTH)
            {
                return Verdict.BAD_QUESTION; // a compression pointer (0xC0) or a reserved label type
            }
            nameLength += 1 + label;
            if (nameLength > MAX_NAME_LENGTH)
            {
                return Verdict.BAD_QUESTION;
            }
            p += 1 + label;
        }
        if (p + 4 > end)
        {
            return Verdict.BAD_QUESTION;
        }
        questionLength = p + 4 - (offset + HEADER_LENGTH);
        return Verdict.OK;
    }

    public int id()
    {
        return buffer.getShort(offset + ID_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public DnsMessage id(final int id)
    {
        buffer.putShort(offset + ID_OFFSET, (short)id, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int flags()
    {
        return buffer.getShort(offset + FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public DnsMessage flags(final int flags)
    {
        buffer.putShort(offset + FLAGS_OFFSET, (short)flags, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public boolean isResponse()
    {
        return (flags() & FLAG_QR) != 0;
    }

    public boolean isTruncated()
    {
        return (flags() & FLAG_TC) != 0;
    }

    public int opcode()
    {
        return (flags() & OPCODE_MASK) >>> 11;
    }

    public int rcode()
    {
        return flags() & RCODE_MASK;
    }

    public int qdcount()
    {
        return buffer.getShort(offset + QDCOUNT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int ancount()
    {
        return buffer.getShort(offset + ANCOUNT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int nscount()
    {
        return buffer.getShort(offset + NSCOUNT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int arcount()
    {
        return buffer.getShort(offset + ARCOUNT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** The question's length in octets (name, QTYPE, QCLASS); 0 unless {@link #validate} said OK. */
    public int questionLength()
    {
        return questionLength;
    }

    /** QTYPE of the question (after OK). */
    public int qtype()
    {
        return buffer.getShort(offset + HEADER_LENGTH + questionLength - 4, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /**
     * True when {@code other} (validated) asks the same question: the names equal ignoring ASCII case (RFC 4343
     * §3), the same QTYPE and QCLASS. RFC 5452 §9.1: an answer is accepted only for the question that was asked.
     */
    public boolean sameQuestion(final DnsMessage other)
    {
        if (questionLength == 0 || questionLength != other.questionLength)
        {
            return false;
        }
        final int a = offset + HEADER_LENGTH;
        final int b = other.offset + HEADER_LENGTH;
        for (int i = 0; i < questionLength; i++)
        {
            if (lower(buffer.getByte(a + i)) != lower(other.buffer.getByte(b + i)))
            {
                return false;
            }
        }
        return true;
    }

    private static int lower(final byte octet)
    {
        return octet >= 'A' && octet <= 'Z' ? octet + ('a' - 'A') : octet;
    }

    /**
     * The UDP payload size the requestor accepts: RFC 6891 §6.2.3, the OPT record's class when the query carries
     * one as its first additional record (after a question and empty answer and authority sections, as stub
     * resolvers send it), at least 512; else 512 (RFC 1035 §4.2.1).
     */
    public int requestorUdpPayloadSize()
    {
        if (questionLength == 0 || arcount() == 0 || ancount() != 0 || nscount() != 0)
        {
            return CLASSIC_UDP_PAYLOAD;
        }
        final int opt = offset + HEADER_LENGTH + questionLength;
        // the root name (one zero octet), TYPE, CLASS
        if (opt + 5 > offset + length || buffer.getByte(opt) != 0
            || (buffer.getShort(opt + 1, ByteOrder.BIG_ENDIAN) & 0xFFFF) != TYPE_OPT)
        {
            return CLASSIC_UDP_PAYLOAD;
        }
        return Math.max(CLASSIC_UDP_PAYLOAD, buffer.getShort(opt + 3, ByteOrder.BIG_ENDIAN) & 0xFFFF);
    }

    /**
     * Writes into {@code dst} at {@code dstOffset} the answer with {@code rcode} and no records to the validated
     * query this wraps: its header with QR, RA and the rcode set (ID, opcode and RD kept), and its question (none
     * for FORMERR about a question that did not parse). RFC 1035 §4.1.1.
     *
     * @param withTruncation also set TC (RFC 1035 §4.2.1: the answer did not fit; ask again over TCP)
     * @return the answer's length
     */
    public int writeEmptyAnswer(final MutableDirectBuffer dst, final int dstOffset, final int rcode,
        final boolean withTruncation)
    {
        final int question = questionLength;
        final int flags = (flags() & (OPCODE_MASK | FLAG_RD)) | FLAG_QR | FLAG_RA | (rcode & RCODE_MASK)
            | (withTruncation ? FLAG_TC : 0);
        final int id = id();
        if (question > 0)
        {
            dst.putBytes(dstOffset + HEADER_LENGTH, buffer, offset + HEADER_LENGTH, question);
        }
        dst.putShort(dstOffset + ID_OFFSET, (short)id, ByteOrder.BIG_ENDIAN);
        dst.putShort(dstOffset + FLAGS_OFFSET, (short)flags, ByteOrder.BIG_ENDIAN);
        dst.putShort(dstOffset + QDCOUNT_OFFSET, (short)(question > 0 ? 1 : 0), ByteOrder.BIG_ENDIAN);
        dst.putShort(dstOffset + ANCOUNT_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
        dst.putShort(dstOffset + NSCOUNT_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
        dst.putShort(dstOffset + ARCOUNT_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
        return HEADER_LENGTH + question;
    }
}
