package io.tapstack.ip;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.MacAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4AndIcmpTest
{
    private SingleStack s;

    @BeforeEach
    void learnPeer()
    {
        s = new SingleStack(c -> c.icmpErrorsPerSecond(10).icmpErrorBurst(5));
        s.step();
        s.sent();
        s.learnPeer();
    }

    private byte[] echoRequest(final int dst, final long ethDst, final byte[] data)
    {
        return Frames.ipv4(ethDst, PEER_MAC, PEER_IP, dst, IpProtocol.ICMP, 1, 0,
            Frames.icmp(IcmpMessage.TYPE_ECHO_REQUEST, 0, 0x1234, 7, data));
    }

    @Test
    void answersAnEchoRequestWithTheSameDataAndValidChecksums()
    {
        final byte[] data = "abcdefghijklmnopqrstuvwxyz0123456789".getBytes();
        s.inject(echoRequest(STACK_IP, STACK_MAC, data));
        final List<byte[]> out = s.sentRaw();
        assertEquals(1, out.size());
        assertTrue(Frames.checksumsVerify(out.get(0)));
        final Frames reply = Frames.parse(out.get(0));
        assertEquals(PEER_MAC, reply.ethDestination());
        assertEquals(STACK_IP, reply.ipSource());
        assertEquals(PEER_IP, reply.ipDestination());
        assertEquals(IcmpMessage.TYPE_ECHO_REPLY, reply.icmpType());
        assertEquals(0x1234, reply.icmpId());
        assertEquals(7, reply.icmpSeq());
        assertArrayEquals(data, java.util.Arrays.copyOfRange(reply.l4(), 8, reply.l4().length));
    }

    @Test
    void skipsIpOptionsByTheHeaderLength()
    {
        final byte[] icmp = Frames.icmp(IcmpMessage.TYPE_ECHO_REQUEST, 0, 1, 2, new byte[16]);
        final byte[] frame = new byte[14 + 24 + icmp.length];
        final org.agrona.concurrent.UnsafeBuffer b = new org.agrona.concurrent.UnsafeBuffer(frame);
        io.tapstack.wire.EthernetFrame.writeHeader(b, 0, STACK_MAC, PEER_MAC, io.tapstack.wire.EtherType.IPV4);
        io.tapstack.wire.Ipv4Header.write(b, 14, 24 + icmp.length, 9, 0, 64, IpProtocol.ICMP, PEER_IP, STACK_IP);
        b.putByte(14, (byte)0x46); // IHL 6: one word of options (four NOPs)
        b.putInt(34, 0x01010101);
        b.putBytes(38, icmp);
        new io.tapstack.wire.Ipv4Header().wrap(b, 14, frame.length - 14).updateChecksum();
        s.inject(frame);
        final List<Frames> out = s.sent();
        assertEquals(1, out.size());
        assertEquals(IcmpMessage.TYPE_ECHO_REPLY, out.get(0).icmpType());
        assertEquals(2, out.get(0).icmpSeq());
    }

    @Test
    void dropsAndCountsAHeaderWithABadChecksum()
    {
        final byte[] frame = echoRequest(STACK_IP, STACK_MAC, new byte[8]);
        frame[14 + 10] ^= 0x01;
        s.inject(frame);
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.IP_DROP_BAD_CHECKSUM));
    }

    @Test
    void dropsAndCountsAnIcmpMessageWithABadChecksum()
    {
        final byte[] frame = echoRequest(STACK_IP, STACK_MAC, new byte[8]);
        frame[frame.length - 1] ^= 0x01;
        s.inject(frame);
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.ICMP_DROP_BAD_CHECKSUM));
    }

    @Test
    void dropsDatagramsForOtherAddresses()
    {
        s.inject(echoRequest(Ipv4Address.parse("10.0.0.3"), STACK_MAC, new byte[8]));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.IP_DROP_NOT_FOR_US));
    }

    @Test
    void dropsFramesForOtherMacs()
    {
        s.inject(echoRequest(STACK_IP, MacAddress.parse("02:00:00:00:00:99"), new byte[8]));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.ETH_DROP_NOT_FOR_US));
    }

    @Test
    void ignoresBroadcastEchoByDefault()
    {
        s.inject(echoRequest(Ipv4Address.parse("10.0.0.255"), MacAddress.BROADCAST, new byte[8]));
        s.inject(echoRequest(Ipv4Address.BROADCAST, MacAddress.BROADCAST, new byte[8]));
        assertTrue(s.sent().isEmpty());
        assertEquals(2, s.stack.counters().get(Counter.ICMP_DROP_BROADCAST_ECHO));
    }

    @Test
    void answersBroadcastEchoWhenConfiguredFromItsOwnAddress()
    {
        s = new SingleStack(c -> c.answerBroadcastPing(true));
        s.learnPeer();
        s.inject(echoRequest(Ipv4Address.parse("10.0.0.255"), MacAddress.BROADCAST, new byte[8]));
        final List<Frames> out = s.sent();
        assertEquals(1, out.size());
        assertEquals(STACK_IP, out.get(0).ipSource());
    }

    @Test
    void sendsProtocolUnreachableForUnknownProtocolsAtALimitedRate()
    {
        final byte[] payload = new byte[40];
        for (int i = 0; i < 20; i++)
        {
            s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, 253, 50 + i, 0, payload));
        }
        final List<byte[]> out = s.sentRaw();
        assertEquals(5, out.size(), "burst of 5");
        final Frames error = Frames.parse(out.get(0));
        assertTrue(Frames.checksumsVerify(out.get(0)));
        assertEquals(IcmpMessage.TYPE_DESTINATION_UNREACHABLE, error.icmpType());
        assertEquals(IcmpMessage.CODE_PROTOCOL_UNREACHABLE, error.icmpCode());
        // RFC 792: the error quotes the offending header and at least its first 8 data bytes
        assertEquals(8 + 20 + 40, error.l4().length);
        assertEquals(15, s.stack.counters().get(Counter.ICMP_ERRORS_RATE_LIMITED));
        // 10 per second: after 300 ms three more tokens
        s.advance(300_000_000L);
        for (int i = 0; i < 5; i++)
        {
            s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, 253, 90 + i, 0, payload));
        }
        assertEquals(3, s.sent().size());
    }

    @Test
    void neverSendsAnErrorAboutABroadcastDatagram()
    {
        s.inject(Frames.ipv4(MacAddress.BROADCAST, PEER_MAC, PEER_IP, Ipv4Address.BROADCAST, 253, 1, 0, new byte[8]));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.IP_DROP_UNKNOWN_PROTOCOL));
    }

    @Test
    void dropsDatagramsFromABroadcastSource()
    {
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, Ipv4Address.BROADCAST, STACK_IP, IpProtocol.ICMP, 1, 0,
            Frames.icmp(IcmpMessage.TYPE_ECHO_REQUEST, 0, 1, 1, new byte[8])));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.IP_DROP_BAD_SOURCE));
    }

    @Test
    void routesOffSubnetTrafficThroughTheGateway()
    {
        final int gateway = Ipv4Address.parse("10.0.0.1");
        s = new SingleStack(c -> c.gateway(gateway));
        s.step();
        s.sent();
        s.stack.ping(Ipv4Address.parse("192.0.2.7"), 1, 1, 8, s.clock.nanoTime());
        final Frames arp = s.sent().get(0);
        assertTrue(arp.isArp());
        assertEquals(gateway, arp.arpTpa());
    }

    @Test
    void countsNoRouteWithoutAGateway()
    {
        assertTrue(!s.stack.ping(Ipv4Address.parse("192.0.2.7"), 1, 1, 8, s.clock.nanoTime()));
        assertEquals(1, s.stack.counters().get(Counter.IP_TX_NO_ROUTE));
    }

    @Test
    void dropsTruncatedAndRuntFramesWithoutThrowing()
    {
        final byte[] full = echoRequest(STACK_IP, STACK_MAC, new byte[100]);
        for (int length = 0; length < full.length; length++)
        {
            s.inject(java.util.Arrays.copyOf(full, length));
        }
        assertTrue(s.sent().isEmpty());
        assertEquals(14, s.stack.counters().get(Counter.ETH_DROP_TOO_SHORT));
        assertEquals(20, s.stack.counters().get(Counter.IP_DROP_TOO_SHORT));
    }

    @Test
    void answersAnAllZeroEchoWithAChecksumThatVerifies()
    {
        // id 0, seq 0, no data: the reply is all zero and its checksum must be 0xFFFF, not 0x0000
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.ICMP, 1, 0,
            Frames.icmp(IcmpMessage.TYPE_ECHO_REQUEST, 0, 0, 0, new byte[0])));
        final List<byte[]> out = s.sentRaw();
        assertEquals(1, out.size());
        assertTrue(Frames.checksumsVerify(out.get(0)));
    }
}
