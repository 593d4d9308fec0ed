package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gateway mode (StackConfig.gatewayMode): the stack as the guest's router takes TCP and UDP for any destination; SYNs
 * no listener takes are held for an interceptor (a forwarding engine) that decides their handshake later.
 */
class GatewayModeTest
{
    private static final int WORLD = Ipv4Address.parse("192.0.2.7");
    private static final byte[] NONE = new byte[0];

    private final List<HeldSyn> heldSyns = new ArrayList<>();
    private SingleStack s;

    private void start(final boolean gateway, final int maxHeld)
    {
        s = new SingleStack(c -> c.gatewayMode(gateway));
        s.stack.tcp().synInterceptor((syn, now) -> heldSyns.add(syn), maxHeld);
        s.step();
        s.sent();
        s.learnPeer();
    }

    private void tcpTo(final int dst, final int dstPort, final int flags, final int seq, final int ack,
        final byte[] data)
    {
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, dst, IpProtocol.TCP, 1, 0,
            Frames.tcp(PEER_IP, dst, 40000, dstPort, seq, ack, flags, 65535, TcpScript.mss(1460), data)));
    }

    private Frames only(final List<Frames> out)
    {
        assertEquals(1, out.size(), () -> "frames: " + out);
        return out.get(0);
    }

    @Test
    void aHostDropsTcpForAnotherDestination()
    {
        start(false, 16);
        tcpTo(WORLD, 80, TcpFlags.SYN, 1000, 0, NONE);
        assertTrue(s.sent().isEmpty());
        assertTrue(heldSyns.isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.IP_DROP_NOT_FOR_US)); // RFC 1122 §3.2.1.3
    }

    @Test
    void aSynForAnotherDestinationIsHeldWithoutASynAckUntilAccepted()
    {
        start(true, 16);
        tcpTo(WORLD, 80, TcpFlags.SYN, 1000, 0, NONE);
        assertEquals(1, heldSyns.size());
        final HeldSyn syn = heldSyns.get(0);
        assertEquals(WORLD, syn.localAddress());
        assertEquals(80, syn.localPort());
        assertEquals(PEER_IP, syn.remoteAddress());
        assertEquals(40000, syn.remotePort());
        assertTrue(s.sent().isEmpty(), "no SYN-ACK while the SYN is held");
        s.advance(3 * TcpScript.SECOND);
        assertTrue(s.sent().isEmpty(), "nor later: the held SYN has no timer of its own");

        tcpTo(WORLD, 80, TcpFlags.SYN, 1000, 0, NONE); // the peer's retransmission
        assertTrue(s.sent().isEmpty());
        assertEquals(1, heldSyns.size(), "a retransmitted SYN is not held twice");
        assertEquals(1, s.stack.counters().get(Counter.TCP_HELD_SYN_RETRANSMITS));

        final TcpScript.Recorder events = new TcpScript.Recorder();
        final TcpConnection c = s.stack.tcp().acceptHeld(syn, events, s.clock.nanoTime());
        assertNotNull(c);
        assertEquals(WORLD, c.localAddress());
        final Frames synAck = only(s.sent());
        assertEquals(WORLD, synAck.ipSource(), "the SYN-ACK comes from the address the peer connected to");
        final TcpHeader h = synAck.tcp();
        assertEquals(TcpHeader.Verdict.OK, h.validate(WORLD, PEER_IP), "checksummed over that address");
        assertEquals(TcpFlags.SYN | TcpFlags.ACK, h.flags());
        assertEquals(1001, h.acknowledgmentNumber());
        assertFalse(syn.isHeld());
        assertEquals(0, s.stack.tcp().heldSynCount());

        tcpTo(WORLD, 80, TcpFlags.ACK, 1001, h.sequenceNumber() + 1, NONE);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertTrue(events.events.contains("connected"), "the interceptor's handler hears the handshake complete");
        tcpTo(WORLD, 80, TcpFlags.ACK | TcpFlags.PSH, 1001, h.sequenceNumber() + 1,
            "hello".getBytes(StandardCharsets.US_ASCII));
        final byte[] read = new byte[5];
        assertEquals(5, c.read(read, 0, 5));
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), read);
        c.write("world".getBytes(StandardCharsets.US_ASCII), 0, 5);
        s.stack.tcp().flush(s.clock.nanoTime());
        boolean sawData = false;
        for (final Frames f : s.sent())
        {
            assertEquals(WORLD, f.ipSource());
            assertEquals(TcpHeader.Verdict.OK, f.tcp().validate(WORLD, PEER_IP));
            sawData |= f.l4().length - f.tcp().headerLength() == 5;
        }
        assertTrue(sawData);
    }

    @Test
    void aConnectionOfAForeignAddressClosesWithoutATimeWaitRecord()
    {
        start(true, 16);
        tcpTo(WORLD, 80, TcpFlags.SYN, 1000, 0, NONE);
        final TcpConnection c = s.stack.tcp().acceptHeld(heldSyns.get(0), new TcpScript.Recorder(),
            s.clock.nanoTime());
        final int iss = only(s.sent()).tcp().sequenceNumber();
        tcpTo(WORLD, 80, TcpFlags.ACK, 1001, iss + 1, NONE);
        c.close(); // we close first: RFC 9293 §3.6 would have us keep TIME-WAIT
        s.stack.tcp().flush(s.clock.nanoTime());
        assertEquals(TcpFlags.FIN | TcpFlags.ACK, only(s.sent()).tcp().flags());
        tcpTo(WORLD, 80, TcpFlags.FIN | TcpFlags.ACK, 1001, iss + 2, NONE);
        final Frames ack = only(s.sent());
        assertEquals(WORLD, ack.ipSource());
        assertEquals(1002, ack.tcp().acknowledgmentNumber(), "the peer's FIN is acknowledged");
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(0, s.stack.tcp().timeWaitCount());
        assertEquals(1, s.stack.counters().get(Counter.TCP_GATEWAY_NO_TIME_WAIT));
        assertEquals(0, s.stack.tcp().connectionCount());
    }

    @Test
    void aSegmentFromAnotherPeerToAForeignConnectionsPortsIsNotMixedIn()
    {
        start(true, 16);
        tcpTo(WORLD, 80, TcpFlags.SYN, 1000, 0, NONE);
        s.stack.tcp().acceptHeld(heldSyns.get(0), new TcpScript.Recorder(), s.clock.nanoTime());
        s.sent();
        final int other = Ipv4Address.parse("10.0.0.9");
        s.inject(Frames.arp(1, io.tapstack.wire.MacAddress.BROADCAST, PEER_MAC, other, 0, STACK_IP)); // its MAC
        s.sent();
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, other, WORLD, IpProtocol.TCP, 1, 0,
            Frames.tcp(other, WORLD, 40000, 80, 5000, 77, TcpFlags.ACK, 65535, NONE, NONE)));
        final Frames rst = only(s.sent());
        assertEquals(TcpFlags.RST, rst.tcp().flags(), "answered as for no connection");
        assertEquals(other, rst.ipDestination());
        assertEquals(1, s.stack.tcp().connectionCount());
    }

    @Test
    void aRefusedHeldSynGetsAResetFromItsDestination()
    {
        start(true, 16);
        tcpTo(WORLD, 81, TcpFlags.SYN, 0xFFFF_FFFF, 0, NONE);
        s.stack.tcp().refuseHeld(heldSyns.get(0), s.clock.nanoTime());
        final Frames rst = only(s.sent());
        assertEquals(WORLD, rst.ipSource());
        final TcpHeader h = rst.tcp();
        assertEquals(TcpHeader.Verdict.OK, h.validate(WORLD, PEER_IP));
        // RFC 9293 §3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
        assertEquals(TcpFlags.RST | TcpFlags.ACK, h.flags());
        assertEquals(0, h.sequenceNumber());
        assertEquals(0, h.acknowledgmentNumber());
        assertEquals(1, s.stack.counters().get(Counter.TCP_HELD_SYNS_REFUSED));
    }

    @Test
    void synsBeyondTheBoundAreRefusedAtOnce()
    {
        start(true, 2);
        for (int port = 1; port <= 3; port++)
        {
            tcpTo(WORLD, port, TcpFlags.SYN, 1000, 0, NONE);
        }
        assertEquals(2, heldSyns.size());
        final Frames rst = only(s.sent());
        assertEquals(3, rst.tcp().sourcePort());
        assertEquals(TcpFlags.RST | TcpFlags.ACK, rst.tcp().flags());
        assertEquals(1, s.stack.counters().get(Counter.TCP_HELD_SYN_LIMIT));
    }

    @Test
    void aDroppedHeldSynCanBeReportedUnreachableAsARouterWould()
    {
        start(true, 16);
        tcpTo(WORLD, 82, TcpFlags.SYN, 1000, 0, NONE);
        final HeldSyn syn = heldSyns.get(0);
        s.stack.tcp().dropHeld(syn);
        // RFC 792, RFC 1812 §4.3.2: destination unreachable, code 1 (host), from the router, quoting the SYN's head
        s.stack.icmp().sendErrorAbout(IcmpMessage.TYPE_DESTINATION_UNREACHABLE, 1, syn.remoteAddress(),
            syn.localAddress(), IpProtocol.TCP, syn.header(), 0, s.clock.nanoTime());
        final Frames icmp = only(s.sent());
        assertEquals(STACK_IP, icmp.ipSource());
        assertEquals(IcmpMessage.TYPE_DESTINATION_UNREACHABLE, icmp.icmpType());
        assertEquals(1, icmp.icmpCode());
        final UnsafeBuffer quoted = new UnsafeBuffer(icmp.l4());
        assertEquals(PEER_IP, quoted.getInt(8 + 12, ByteOrder.BIG_ENDIAN), "quoted source");
        assertEquals(WORLD, quoted.getInt(8 + 16, ByteOrder.BIG_ENDIAN), "quoted destination");
        assertEquals(40000, quoted.getShort(8 + 20, ByteOrder.BIG_ENDIAN) & 0xFFFF, "quoted source port");
        assertEquals(82, quoted.getShort(8 + 22, ByteOrder.BIG_ENDIAN) & 0xFFFF, "quoted destination port");
    }

    @Test
    void aSegmentForAnotherDestinationWithoutConnectionIsResetFromThere()
    {
        start(true, 16);
        tcpTo(WORLD, 80, TcpFlags.ACK, 1000, 0x5555, NONE);
        final Frames rst = only(s.sent());
        assertEquals(WORLD, rst.ipSource());
        assertEquals(TcpFlags.RST, rst.tcp().flags());
        assertEquals(0x5555, rst.tcp().sequenceNumber());
        assertTrue(heldSyns.isEmpty(), "only a bare SYN is held");
    }

    @Test
    void aSynToOurOwnClosedPortIsHeldButAListenerWins()
    {
        start(true, 16);
        s.stack.tcp().listen(80, l -> { });
        tcpTo(STACK_IP, 80, TcpFlags.SYN, 1000, 0, NONE);
        assertTrue(heldSyns.isEmpty());
        assertEquals(TcpFlags.SYN | TcpFlags.ACK, only(s.sent()).tcp().flags());
        tcpTo(STACK_IP, 8080, TcpFlags.SYN, 1000, 0, NONE);
        assertEquals(1, heldSyns.size());
        assertEquals(STACK_IP, heldSyns.get(0).localAddress());
        assertTrue(s.sent().isEmpty());
    }

    @Test
    void udpForAnotherDestinationGoesToTheInterceptorAndIsAnsweredFromThere()
    {
        start(true, 16);
        final List<String> seen = new ArrayList<>();
        s.stack.udp().interceptor((src, srcPort, dst, dstPort, data, offset, length, now) ->
        {
            final byte[] bytes = new byte[length];
            data.getBytes(offset, bytes);
            seen.add(Ipv4Address.toString(src) + ":" + srcPort + ">" + Ipv4Address.toString(dst) + ":" + dstPort + " "
                + new String(bytes, StandardCharsets.US_ASCII));
            return true;
        });
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, WORLD, IpProtocol.UDP, 1, 0,
            udp(PEER_IP, WORLD, 5353, 53, "query")));
        assertEquals(List.of("10.0.0.1:5353>192.0.2.7:53 query"), seen);
        assertTrue(s.sent().isEmpty());

        final byte[] answer = "answer".getBytes(StandardCharsets.US_ASCII);
        assertTrue(s.stack.udp().sendFrom(WORLD, 53, PEER_IP, 5353, new UnsafeBuffer(answer), 0, answer.length,
            s.clock.nanoTime()));
        final Frames reply = only(s.sent());
        assertEquals(WORLD, reply.ipSource());
        final UdpHeader h = new UdpHeader().wrap(new UnsafeBuffer(reply.l4()), 0, reply.l4().length);
        assertEquals(UdpHeader.Verdict.OK, h.validate(WORLD, PEER_IP));
        assertEquals(53, h.sourcePort());
        assertEquals(5353, h.destinationPort());
        assertEquals(1, s.stack.counters().get(Counter.UDP_RX_INTERCEPTED));
    }

    @Test
    void udpForAnotherDestinationNobodyTakesIsDroppedWithoutAnError()
    {
        start(true, 16);
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, WORLD, IpProtocol.UDP, 1, 0,
            udp(PEER_IP, WORLD, 5353, 53, "query")));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.UDP_GATEWAY_UNCLAIMED));
    }

    private static byte[] udp(final int src, final int dst, final int srcPort, final int dstPort, final String text)
    {
        final byte[] data = text.getBytes(StandardCharsets.US_ASCII);
        final byte[] datagram = new byte[8 + data.length];
        final UnsafeBuffer b = new UnsafeBuffer(datagram);
        b.putBytes(8, data);
        new UdpHeader().wrap(b, 0, datagram.length).sourcePort(srcPort).destinationPort(dstPort)
            .length(datagram.length).updateChecksum(src, dst);
        return datagram;
    }
}
