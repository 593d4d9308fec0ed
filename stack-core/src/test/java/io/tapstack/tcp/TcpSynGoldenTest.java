package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.ts;
import static io.tapstack.tcp.TcpScript.wscale;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Golden bytes of our SYN and SYN-ACK with every option we send (RFC 9293 §3.1 and §3.2, RFC 7323 §2.2 and §3.2),
 * laid out as Linux lays them out: MSS, SACK-permitted folded into the timestamps' NOP NOP (RFC 2018 §2), NOP window scale.
 */
class TcpSynGoldenTest
{
    private static final HexFormat HEX = HexFormat.of();

    /** The clock of {@code SingleStack} starts at 10^12 ns: 10^6 ms, so this offset makes TSval 0x01020304. */
    private static final int TS_OFFSET = 0x01020304 - 1_000_000;

    @Test
    void ourSynCarriesMssSackPermittedTimestampsAndWindowScaleByteForByte()
    {
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(4 * 1024 * 1024));
        t.tcp.fixedIsnForTests(0x11223344);
        t.tcp.fixedTsOffsetForTests(TS_OFFSET);
        t.connect(null);
        final byte[] header = t.syn.header();
        // the ephemeral port (bytes 0-1) is the layer's choice, and the checksum (16-17) covers it: taken from the
        // segment (TcpScript checked the checksum); every other byte is fixed
        final String expected = String.format("%04x", t.stackPort)
            + "9c40" // destination port 40000
            + "11223344" // SEQ = ISS
            + "00000000" // no ACK
            + "a002" // data offset 10 words (40 bytes), SYN
            + "ffff" // window 65,535: a SYN's window is never scaled (RFC 7323 §2.2)
            + HEX.formatHex(header, 16, 18) // checksum
            + "0000" // urgent pointer
            + "020405b4" // MSS 1460
            + "0402080a" + "01020304" + "00000000" // SACK-permitted, timestamps: TSval, TSecr 0 (no ACK yet)
            + "01030307"; // NOP, window scale 7 (4 MiB of receive buffer)
        assertEquals(expected, HEX.formatHex(header));
    }

    @Test
    void ourSynAckEchoesThePeersTimestampByteForByte()
    {
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(4 * 1024 * 1024));
        t.tcp.fixedIsnForTests(0x11223344);
        t.tcp.fixedTsOffsetForTests(TS_OFFSET);
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(options(mss(1460), ts(0x0A0B0C0D, 0), wscale(9)));
        final String expected = "0050" + "9c40" // 80 -> 40000
            + "11223344" + "10000001" // SEQ = ISS, ACK = the peer's ISS + 1
            + "a012" // 40 bytes of header, SYN ACK
            + "ffff" // 65,535, not scaled
            + HEX.formatHex(synAck.header(), 16, 18) // checksum (verified by TcpScript)
            + "0000"
            + "020405b4" + "0101080a" + "01020304" + "0a0b0c0d" + "01030307";
        assertEquals(expected, HEX.formatHex(synAck.header()));
    }

    @Test
    void ourSynAckAnswersSackPermittedBesideTimestampsByteForByte()
    {
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(4 * 1024 * 1024));
        t.tcp.fixedIsnForTests(0x11223344);
        t.tcp.fixedTsOffsetForTests(TS_OFFSET);
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(options(mss(1460), new byte[] {4, 2, 8, 10, 0x0A, 0x0B, 0x0C,
            0x0D, 0, 0, 0, 0}, wscale(9)));
        final String expected = "0050" + "9c40" + "11223344" + "10000001" + "a012" + "ffff"
            + HEX.formatHex(synAck.header(), 16, 18) + "0000"
            + "020405b4" + "0402080a" + "01020304" + "0a0b0c0d" + "01030307";
        assertEquals(expected, HEX.formatHex(synAck.header()));
    }

    @Test
    void withoutTimestampsSackPermittedGoesAfterNopNopAsLinuxWritesIt()
    {
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(4 * 1024 * 1024).timestamps(false));
        t.tcp.fixedIsnForTests(0x11223344);
        t.connect(null);
        final byte[] header = t.syn.header();
        final String expected = String.format("%04x", t.stackPort) + "9c40" + "11223344" + "00000000"
            + "8002" // 32 bytes of header, SYN
            + "ffff" + HEX.formatHex(header, 16, 18) + "0000"
            + "020405b4" // MSS 1460
            + "01010402" // NOP NOP SACK-permitted
            + "01030307"; // NOP window scale 7
        assertEquals(expected, HEX.formatHex(header));
    }
}
