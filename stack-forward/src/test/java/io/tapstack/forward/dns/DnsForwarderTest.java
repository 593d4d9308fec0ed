package io.tapstack.forward.dns;

import io.tapstack.forward.dns.DnsCounters.Counter;
import io.tapstack.forward.dns.DnsPeer.Received;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.forward.dns.DnsPeer.answer;
import static io.tapstack.forward.dns.DnsPeer.id;
import static io.tapstack.forward.dns.DnsPeer.query;
import static io.tapstack.forward.dns.DnsPeer.rcode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One rule per test: a scripted guest on a single stack in manual time, resolvers faked by the test on 127.0.0.1.
 * Timeouts run in manual time; only the host sockets' delivery is waited for (loopback: at once).
 */
class DnsForwarderTest
{
    private static final long SECOND = 1_000_000_000L;
    private static final byte[] ADDRESS = {(byte)192, 0, 2, 7};

    @Test
    void rfc1035_4_2_1_aUdpQueryIsForwardedAndItsAnswerReturnedWithTheGuestsId() throws IOException
    {
        try (DnsPeer p = new DnsPeer(1, c -> c))
        {
            p.guestSends(query(0x1111, "www.example.test"));
            final Received up = p.resolverReceives(0);
            final byte[] sent = Arrays.copyOf(up.bytes(), up.length());
            final byte[] expected = query(up.id(), "www.example.test");
            assertArrayEquals(expected, sent); // the same query, under the forwarder's own ID
            p.resolverAnswers(0, answer(up.bytes(), up.length(), ADDRESS, false), up.from());
            final byte[] toGuest = p.guestReceivesOne();
            assertEquals(0x1111, id(toGuest));
            final byte[] wanted = answer(query(0x1111, "www.example.test"), expected.length, ADDRESS, false);
            assertArrayEquals(wanted, toGuest);
            assertEquals(1, p.forwarder.counters().get(Counter.DNS_ANSWERS_TX));
            assertEquals(0, p.forwarder.outstandingQueries());
        }
    }

    @Test
    void rfc5452_9_1_anAnswerWithAnotherIdOrQuestionIsIgnored() throws IOException
    {
        try (DnsPeer p = new DnsPeer(1, c -> c))
        {
            p.guestSends(query(0x2222, "a.example.test"));
            final Received up = p.resolverReceives(0);
            final byte[] wrongId = answer(up.bytes(), up.length(), ADDRESS, false);
            wrongId[1] ^= 1;
            p.resolverAnswers(0, wrongId, up.from());
            final byte[] otherQuestion = answer(query(up.id(), "b.example.test"), up.length(), ADDRESS, false);
            p.resolverAnswers(0, otherQuestion, up.from());
            final byte[] sameQuestionOtherCase = answer(query(up.id(), "A.EXAMPLE.test"), up.length(), ADDRESS, false);
            p.until(() -> p.forwarder.counters().get(Counter.DNS_ANSWER_MISMATCH) == 2);
            assertTrue(p.guestReceived().isEmpty());
            p.resolverAnswers(0, sameQuestionOtherCase, up.from()); // RFC 4343: names compare without case
            assertEquals(0x2222, id(p.guestReceivesOne()));
        }
    }

    @Test
    void anAttemptThatTimesOutGoesToTheNextResolver() throws IOException
    {
        try (DnsPeer p = new DnsPeer(2, c -> c))
        {
            p.guestSends(query(0x3333, "slow.example.test"));
            p.resolverReceives(0); // and never answers
            p.s.clock.advanceNs(2 * SECOND);
            final Received second = p.resolverReceives(1);
            assertEquals(1, p.forwarder.counters().get(Counter.DNS_UPSTREAM_TIMEOUTS));
            p.resolverAnswers(1, answer(second.bytes(), second.length(), ADDRESS, false), second.from());
            assertEquals(0x3333, id(p.guestReceivesOne()));
        }
    }

