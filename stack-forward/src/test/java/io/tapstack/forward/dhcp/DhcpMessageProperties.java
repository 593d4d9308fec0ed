package io.tapstack.forward.dhcp;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The codec: what is written reads back the same; no input, however broken, makes it throw or read out of range. */
class DhcpMessageProperties
{
    @Property
    void fixedFieldsAndOptionsRoundTrip(@ForAll final int xid, @ForAll final int ciaddr, @ForAll final int yiaddr,
        @ForAll final int giaddr, @ForAll("macs") final long chaddr, @ForAll @IntRange(max = 0xFFFF) final int flags,
        @ForAll @IntRange(max = 0xFFFF) final int secs, @ForAll @IntRange(min = 1, max = 255) final int type,
        @ForAll final int requested, @ForAll final int serverId, @ForAll @IntRange(max = 0x7FFF_FFFF) final int lease,
        @ForAll @IntRange(max = 0xFFFF) final int maxSize, @ForAll @IntRange(min = 1, max = 4) final int dnsCount)
    {
        final byte[] bytes = new byte[DhcpMessage.MIN_MAX_MESSAGE_LENGTH];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final int[] dns = {1, 2, 3, 4};
        final int length = new DhcpMessage().wrap(buffer, 0, bytes.length)
            .clearForWriting(DhcpMessage.OP_BOOTREQUEST).xid(xid).secs(secs).flags(flags).ciaddr(ciaddr)
            .yiaddr(yiaddr).giaddr(giaddr).chaddr(chaddr)
            .putByteOption(DhcpMessage.OPTION_MESSAGE_TYPE, type)
            .putIntOption(DhcpMessage.OPTION_REQUESTED_ADDRESS, requested)
            .putIntOption(DhcpMessage.OPTION_SERVER_IDENTIFIER, serverId)
            .putAddressesOption(DhcpMessage.OPTION_DNS_SERVERS, dns, dnsCount)
            .putIntOption(DhcpMessage.OPTION_LEASE_TIME, lease)
            .putShortOption(DhcpMessage.OPTION_MAX_MESSAGE_SIZE, maxSize)
            .endOptions();
        final DhcpMessage read = new DhcpMessage().wrap(buffer, 0, length);
        assertEquals(DhcpMessage.Verdict.OK, read.validate());
        assertEquals(DhcpMessage.OP_BOOTREQUEST, read.op());
        assertEquals(xid, read.xid());
        assertEquals(secs, read.secs());
        assertEquals(flags, read.flags());
        assertEquals(ciaddr, read.ciaddr());
        assertEquals(yiaddr, read.yiaddr());
        assertEquals(giaddr, read.giaddr());
        assertEquals(chaddr, read.chaddr());
        assertEquals(type, read.messageType());
        assertEquals(requested, read.requestedAddress());
        assertEquals(serverId, read.serverIdentifier());
        assertEquals(lease, read.leaseTimeSeconds());
        assertEquals(maxSize, read.maxMessageSize());
        assertEquals(Math.max(DhcpMessage.MIN_BOOTP_LENGTH, 240 + 3 + 6 + 6 + 2 + 4 * dnsCount + 6 + 4 + 1), length);
    }

    @Property
    void arbitraryBytesNeverThrowAndOkMeansEveryFieldIsInRange(@ForAll @Size(max = 600) final byte[] bytes,
        @ForAll final boolean withCookie)
    {
        if (withCookie && bytes.length >= DhcpMessage.OPTIONS_OFFSET)
        {
            new UnsafeBuffer(bytes).putInt(DhcpMessage.COOKIE_OFFSET, DhcpMessage.MAGIC_COOKIE,
                java.nio.ByteOrder.BIG_ENDIAN);
            bytes[0] = 1;
            bytes[1] = 1;
            bytes[2] = 6;
        }
        // wrapped at an offset, the buffer ending where the message ends: a read past it throws
        final byte[] framed = new byte[bytes.length + 32];
        System.arraycopy(bytes, 0, framed, 32, bytes.length);
        final DhcpMessage m = new DhcpMessage().wrap(new UnsafeBuffer(framed), 32, bytes.length);
        final DhcpMessage.Verdict verdict = m.validate();
        if (verdict == DhcpMessage.Verdict.OK)
        {
            m.xid();
            m.chaddr();
            m.ciaddr();
            assertEquals(DhcpMessage.MAGIC_COOKIE, m.cookie());
        }
    }

    @Property
    void anyOneByteChangeOfAValidMessageIsHandled(@ForAll @IntRange(max = 299) final int position,
        @ForAll final byte value, @ForAll("types") final int type)
    {
        final byte[] bytes = DhcpPeer.msg(type, DhcpPeer.MAC_A).requested(0x0A000064).serverId(0x0A000002)
            .lease(60).bytes();
        bytes[position] = value;
        final DhcpMessage m = new DhcpMessage().wrap(new UnsafeBuffer(bytes), 0, bytes.length);
        m.validate(); // any verdict, no exception
    }

    @Provide
    Arbitrary<Long> macs()
    {
        return Arbitraries.longs().between(0, 0xFFFF_FFFF_FFFFL);
    }

    @Provide
    Arbitrary<Integer> types()
    {
        return Arbitraries.of(List.of(1, 3, 4, 7, 8));
    }
}
