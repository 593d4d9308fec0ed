package io.tapstack.wire;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.placed;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** {@link ArpPacket}: fields round trip at any offset; validate() is total and guards every getter. */
@StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
class ArpPacketProperties
{
    private static final long MAX_MAC = 0xFFFF_FFFF_FFFFL;

    private final ArpPacket arp = new ArpPacket();

    @Property
    void settersRoundTripEveryFieldAtAnyOffset(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(max = 0xFFFF) final int oper,
        @ForAll @LongRange(max = MAX_MAC) final long sha,
        @ForAll final int spa,
        @ForAll @LongRange(max = MAX_MAC) final long tha,
        @ForAll final int tpa)
    {
        final UnsafeBuffer buffer = filled(offset + ArpPacket.LENGTH + 8);

        arp.wrap(buffer, offset, ArpPacket.LENGTH).writeEthernetIpv4(oper).sha(sha).spa(spa).tha(tha).tpa(tpa);

        assertEquals(ArpPacket.HTYPE_ETHERNET, arp.htype());
        assertEquals(EtherType.IPV4, arp.ptype());
        assertEquals(6, arp.hlen());
        assertEquals(4, arp.plen());
        assertEquals(oper, arp.oper());
        assertEquals(sha, arp.sha());
        assertEquals(spa, arp.spa());
        assertEquals(tha, arp.tha());
        assertEquals(tpa, arp.tpa());
        final boolean knownOperation = oper == ArpPacket.OPER_REQUEST || oper == ArpPacket.OPER_REPLY;
        assertEquals(knownOperation ? ArpPacket.Verdict.OK : ArpPacket.Verdict.BAD_OPERATION, arp.validate());
        assertUntouchedOutside(buffer, offset, offset + ArpPacket.LENGTH);
    }

    @Property
    void operSetterRewritesOnlyTheOperation(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @LongRange(max = MAX_MAC) final long sha,
        @ForAll final int spa)
    {
        final UnsafeBuffer buffer = filled(offset + ArpPacket.LENGTH);
        arp.wrap(buffer, offset, ArpPacket.LENGTH).writeEthernetIpv4(ArpPacket.OPER_REQUEST).sha(sha).spa(spa)
            .tha(MacAddress.ZERO).tpa(0);

        arp.oper(ArpPacket.OPER_REPLY);

        assertEquals(ArpPacket.OPER_REPLY, arp.oper());
        assertEquals(sha, arp.sha());
        assertEquals(spa, arp.spa());
        assertEquals(ArpPacket.Verdict.OK, arp.validate());
    }

    @Property
    void validateNeverThrowsAndOkGuardsEveryGetter(
        @ForAll @Size(max = 2000) final byte[] bytes,
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll final boolean plausiblePreamble)
    {
        if (plausiblePreamble && bytes.length >= 8)
        {
            // random bytes alone would almost never reach OK; half the time make the fixed fields right
            final UnsafeBuffer view = new UnsafeBuffer(bytes);
            view.putShort(ArpPacket.HTYPE_OFFSET, (short)ArpPacket.HTYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
            view.putShort(ArpPacket.PTYPE_OFFSET, (short)EtherType.IPV4, ByteOrder.BIG_ENDIAN);
            view.putByte(ArpPacket.HLEN_OFFSET, (byte)6);
            view.putByte(ArpPacket.PLEN_OFFSET, (byte)4);
            view.putShort(ArpPacket.OPER_OFFSET, (short)(1 + (bytes[7] & 1)), ByteOrder.BIG_ENDIAN);
        }
        arp.wrap(placed(bytes, offset), offset, bytes.length);

        final ArpPacket.Verdict verdict = assertDoesNotThrow(arp::validate);

        Statistics.label("verdict").collect(verdict);
        if (verdict == ArpPacket.Verdict.OK)
        {
            assertDoesNotThrow(this::readEveryField);
        }
        Statistics.label("verdict").coverage(coverage -> coverage.check(ArpPacket.Verdict.OK).count(n -> n > 0));
    }

    @Property
    void shorterThanMinimumIsNeverOk(
        @ForAll @IntRange(max = ArpPacket.LENGTH - 1) final int length,
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(min = 1, max = 2) final int oper)
    {
        // a complete, valid request or reply sits in memory; only the wrapped length is short
        final UnsafeBuffer buffer = filled(offset + ArpPacket.LENGTH);
        arp.wrap(buffer, offset, ArpPacket.LENGTH).writeEthernetIpv4(oper);
        assertEquals(ArpPacket.Verdict.OK, arp.validate());

        arp.wrap(buffer, offset, length);

        assertNotEquals(ArpPacket.Verdict.OK, arp.validate());
    }

    private void readEveryField()
    {
        arp.buffer();
        arp.htype();
        arp.ptype();
        arp.hlen();
        arp.plen();
        arp.oper();
        arp.sha();
        arp.spa();
        arp.tha();
        arp.tpa();
    }
}
