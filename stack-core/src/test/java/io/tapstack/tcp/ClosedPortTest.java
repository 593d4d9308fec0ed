package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.MacAddress;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9293 §3.10.7.1: segments to a port with no connection or listener. */
class ClosedPortTest
{
    private static final byte[] NONE = new byte[0];
    private SingleStack s;

    @BeforeEach
    void learnPeer()
    {
        s = new SingleStack();
        s.step();
        s.sent();
        s.learnPeer();
    }

    private void send(final int flags, final int seq, final int ack, final byte[] options, final byte[] data)
    {
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.TCP, 1, 0,
            Frames.tcp(PEER_IP, STACK_IP, 40000, 80, seq, ack, flags, 65535, options, data)));
    }

    private TcpHeader onlyReply()
    {
        final List<byte[]> out = s.sentRaw();
        assertEquals(1, out.size());
        final Frames f = Frames.parse(out.get(0));
        assertEquals(IpProtocol.TCP, f.ipProtocol());
        assertEquals(PEER_IP, f.ipDestination());
        final TcpHeader tcp = f.tcp();
        assertEquals(TcpHeader.Verdict.OK, tcp.validate(STACK_IP, PEER_IP), "the reset's checksum verifies");
        assertEquals(80, tcp.sourcePort());
        assertEquals(40000, tcp.destinationPort());
        return tcp;
    }

    @Test
    void synToAClosedPortGetsRstAckingTheSyn()
    {
        send(TcpFlags.SYN, 0xFFFF_FFFF, 0, NONE, NONE);
        final TcpHeader rst = onlyReply();
        assertEquals(TcpFlags.RST | TcpFlags.ACK, rst.flags());
        assertEquals(0, rst.sequenceNumber());
        assertEquals(0, rst.acknowledgmentNumber(), "SYN at 2^32-1 occupies one number: ack wraps to 0");
        assertEquals(1, s.stack.counters().get(Counter.TCP_RST_TX));
    }

    @Test
    void segmentWithAckGetsRstWithItsAckAsSequence()
    {
        send(TcpFlags.ACK | TcpFlags.PSH, 1000, 0x1234_5678, NONE, new byte[10]);
        final TcpHeader rst = onlyReply();
        assertEquals(TcpFlags.RST, rst.flags());
        assertEquals(0x1234_5678, rst.sequenceNumber());
    }

    @Test
    void dataWithFinWithoutAckIsAcknowledgedInFull()
    {
        send(TcpFlags.FIN, 5000, 0, NONE, new byte[100]);
        final TcpHeader rst = onlyReply();
        assertEquals(TcpFlags.RST | TcpFlags.ACK, rst.flags());
        assertEquals(5000 + 100 + 1, rst.acknowledgmentNumber());
    }

    @Test
    void aResetIsNeverAnsweredWithAReset()
    {
        send(TcpFlags.RST, 1, 0, NONE, NONE);
        send(TcpFlags.RST | TcpFlags.ACK, 1, 2, NONE, NONE);
        assertTrue(s.sent().isEmpty());
    }

    @Test
    void badChecksumIsCountedAndDropped()
    {
        final byte[] segment = Frames.tcp(PEER_IP, STACK_IP, 40000, 80, 1, 0, TcpFlags.SYN, 1000, NONE, NONE);
        segment[4] ^= 1;
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.TCP, 1, 0, segment));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.TCP_DROP_BAD_CHECKSUM));
    }

    @Test
    void dataOffsetBeyondTheSegmentIsCountedAndDropped()
    {
        final byte[] segment = Frames.tcp(PEER_IP, STACK_IP, 40000, 80, 1, 0, TcpFlags.SYN, 1000, NONE, NONE);
        segment[12] = (byte)0xF0; // 60-byte header in a 20-byte segment
        final TcpHeader view = new TcpHeader().wrap(new org.agrona.concurrent.UnsafeBuffer(segment), 0, 20);
        view.updateChecksum(PEER_IP, STACK_IP);
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.TCP, 1, 0, segment));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.TCP_DROP_BAD_DATA_OFFSET));
    }

    @Test
    void optionThatOverrunsTheHeaderIsCountedAndDropped()
    {
        // MSS option claiming 8 bytes in a 4-byte options area
        send(TcpFlags.SYN, 1, 0, new byte[] {2, 8, 0x05, (byte)0xB4}, NONE);
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.TCP_DROP_BAD_OPTIONS));
    }

    @Test
    void segmentToABroadcastAddressIsNotAnswered()
    {
        s.inject(Frames.ipv4(MacAddress.BROADCAST, PEER_MAC, PEER_IP, Ipv4Address.parse("10.0.0.255"),
            IpProtocol.TCP, 1, 0,
            Frames.tcp(PEER_IP, Ipv4Address.parse("10.0.0.255"), 40000, 80, 1, 0, TcpFlags.SYN, 1000, NONE, NONE)));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.TCP_DROP_BROADCAST));
    }
}
