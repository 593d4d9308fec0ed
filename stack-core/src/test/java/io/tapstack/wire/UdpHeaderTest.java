package io.tapstack.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.tapstack.wire.WireFixtures.assertBytes;
import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.hex;
import static io.tapstack.wire.WireFixtures.placed;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A known-good UDP datagram (checksum worked out independently of this code), decoded and reproduced. */
class UdpHeaderTest
{
    private static final int SOURCE = Ipv4Address.parse("192.168.0.1");
    private static final int DESTINATION = Ipv4Address.parse("192.168.0.199");
    /** 192.168.0.1:5353 -> 192.168.0.199:53, "hello, udp!", checksum 0x7ead over the pseudo-header. */
    private static final byte[] DATAGRAM = hex("14 e9 00 35 00 13 7e ad 68 65 6c 6c 6f 2c 20 75 64 70 21");
    private static final int OFFSET = 3;

    private final UdpHeader udp = new UdpHeader();

    @Test
    void knownGoodDatagramVerifiesAndDecodes()
    {
        udp.wrap(placed(DATAGRAM, OFFSET), OFFSET, DATAGRAM.length);

        assertEquals(UdpHeader.Verdict.OK, udp.validate(SOURCE, DESTINATION));
        assertEquals(5353, udp.sourcePort());
        assertEquals(53, udp.destinationPort());
        assertEquals(19, udp.length());
        assertEquals(0x7EAD, udp.checksum());
        assertEquals(OFFSET + 8, udp.dataOffset());
        assertEquals(11, udp.dataLength());
    }

    @Test
    void writeReproducesTheKnownGoodDatagramByteForByte()
    {
        final UnsafeBuffer buffer = filled(OFFSET + DATAGRAM.length + 5);
        buffer.putBytes(OFFSET + 8, "hello, udp!".getBytes());

        udp.wrap(buffer, OFFSET, DATAGRAM.length).sourcePort(5353).destinationPort(53).length(19)
            .updateChecksum(SOURCE, DESTINATION);

        assertBytes(DATAGRAM, buffer, OFFSET);
        assertUntouchedOutside(buffer, OFFSET, OFFSET + DATAGRAM.length);
    }

    @Test
    void theChecksumCoversThePseudoHeader()
    {
        udp.wrap(placed(DATAGRAM, 0), 0, DATAGRAM.length);

        assertEquals(UdpHeader.Verdict.BAD_CHECKSUM, udp.validate(SOURCE, DESTINATION + 1));
        assertEquals(UdpHeader.Verdict.BAD_CHECKSUM, udp.validate(SOURCE + 1, DESTINATION));
    }

    @Test
    void aZeroChecksumMeansNoneAndIsAccepted()
    {
        final UnsafeBuffer buffer = placed(DATAGRAM, 0);
        udp.wrap(buffer, 0, DATAGRAM.length).checksum(UdpHeader.NO_CHECKSUM);

        // RFC 768: "all zero ... means that the transmitter generated no checksum"
        assertEquals(UdpHeader.Verdict.OK, udp.validate(SOURCE, DESTINATION));
    }

    @Test
    void trailingIpPayloadBeyondTheLengthFieldIsNotPartOfTheDatagram()
    {
        final UnsafeBuffer buffer = filled(DATAGRAM.length + 6);
        buffer.putBytes(0, DATAGRAM);

        udp.wrap(buffer, 0, DATAGRAM.length + 6);

        assertEquals(UdpHeader.Verdict.OK, udp.validate(SOURCE, DESTINATION));
        assertEquals(11, udp.dataLength());
        assertEquals(DATAGRAM.length + 6, udp.available());
    }

    @Test
    void lengthFieldBelowTheHeaderOrBeyondThePayloadIsBad()
    {
        final UnsafeBuffer buffer = placed(DATAGRAM, 0);
        udp.wrap(buffer, 0, DATAGRAM.length);

        udp.length(7);
        assertEquals(UdpHeader.Verdict.BAD_LENGTH, udp.validate(SOURCE, DESTINATION));
        udp.length(DATAGRAM.length + 1);
        assertEquals(UdpHeader.Verdict.BAD_LENGTH, udp.validate(SOURCE, DESTINATION));
        udp.wrap(buffer, 0, 7);
        assertEquals(UdpHeader.Verdict.TOO_SHORT, udp.validate(SOURCE, DESTINATION));
    }
}
