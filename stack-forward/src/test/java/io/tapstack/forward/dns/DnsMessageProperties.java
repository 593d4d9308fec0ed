package io.tapstack.forward.dns;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DNS header and question view: bounded on any bytes, questions compared without case, answers of our own. */
class DnsMessageProperties
{
    @Property
    void anyBytesValidateWithoutThrowingOrReadingPastTheEnd(@ForAll @Size(max = 300) final byte[] bytes,
        @ForAll final boolean oneQuestion)
    {
        if (oneQuestion && bytes.length >= 6)
        {
            bytes[4] = 0;
            bytes[5] = 1;
        }
        // wrapped at an offset, the buffer ending where the message ends: a read past it throws
        final byte[] framed = new byte[bytes.length + 16];
        System.arraycopy(bytes, 0, framed, 16, bytes.length);
        final DnsMessage m = new DnsMessage().wrap(new UnsafeBuffer(framed), 16, bytes.length);
        if (m.validate() == DnsMessage.Verdict.OK)
        {
            assertTrue(DnsMessage.HEADER_LENGTH + m.questionLength() <= bytes.length);
            m.qtype();
            m.requestorUdpPayloadSize();
            assertTrue(m.sameQuestion(m));
            final UnsafeBuffer out = new UnsafeBuffer(new byte[DnsMessage.HEADER_LENGTH + m.questionLength()]);
            assertEquals(out.capacity(), m.writeEmptyAnswer(out, 0, DnsMessage.RCODE_SERVFAIL, false));
        }
    }

    @Property
    void aQuestionEqualsItselfInAnyCaseAndNoOtherName(@ForAll("names") final String name,
        @ForAll @IntRange(min = 1, max = 65535) final int id)
    {
        final byte[] lower = DnsPeer.query(id, name.toLowerCase());
        final byte[] upper = DnsPeer.query(id ^ 1, name.toUpperCase());
        final byte[] other = DnsPeer.query(id, name + "x");
        final DnsMessage a = view(lower);
        final DnsMessage b = view(upper);
        final DnsMessage c = view(other);
        assertTrue(a.sameQuestion(b));
        assertTrue(b.sameQuestion(a));
        assertFalse(a.sameQuestion(c));
        assertEquals(DnsMessage.CLASSIC_UDP_PAYLOAD, a.requestorUdpPayloadSize());
    }

    @Test
    void anEdnsQueryAnnouncesItsUdpPayloadSize()
    {
        final byte[] q = DnsPeer.query(7, "example.test");
        final byte[] withOpt = Arrays.copyOf(q, q.length + 11);
        withOpt[11] = 1; // ARCOUNT
        // the OPT pseudo-record: root name, TYPE 41, CLASS = 1232, TTL 0, RDLENGTH 0 (RFC 6891 §6.1.2)
        System.arraycopy(HexFormat.of().parseHex("00002904d0000000000000"), 0, withOpt, q.length, 11);
        assertEquals(1232, view(withOpt).requestorUdpPayloadSize());
    }

    @Test
    void aServfailKeepsIdOpcodeRdAndTheQuestionAndCountsOnlyIt()
    {
        final byte[] q = DnsPeer.query(0xBEEF, "a.test");
        final byte[] out = new byte[64];
        Arrays.fill(out, (byte)0xA5);
        final int n = view(q).writeEmptyAnswer(new UnsafeBuffer(out), 0, DnsMessage.RCODE_SERVFAIL, false);
        final byte[] expected = HexFormat.of().parseHex("beef" + "8182" + "0001000000000000" + "0161047465737400" + "00010001");
        assertArrayEquals(expected, Arrays.copyOf(out, n));
        assertEquals((byte)0xA5, out[n]);
    }

    private static DnsMessage view(final byte[] bytes)
    {
        final DnsMessage m = new DnsMessage().wrap(new UnsafeBuffer(bytes), 0, bytes.length);
        assertEquals(DnsMessage.Verdict.OK, m.validate());
        return m;
    }

    @Provide
    Arbitrary<String> names()
    {
        final Arbitrary<String> label = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20);
        return label.list().ofMinSize(1).ofMaxSize(4).map(l -> String.join(".", l));
    }
}
