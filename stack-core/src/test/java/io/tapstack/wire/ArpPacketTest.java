package io.tapstack.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static io.tapstack.wire.WireFixtures.assertBytes;
import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An ARP request and reply from a published Sniffer capture (myNetWatchman knowledge base, "Normal ARP", frames 7
 * and 8: http://www.mynetwatchman.com/kb/NetKb/ARP/goodarp.htm), emitted through the views into a 0xA5-filled
 * buffer and compared byte for byte. On the wire both frames carry 18 bytes of zero padding up to the 60-byte
 * minimum; the views write only the 42 bytes of headers (a TAP needs no padding), so the padding is checked to
 * be left alone.
 */
class ArpPacketTest
{
    /** Frame 7, the 60 bytes of the capture's hex dump. */
    private static final byte[] REQUEST_FRAME = hex(
        "ff ff ff ff ff ff 00 a0 c9 22 b2 10 08 06 00 01" +
        "08 00 06 04 00 01 00 a0 c9 22 b2 10 ac 10 01 65" +
        "00 00 00 00 00 00 ac 10 01 32 00 00 00 00 00 00" +
        "00 00 00 00 00 00 00 00 00 00 00 00");
    /** Frame 8, laid out from the capture's decode of every field (same layout and padding as frame 7). */
    private static final byte[] REPLY_FRAME = hex(
        "00 a0 c9 22 b2 10 00 90 27 3c 66 e1 08 06 00 01" +
        "08 00 06 04 00 02 00 90 27 3c 66 e1 ac 10 01 32" +
        "00 a0 c9 22 b2 10 ac 10 01 65 00 00 00 00 00 00" +
        "00 00 00 00 00 00 00 00 00 00 00 00");
    private static final int HEADERS = EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH;
    private static final long REQUESTER_MAC = MacAddress.parse("00:a0:c9:22:b2:10");
    private static final long RESPONDER_MAC = MacAddress.parse("00:90:27:3c:66:e1");
    private static final int REQUESTER_IP = Ipv4Address.parse("172.16.1.101");
    private static final int RESPONDER_IP = Ipv4Address.parse("172.16.1.50");
    private static final int OFFSET = 7;

    private final EthernetFrame frame = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();

    @Test
    void emitsTheCapturedRequestByteForByte()
    {
        final UnsafeBuffer buffer = filled(OFFSET + REQUEST_FRAME.length);

        EthernetFrame.writeHeader(buffer, OFFSET, MacAddress.BROADCAST, REQUESTER_MAC, EtherType.ARP);
        arp.wrap(buffer, OFFSET + EthernetFrame.HEADER_LENGTH, ArpPacket.LENGTH)
            .writeEthernetIpv4(ArpPacket.OPER_REQUEST)
            .sha(REQUESTER_MAC).spa(REQUESTER_IP).tha(MacAddress.ZERO).tpa(RESPONDER_IP);

        assertBytes(Arrays.copyOf(REQUEST_FRAME, HEADERS), buffer, OFFSET);
        assertUntouchedOutside(buffer, OFFSET, OFFSET + HEADERS);
    }

    @Test
    void emitsTheCapturedReplyByteForByte()
    {
        final UnsafeBuffer buffer = filled(OFFSET + REPLY_FRAME.length);

        frame.wrap(buffer, OFFSET, HEADERS).destination(REQUESTER_MAC).source(RESPONDER_MAC)
            .etherType(EtherType.ARP);
        arp.wrap(buffer, frame.payloadOffset(), ArpPacket.LENGTH)
            .writeEthernetIpv4(ArpPacket.OPER_REPLY)
            .sha(RESPONDER_MAC).spa(RESPONDER_IP).tha(REQUESTER_MAC).tpa(REQUESTER_IP);

        assertBytes(Arrays.copyOf(REPLY_FRAME, HEADERS), buffer, OFFSET);
        assertUntouchedOutside(buffer, OFFSET, OFFSET + HEADERS);
    }

    @Test
    void decodesTheCapturedRequestWithItsPadding()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(REQUEST_FRAME);

        assertEquals(EthernetFrame.Verdict.OK, frame.wrap(buffer, 0, REQUEST_FRAME.length).validate());
        assertEquals(MacAddress.BROADCAST, frame.destination());
        assertEquals(REQUESTER_MAC, frame.source());
        assertEquals(EtherType.ARP, frame.etherType());
        assertEquals(ArpPacket.Verdict.OK, arp.wrap(buffer, frame.payloadOffset(), frame.payloadLength()).validate());
        assertEquals(ArpPacket.OPER_REQUEST, arp.oper());
        assertEquals(REQUESTER_MAC, arp.sha());
        assertEquals(REQUESTER_IP, arp.spa());
        assertEquals(MacAddress.ZERO, arp.tha());
        assertEquals(RESPONDER_IP, arp.tpa());
    }

    @Test
    void decodesTheCapturedReplyWithItsPadding()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(REPLY_FRAME);

        assertEquals(EthernetFrame.Verdict.OK, frame.wrap(buffer, 0, REPLY_FRAME.length).validate());
        assertEquals(REQUESTER_MAC, frame.destination());
        assertEquals(RESPONDER_MAC, frame.source());
        assertEquals(ArpPacket.Verdict.OK, arp.wrap(buffer, frame.payloadOffset(), frame.payloadLength()).validate());
        assertEquals(ArpPacket.OPER_REPLY, arp.oper());
        assertEquals(RESPONDER_MAC, arp.sha());
        assertEquals(RESPONDER_IP, arp.spa());
        assertEquals(REQUESTER_MAC, arp.tha());
        assertEquals(REQUESTER_IP, arp.tpa());
    }

    @Test
    void reportsEachKindOfBadPacketByName()
    {
        assertEquals(ArpPacket.Verdict.TOO_SHORT, verdictOf("00 01 08 00 06 04 00 01", 0));
        assertEquals(ArpPacket.Verdict.UNSUPPORTED_HARDWARE, verdictOf("00 06 08 00 06 04 00 01", ArpPacket.LENGTH));
        assertEquals(ArpPacket.Verdict.UNSUPPORTED_PROTOCOL, verdictOf("00 01 86 dd 06 04 00 01", ArpPacket.LENGTH));
        assertEquals(ArpPacket.Verdict.BAD_ADDRESS_LENGTH, verdictOf("00 01 08 00 06 10 00 01", ArpPacket.LENGTH));
        assertEquals(ArpPacket.Verdict.BAD_ADDRESS_LENGTH, verdictOf("00 01 08 00 08 04 00 01", ArpPacket.LENGTH));
        assertEquals(ArpPacket.Verdict.BAD_OPERATION, verdictOf("00 01 08 00 06 04 00 03", ArpPacket.LENGTH));
        assertEquals(ArpPacket.Verdict.OK, verdictOf("00 01 08 00 06 04 00 02", ArpPacket.LENGTH));
    }

    private ArpPacket.Verdict verdictOf(final String preamble, final int totalLength)
    {
        final byte[] bytes = hex(preamble);
        final UnsafeBuffer buffer = filled(OFFSET + Math.max(totalLength, bytes.length));
        buffer.putBytes(OFFSET, bytes);
        return arp.wrap(buffer, OFFSET, Math.max(totalLength, bytes.length)).validate();
    }
}