    @Test
    void rfc1035_4_1_1_whenEveryAttemptTimesOutTheGuestGetsServfail() throws IOException
    {
        try (DnsPeer p = new DnsPeer(1, c -> c))
        {
            final byte[] q = query(0x4444, "dead.example.test");
            p.guestSends(q);
            p.resolverReceives(0);
            p.s.clock.advanceNs(2 * SECOND - 1);
            assertTrue(p.resolverIsQuiet(0));
            p.s.clock.advanceNs(1);
            p.resolverReceives(0); // the second attempt
            p.s.clock.advanceNs(2 * SECOND);
            final byte[] servfail = p.guestReceivesOne();
            assertEquals(0x4444, id(servfail));
            assertEquals(DnsMessage.RCODE_SERVFAIL, rcode(servfail));
            assertEquals(0x8180, DnsPeer.flags(servfail) & 0xFFF0); // QR, RD kept, RA
            assertArrayEquals(Arrays.copyOfRange(q, 12, q.length), Arrays.copyOfRange(servfail, 12, servfail.length));
            assertEquals(2, p.forwarder.counters().get(Counter.DNS_UPSTREAM_TIMEOUTS));
            assertEquals(1, p.forwarder.counters().get(Counter.DNS_SERVFAIL_TX));
        }
    }

    @Test
    void withoutAResolverEveryQueryGetsServfailAtOnce() throws IOException
    {
        try (DnsPeer p = new DnsPeer(0, c -> c))
        {
            p.guestSends(query(0x5555, "x.test"));
            assertEquals(DnsMessage.RCODE_SERVFAIL, rcode(p.guestReceivesOne()));
        }
    }

    @Test
    void aRetransmittedQueryDoesNotOpenASecondOne() throws IOException
    {
        try (DnsPeer p = new DnsPeer(1, c -> c))
        {
            p.guestSends(query(0x6666, "dup.example.test"));
            p.guestSends(query(0x6666, "dup.example.test"));
            final Received up = p.resolverReceives(0);
            assertTrue(p.resolverIsQuiet(0));
            assertEquals(1, p.forwarder.counters().get(Counter.DNS_DUPLICATE_QUERIES));
            p.resolverAnswers(0, answer(up.bytes(), up.length(), ADDRESS, false), up.from());
            p.guestReceivesOne();
        }
    }

    @Test
    void queriesBeyondTheOutstandingBoundGetServfail() throws IOException
    {
        try (DnsPeer p = new DnsPeer(1, c -> c.maxOutstandingQueries(2)))
        {
            p.guestSends(query(1, "one.test"));
            p.guestSends(query(2, "two.test"));
            p.guestSends(query(3, "three.test"));
            final byte[] refused = p.guestReceivesOne();
            assertEquals(3, id(refused));
            assertEquals(DnsMessage.RCODE_SERVFAIL, rcode(refused));
            assertEquals(2, p.forwarder.outstandingQueries());
            assertEquals(1, p.forwarder.counters().get(Counter.DNS_OUTSTANDING_LIMIT));
        }
    }

    @Test
    void badQueriesAreCountedAndAnsweredFormerrOrNotimpOrDropped() throws IOException
    {
        try (DnsPeer p = new DnsPeer(1, c -> c))
        {
            p.guestSends(new byte[5]);
            final byte[] response = query(7, "r.test");
            response[2] |= (byte)0x80;
            p.guestSends(response);
            assertTrue(p.guestReceived().isEmpty());
            final byte[] noQuestion = Arrays.copyOf(query(8, "q.test"), 12);
            noQuestion[5] = 0;
            p.guestSends(noQuestion);
            final byte[] formerr = p.guestReceivesOne();
            assertEquals(DnsMessage.RCODE_FORMERR, rcode(formerr));
            assertEquals(12, formerr.length);
            final byte[] pointer = query(9, "p.test");
            pointer[12] = (byte)0xC0;
            p.guestSends(pointer);
            assertEquals(DnsMessage.RCODE_FORMERR, rcode(p.guestReceivesOne()));
            final byte[] status = query(10, "s.test");
            status[2] = 0x10; // opcode 2, STATUS
            p.guestSends(status);
            assertEquals(DnsMessage.RCODE_NOTIMP, rcode(p.guestReceivesOne()));
            assertTrue(p.resolverIsQuiet(0));
            final DnsCounters c = p.forwarder.counters();
            assertEquals(1, c.get(Counter.DNS_DROP_TOO_SHORT));
            assertEquals(1, c.get(Counter.DNS_DROP_NOT_A_QUERY));
            assertEquals(2, c.get(Counter.DNS_FORMERR_TX));
            assertEquals(1, c.get(Counter.DNS_NOTIMP_TX));
        }
    }

