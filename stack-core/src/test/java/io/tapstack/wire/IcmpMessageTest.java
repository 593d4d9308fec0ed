package io.tapstack.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.tapstack.wire.WireFixtures.assertBytes;
import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An ICMP echo request and its reply as captured from Linux 6.x (iputils {@code ping -c 1 -p 0 -s 16 127.0.0.1},
 * tshark on {@code lo}: the loopback device carries an Ethernet header with zero MACs), emitted through the views
 * into a 0xA5-filled buffer and compared byte for byte.
 */
class IcmpMessageTest
{
    private static final byte[] ECHO_REQUEST_FRAME = hex(
        "00 00 00 00 00 00 00 00 00 00 00 00 08 00 45 00" +
        "00 2c 17 ae 40 00 40 01 25 21 7f 00 00 01 7f 00" +
        "00 01 08 00 fc 65 10 c9 00 01 36 87 04 6b 00 00" +
        "00 00 ad dd 02 00 00 00 00 00");
    private static final byte[] ECHO_REPLY_FRAME = hex(
        "00 00 00 00 00 00 00 00 00 00 00 00 08 00 45 00" +
        "00 2c 17 af 00 00 40 01 65 20 7f 00 00 01 7f 00" +
        "00 01 00 00 04 66 10 c9 00 01 36 87 04 6b 00 00" +
        "00 00 ad dd 02 00 00 00 00 00");
    /** The 16 data bytes: iputils' struct timeval, as the kernel echoed it back. */
    private static final byte[] ECHO_DATA = hex("36 87 04 6b 00 00 00 00 ad dd 02 00 00 00 00 00");
    private static final int LOOPBACK = 0x7F00_0001;
    private static final int IP = EthernetFrame.HEADER_LENGTH;
    private static final int ICMP = IP + Ipv4Header.MIN_HEADER_LENGTH;
    private static final int ICMP_LENGTH = ECHO_REQUEST_FRAME.length - ICMP;
    private static final int OFFSET = 3;

    private final EthernetFrame frame = new EthernetFrame();
    private final Ipv4Header ip = new Ipv4Header();
    private final IcmpMessage icmp = new IcmpMessage();

    @Test
    void emitsTheCapturedEchoRequestByteForByte()
    {
        final UnsafeBuffer buffer = filled(OFFSET + ECHO_REQUEST_FRAME.length + 11);

        emitEcho(buffer, IcmpMessage.TYPE_ECHO_REQUEST, 0x17AE, Ipv4Header.FLAG_DONT_FRAGMENT);

        assertBytes(ECHO_REQUEST_FRAME, buffer, OFFSET);
        assertUntouchedOutside(buffer, OFFSET, OFFSET + ECHO_REQUEST_FRAME.length);
        assertEquals(0xFC65, icmp.checksum());
    }

    @Test
    void emitsTheCapturedEchoReplyByteForByte()
    {
        final UnsafeBuffer buffer = filled(OFFSET + ECHO_REPLY_FRAME.length + 11);

        emitEcho(buffer, IcmpMessage.TYPE_ECHO_REPLY, 0x17AF, 0);

        assertBytes(ECHO_REPLY_FRAME, buffer, OFFSET);
        assertUntouchedOutside(buffer, OFFSET, OFFSET + ECHO_REPLY_FRAME.length);
    }

    @Test
    void decodesTheCapturedEchoRequest()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ECHO_REQUEST_FRAME);

        assertEquals(EthernetFrame.Verdict.OK, frame.wrap(buffer, 0, ECHO_REQUEST_FRAME.length).validate());
        assertEquals(MacAddress.ZERO, frame.destination());
        assertEquals(EtherType.IPV4, frame.etherType());
        assertEquals(Ipv4Header.Verdict.OK, ip.wrap(buffer, frame.payloadOffset(), frame.payloadLength()).validate());
        assertEquals(IpProtocol.ICMP, ip.protocol());
        assertEquals(0x2521, ip.checksum());
        assertEquals(IcmpMessage.Verdict.OK, icmp.wrap(buffer, ip.payloadOffset(), ip.payloadLength()).validate());
        assertEquals(IcmpMessage.TYPE_ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0x10C9, icmp.identifier());
        assertEquals(1, icmp.sequence());
        assertEquals(ICMP + IcmpMessage.HEADER_LENGTH, icmp.dataOffset());
        assertEquals(ECHO_DATA.length, icmp.dataLength());
    }

    @Test
    void incrementalUpdateOfTheTypeWordGivesTheKernelsReplyChecksum()
    {
        // RFC 1624 eqn. 3 on the type/code word 0x0800 -> 0x0000, as an echo responder patches a request in place
        assertEquals(0x0466, Checksum.adjust(0xFC65, IcmpMessage.TYPE_ECHO_REQUEST << 8,
            IcmpMessage.TYPE_ECHO_REPLY << 8));
    }

    private void emitEcho(final UnsafeBuffer buffer, final int type, final int identification, final int flags)
    {
        EthernetFrame.writeHeader(buffer, OFFSET, MacAddress.ZERO, MacAddress.ZERO, EtherType.IPV4);
        Ipv4Header.write(buffer, OFFSET + IP, Ipv4Header.MIN_HEADER_LENGTH + ICMP_LENGTH, identification, flags, 64,
            IpProtocol.ICMP, LOOPBACK, LOOPBACK);
        icmp.wrap(buffer, OFFSET + ICMP, ICMP_LENGTH).type(type).code(0).identifier(0x10C9).sequence(1);
        buffer.putBytes(icmp.dataOffset(), ECHO_DATA);
        icmp.updateChecksum();
    }
}
