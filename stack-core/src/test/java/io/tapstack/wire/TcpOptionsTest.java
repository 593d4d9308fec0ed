package io.tapstack.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.tapstack.wire.WireFixtures.assertBytes;
import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writing TCP options (RFC 9293 §3.2, RFC 7323 §2.2 and §3.2) in Linux's layout, golden bytes. */
class TcpOptionsTest
{
    @Test
    void writesMssTimestampsAndWindowScaleNopPaddedAsLinuxDoes()
    {
        final TcpOptions o = new TcpOptions();
        o.mss = 1460;
        o.hasTimestamps = true;
        o.tsVal = 0x01020304;
        o.tsEcr = 0;
        o.windowScale = 7;
        final UnsafeBuffer b = filled(40);
        assertEquals(20, o.writeLength());
        assertEquals(20, o.write(b, 10));
        assertBytes(hex("020405b4 0101080a 01020304 00000000 01030307"), b, 10);
        assertUntouchedOutside(b, 10, 30);
    }

    @Test
    void aSegmentAfterTheHandshakeCarriesOnlyTwelveBytesOfTimestamps()
    {
        final TcpOptions o = new TcpOptions();
        o.hasTimestamps = true;
        o.tsVal = 0xFFFFFFFE;
        o.tsEcr = 0x7F000001;
        final UnsafeBuffer b = filled(12);
        assertEquals(12, o.write(b, 0));
        assertBytes(hex("0101080a fffffffe 7f000001"), b, 0);
    }

    @Test
    void nothingSetWritesNothing()
    {
        final TcpOptions o = new TcpOptions();
        final UnsafeBuffer b = filled(4);
        assertEquals(0, o.write(b, 0));
        assertUntouchedOutside(b, 0, 0);
    }

    @Test
    void whatIsWrittenParsesBack()
    {
        final TcpOptions o = new TcpOptions();
        o.mss = 536;
        o.hasTimestamps = true;
        o.tsVal = 123;
        o.tsEcr = 456;
        o.windowScale = 14;
        final UnsafeBuffer b = filled(20);
        o.write(b, 0);
        final TcpOptions p = new TcpOptions();
        assertEquals(TcpOptions.Verdict.OK, p.parse(b, 0, 20));
        assertEquals(536, p.mss);
        assertTrue(p.hasTimestamps);
        assertEquals(123, p.tsVal);
        assertEquals(456, p.tsEcr);
        assertEquals(14, p.windowScale);
    }
}
