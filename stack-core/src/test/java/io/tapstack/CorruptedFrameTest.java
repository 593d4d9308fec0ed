package io.tapstack;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code ImpairedDevice}'s corruption relies on: a frame with one flipped bit, wherever the bit is, is caught
 * and counted by the layer whose check covers that bit, and never delivered as data. This link has no Ethernet
 * frame check sequence, so the Ethernet header is checked only by what Ethernet does with it (the destination must
 * be ours, the EtherType known); a flipped source MAC goes unseen and harms nothing, and neither does ARP, which
 * has no checksum, notice a flip in its body. Every one of a UDP frame's bits is flipped in turn.
 */
class CorruptedFrameTest
{
    private static final int PORT = 5000;

    private static byte[] udpFrame(final byte[] data)
    {
        final byte[] datagram = new byte[UdpHeader.HEADER_LENGTH + data.length];
        final UnsafeBuffer b = new UnsafeBuffer(datagram);
        b.putBytes(UdpHeader.HEADER_LENGTH, data);
        new UdpHeader().wrap(b, 0, datagram.length).sourcePort(40000).destinationPort(PORT)
            .length(datagram.length).updateChecksum(PEER_IP, STACK_IP);
        return Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.UDP, 1, 0, datagram);
    }

    /** The counters that moved, by name, and by how much. */
    private static Map<String, Long> moved(final long[] before, final StackCounters counters)
    {
        final Map<String, Long> moved = new TreeMap<>();
        for (final Counter c : Counter.values())
        {
            final long delta = counters.get(c) - before[c.ordinal()];
            if (delta != 0)
            {
                moved.put(c.name(), delta);
            }
        }
        return moved;
    }

    private static long[] snapshot(final StackCounters counters)
    {
        final long[] values = new long[Counter.values().length];
        for (final Counter c : Counter.values())
        {
            values[c.ordinal()] = counters.get(c);
        }
        return values;
    }

    @Test
    void everyFlippedBitOfAUdpFrameIsCaughtByTheLayerThatCoversItOrHarmsNothing()
    {
        final SingleStack net = new SingleStack();
        final UdpEndpoint endpoint = net.stack.udp().bind(PORT, null);
        final byte[] data = new byte[40];
        for (int i = 0; i < data.length; i++)
        {
            data[i] = (byte)(i * 37 + 11);
        }
        final byte[] original = udpFrame(data);
        final UnsafeBuffer received = new UnsafeBuffer(new byte[2048]);

        // the clean frame arrives
        net.inject(original);
        assertEquals(data.length, endpoint.receive(received, 0, 2048));

        // by the region of the frame a bit is in: which drop counters moved for it
        final Map<String, TreeSet<String>> caughtBy = new TreeMap<>();
        final List<Integer> deliveredBits = new ArrayList<>();
        for (int bit = 0; bit < original.length * 8; bit++)
        {
            final byte[] frame = original.clone();
            frame[bit >>> 3] ^= (byte)(1 << (bit & 7));
            final long[] before = snapshot(net.stack.counters());
            net.inject(frame);
            final Map<String, Long> moved = moved(before, net.stack.counters());
            final int length = endpoint.receive(received, 0, 2048);
            if (length >= 0)
            {
                // delivered: only when the flip touched nothing the data depends on, and then the data is intact
                final byte[] got = new byte[length];
                received.getBytes(0, got);
                assertArrayEquals(data, got, "bit " + bit + " delivered changed data");
                assertEquals(PEER_IP, endpoint.lastRemoteAddress(), "bit " + bit);
                assertEquals(40000, endpoint.lastRemotePort(), "bit " + bit);
                deliveredBits.add(bit);
                continue;
            }
            final List<String> drops = moved.keySet().stream().filter(name -> name.contains("_DROP_")).toList();
            assertEquals(1, drops.size(), "bit " + bit + ": exactly one drop reason, not " + moved);
            caughtBy.computeIfAbsent(region(bit), r -> new TreeSet<>()).add(drops.get(0));
        }

        // the source MAC (bits 48..95) is all that may change unseen
        for (final int bit : deliveredBits)
        {
            assertTrue(bit >= 48 && bit < 96 || isUdpChecksumToZero(original, bit),
                "bit " + bit + " delivered, outside the source MAC");
        }
        assertTrue(deliveredBits.size() >= 48, "every source MAC bit goes unseen: " + deliveredBits.size());
        assertEquals(Map.of(
            "1 ethernet destination", new TreeSet<>(List.of("ETH_DROP_NOT_FOR_US")),
            "2 ethertype", new TreeSet<>(List.of("ETH_DROP_UNKNOWN_ETHERTYPE")),
            "3 ipv4 header", new TreeSet<>(List.of("IP_DROP_BAD_CHECKSUM", "IP_DROP_BAD_HEADER_LENGTH",
                "IP_DROP_BAD_TOTAL_LENGTH", "IP_DROP_BAD_VERSION", "IP_DROP_TRUNCATED")),
            "4 udp header and data", new TreeSet<>(List.of("UDP_DROP_BAD_CHECKSUM", "UDP_DROP_BAD_LENGTH"))),
            caughtBy);
    }

    private static String region(final int bit)
    {
        final int octet = bit >>> 3;
        if (octet < 6)
        {
            return "1 ethernet destination";
        }
        if (octet < 12)
        {
            return "0 ethernet source";
        }
        if (octet < 14)
        {
            return "2 ethertype";
        }
        return octet < 34 ? "3 ipv4 header" : "4 udp header and data";
    }

    /** A flip that turns the UDP checksum into 0, "no checksum" (RFC 768): only the checksum itself changed. */
    private static boolean isUdpChecksumToZero(final byte[] frame, final int bit)
    {
        final int octet = bit >>> 3;
        final int checksum = ((frame[40] & 0xFF) << 8) | (frame[41] & 0xFF);
        return (octet == 40 || octet == 41) && Integer.bitCount(checksum) == 1;
    }

    @Test
    void arpHasNoChecksumSoAFlipInItsBodyGoesUnseen()
    {
        // why --corrupt can mislead ARP: a reply whose sender MAC lost a bit is learned as it stands
        final SingleStack net = new SingleStack();
        final long wrongMac = PEER_MAC ^ 0x0000_0000_0100L;
        final byte[] reply = Frames.arp(ArpPacket.OPER_REPLY, STACK_MAC, PEER_MAC, PEER_IP, STACK_MAC, STACK_IP);
        reply[14 + 8 + 4] ^= 0x01; // sender hardware address, its fifth octet
        final long[] before = snapshot(net.stack.counters());
        net.inject(reply);
        final Map<String, Long> moved = moved(before, net.stack.counters());
        assertTrue(moved.keySet().stream().noneMatch(name -> name.contains("_DROP_")), moved.toString());
        assertEquals(wrongMac, net.stack.arp().cache().lookup(PEER_IP));
    }
}
