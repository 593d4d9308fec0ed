package io.tapstack.wire;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class VirtioNetHeaderProperties
{
    @Property
    void everyFieldReadsBackWhatWasWrittenAndNothingOutsideChanges(
        @ForAll @IntRange(min = 0, max = 255) final int flags, @ForAll @IntRange(min = 0, max = 255) final int gsoType,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int hdrLen, @ForAll @IntRange(min = 0, max = 0xFFFF) final int gsoSize,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int csumStart,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int csumOffset, @ForAll @IntRange(min = 0, max = 20) final int at)
    {
        final byte[] bytes = new byte[40];
        java.util.Arrays.fill(bytes, (byte)0xA5);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final VirtioNetHeader header = new VirtioNetHeader().wrap(buffer, at).flags(flags).gsoType(gsoType)
            .hdrLen(hdrLen).gsoSize(gsoSize).csumStart(csumStart).csumOffset(csumOffset);
        final VirtioNetHeader read = new VirtioNetHeader().wrap(buffer, at);
        assertEquals(flags, read.flags());
        assertEquals(gsoType, read.gsoType());
        assertEquals(hdrLen, read.hdrLen());
        assertEquals(gsoSize, read.gsoSize());
        assertEquals(csumStart, read.csumStart());
        assertEquals(csumOffset, read.csumOffset());
        for (int i = 0; i < bytes.length; i++)
        {
            if (i < at || i >= at + VirtioNetHeader.LENGTH)
            {
                assertEquals((byte)0xA5, bytes[i], "byte " + i + " outside the header");
            }
        }
        header.clear();
        assertEquals(0, read.flags() | read.gsoType() | read.hdrLen() | read.gsoSize() | read.csumStart()
            | read.csumOffset());
    }

    /** Golden bytes: the header Linux's tun writes for a TSO super-frame of TCP/IPv4 (little-endian fields). */
    @Example
    void aTcpV4SuperFrameHeaderHasTheLayoutOfLinuxVirtioNetHdr()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[VirtioNetHeader.LENGTH]);
        new VirtioNetHeader().wrap(buffer, 0).flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV4)
            .hdrLen(66).gsoSize(1448).csumStart(34).csumOffset(16);
        assertArrayEquals(new byte[] {1, 1, 66, 0, (byte)0xA8, 0x05, 34, 0, 16, 0}, buffer.byteArray());
    }
}