    @Test
    void rfc7766_5_aTruncatedUdpAnswerIsAskedAgainOverTcp() throws IOException
    {
        try (DnsPeer p = new DnsPeer(1, c -> c);
            ServerSocketChannel tcp = ServerSocketChannel.open())
        {
            tcp.bind(p.resolvers.get(0).getLocalAddress());
            p.guestSends(query(0x7777, "big.example.test"));
            final Received up = p.resolverReceives(0);
            p.resolverAnswers(0, answer(up.bytes(), up.length(), new byte[4], true), up.from());
            p.until(() -> p.forwarder.counters().get(Counter.DNS_UPSTREAM_TCP_TX) == 1);
            try (SocketChannel c = tcp.accept())
            {
                final ByteBuffer length = ByteBuffer.allocate(2);
                p.until(() -> read(c, length));
                final ByteBuffer q = ByteBuffer.allocate(length.getShort(0));
                p.until(() -> read(c, q));
                final byte[] full = answer(q.array(), q.capacity(), ADDRESS, false);
                final ByteBuffer out = ByteBuffer.allocate(2 + full.length).order(ByteOrder.BIG_ENDIAN);
                out.putShort((short)full.length).put(full).flip();
                c.write(out);
                final byte[] toGuest = p.guestReceivesOne();
                assertEquals(0x7777, id(toGuest));
                assertEquals(0, DnsPeer.flags(toGuest) & DnsMessage.FLAG_TC);
                assertArrayEquals(ADDRESS, Arrays.copyOfRange(toGuest, toGuest.length - 4, toGuest.length));
                assertEquals(1, p.forwarder.counters().get(Counter.DNS_UPSTREAM_TRUNCATED));
            }
        }
    }

    @Test
    void rfc6891_7_anAnswerLargerThanTheGuestTakesGoesBackEmptyWithTc() throws IOException
    {
        try (DnsPeer p = new DnsPeer(1, c -> c.tcpForTruncated(false)))
        {
            p.guestSends(query(0x8888, "huge.example.test"));
            final Received up = p.resolverReceives(0);
            final byte[] small = answer(up.bytes(), up.length(), ADDRESS, false);
            final byte[] huge = Arrays.copyOf(small, 600); // trailing octets stand for more records
            p.resolverAnswers(0, huge, up.from());
            final byte[] toGuest = p.guestReceivesOne();
            assertEquals(0x8888, id(toGuest));
            assertTrue((DnsPeer.flags(toGuest) & DnsMessage.FLAG_TC) != 0);
            assertEquals(12 + up.length() - 12, toGuest.length); // the header and the question only
            assertEquals(1, p.forwarder.counters().get(Counter.DNS_TRUNCATED_TO_GUEST));
        }
    }

    @Test
    void resolvConfNamesUpToThreeLiteralNameServers()
    {
        final List<InetSocketAddress> servers = ResolvConf.parse("""
            # a comment
            search example.test
            nameserver 192.0.2.1
            ; another comment
            nameserver   2001:db8::53
            nameserver dns.example.test
            options edns0
            nameserver 192.0.2.3
            nameserver 192.0.2.4
            """);
        assertEquals(3, servers.size());
        assertEquals(new InetSocketAddress("192.0.2.1", 53), servers.get(0));
        assertEquals(53, servers.get(1).getPort());
        assertTrue(servers.get(1).getAddress().getHostAddress().startsWith("2001:db8"));
        assertEquals(new InetSocketAddress("192.0.2.3", 53), servers.get(2));
        assertTrue(ResolvConf.parse("nameserver\nnameserver 999.1.1.1\n").isEmpty());
        assertEquals(InetAddress.getLoopbackAddress().getHostAddress(),
            ResolvConf.parse("nameserver 127.0.0.1").get(0).getAddress().getHostAddress());
    }

    private static boolean read(final SocketChannel c, final ByteBuffer into)
    {
        try
        {
            c.configureBlocking(false);
            if (c.read(into) < 0)
            {
                throw new AssertionError("closed");
            }
            return !into.hasRemaining();
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }
}
