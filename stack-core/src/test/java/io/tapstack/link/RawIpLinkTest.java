package io.tapstack.link;

import io.tapstack.StackConfig;
import io.tapstack.StackConfig.LinkType;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameDevice;
import io.tapstack.testkit.FrameCapture;
import io.tapstack.testkit.Tcpdump;
import io.tapstack.trace.CaptureDevice;
import io.tapstack.trace.PcapWriter;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two stacks in {@link LinkType#RAW_IP} mode over the in-memory link, as on a TUN with IFF_NO_PI: every frame is
 * a bare IPv4 packet, nothing is resolved (no ARP on a point-to-point link), and what is not IPv4 is counted and
 * dropped.
 */
class RawIpLinkTest
{
    static final int A = Ipv4Address.parse("10.0.0.1");
    static final int B = Ipv4Address.parse("10.0.0.2");

    /** Two stacks on a raw IP link with 1 ms of latency each way. */
    static TwoStacks rawIpPair()
    {
        return new TwoStacks(1 * MS, c -> c.linkType(LinkType.RAW_IP), c -> c.linkType(LinkType.RAW_IP),
            d -> d, d -> d);
    }

    @Test
    void pingCrossesInOneRoundTripWithNoArpAndNoLinkHeader()
    {
        final TwoStacks net = rawIpPair();
        final List<Long> rtts = new ArrayList<>();
        net.a.echoListener((src, id, seq, len, rtt) -> rtts.add(rtt));
        net.runFor(10 * MS);
        assertEquals(0, net.capture.all().size(), "no gratuitous ARP on a raw IP link");

        assertTrue(net.a.ping(B, 7, 1, 56, net.nowNs()));
        assertTrue(net.runUntil(() -> rtts.size() == 1, SECOND));

        // nothing to resolve: the first echo is one round trip of two 1 ms hops
        assertEquals(2 * MS, rtts.get(0));
        final List<FrameCapture.Captured> frames = net.capture.all();
        assertEquals(2, frames.size());
        for (final FrameCapture.Captured frame : frames)
        {
            // the frame is the IPv4 packet: version 4, IHL 5, total length = the frame's length
            assertEquals(0x45, frame.bytes()[0] & 0xFF);
            assertEquals(20 + 8 + 56, frame.bytes().length);
            assertEquals(frame.bytes().length, ((frame.bytes()[2] & 0xFF) << 8) | (frame.bytes()[3] & 0xFF));
        }
        assertEquals(0, net.a.counters().get(Counter.ARP_TX_REQUESTS));
        assertEquals(0, net.a.counters().get(Counter.ETH_TX_FRAMES));
        assertEquals(1, net.a.counters().get(Counter.RAW_TX_PACKETS));
        assertEquals(1, net.b.counters().get(Counter.RAW_RX_PACKETS));
        assertEquals(1, net.b.counters().get(Counter.ICMP_ECHO_REPLIES_TX));
    }

    @Test
    void largePingIsFragmentedToTheMtuWithoutALinkHeader()
    {
        final TwoStacks net = rawIpPair();
        final List<Integer> lengths = new ArrayList<>();
        net.a.echoListener((src, id, seq, len, rtt) -> lengths.add(len));

        assertTrue(net.a.ping(B, 7, 1, 4000, net.nowNs()));
        assertTrue(net.runUntil(() -> lengths.size() == 1, SECOND));

        assertEquals(4000, lengths.get(0));
        // RFC 791 §3.2: the 4028-byte datagram leaves in 1500-byte pieces, the MTU being the whole frame here
        assertEquals(3, net.a.counters().get(Counter.IP_FRAGMENTS_TX));
        assertTrue(net.capture.all().stream().allMatch(f -> f.bytes().length <= 1500));
        assertEquals(1, net.b.counters().get(Counter.IP_REASSEMBLED));
    }

    @Test
    void packetsThatAreNotIpv4AreCountedAndDropped()
    {
        final TwoStacks net = rawIpPair();
        final FrameDevice fromB = net.link.endB();
        // an IPv6 header's first byte, an Ethernet frame (broadcast destination) and an empty frame
        send(fromB, new byte[] {0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        send(fromB, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 2, 0,
            0, 0, 0, 1, 0x08, 0x06});
        send(fromB, new byte[0]);
        net.runFor(10 * MS);

        assertEquals(3, net.a.counters().get(Counter.RAW_RX_PACKETS));
        assertEquals(3, net.a.counters().get(Counter.RAW_DROP_NOT_IPV4));
        assertEquals(0, net.a.counters().get(Counter.IP_RX));
        assertEquals(0, net.a.counters().get(Counter.STACK_INTERNAL_ERRORS));

        // and the stack still answers afterwards
        final List<Long> rtts = new ArrayList<>();
        net.b.echoListener((src, id, seq, len, rtt) -> rtts.add(rtt));
        assertTrue(net.b.ping(A, 1, 1, 8, net.nowNs()));
        assertTrue(net.runUntil(() -> rtts.size() == 1, SECOND));
    }

    @Test
    void anIpv4PacketThatFailsValidationIsCountedByIpv4()
    {
        final TwoStacks net = rawIpPair();
        // version 4 but shorter than a header: the link passes it up, IPv4 drops it
        send(net.link.endB(), new byte[] {0x45, 0, 0, 20});
        net.runFor(10 * MS);
        assertEquals(0, net.a.counters().get(Counter.RAW_DROP_NOT_IPV4));
        assertEquals(1, net.a.counters().get(Counter.IP_DROP_TOO_SHORT));
    }

    @Test
    void aCaptureOfARawIpStackIsLinktypeRawThatTcpdumpReads(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("tun.pcap");
        final PcapWriter pcap = new PcapWriter(Files.newOutputStream(file), 65535, PcapWriter.LINKTYPE_RAW);
        final TwoStacks net = new TwoStacks(1 * MS, c -> c.linkType(LinkType.RAW_IP), c -> c.linkType(LinkType.RAW_IP),
            d -> new CaptureDevice(d, pcap), d -> d);
        final List<Long> rtts = new ArrayList<>();
        net.a.echoListener((src, id, seq, len, rtt) -> rtts.add(rtt));
        assertTrue(net.a.ping(B, 7, 1, 56, net.nowNs()));
        assertTrue(net.runUntil(() -> rtts.size() == 1, SECOND));
        pcap.close();

        final ByteBuffer header = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(101, header.getInt(20), "the file header's link type");
        final List<String> lines = Tcpdump.read(file, "-n");
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("10.0.0.1 > 10.0.0.2: ICMP echo request"), lines.get(0));
        assertTrue(lines.get(1).contains("10.0.0.2 > 10.0.0.1: ICMP echo reply"), lines.get(1));
    }

    @Test
    void linkTypeMustBeSet()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new StackConfig().ipAddress("10.0.0.1/24").linkType(null).validate());
    }

    private static void send(final FrameDevice device, final byte[] frame)
    {
        final int offset = device.claim(frame.length);
        assertTrue(offset >= 0);
        device.transmitBuffer().putBytes(offset, frame);
        device.commit(offset);
    }
}
