package io.tapstack.testkit;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.trace.PcapWriter;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;

/**
 * A capture with a bit of everything a lab shows, made by two stacks in simulated time (the same frames every run):
 * ARP requests and replies, pings (one of 4,000 bytes, so fragments), UDP to ports 7, 53 and a closed one (ICMP port
 * unreachable), a TCP connection to port 80 with data both ways, a lost segment (SACK blocks, a retransmission) and
 * the close, a SYN to a closed port (RST), and a few hand-made frames (every TCP flag, an unknown TCP option, an
 * ICMP redirect, an unknown IP protocol, an IPv6 EtherType). Frames are in the order they crossed the link, each
 * with the time it did.
 */
public final class SampleTraffic
{
    /** One frame as captured: its bytes, the time it crossed the link and whether A sent it. */
    public record Frame(byte[] bytes, long timeNs, boolean fromA)
    {
    }

    private SampleTraffic()
    {
    }

    /** The frames, in order. A loses its sixth frame of 1000 bytes or more: the third TCP segment, after the three
     * fragments of the big ping. */
    public static List<Frame> frames()
    {
        final TwoStacks net = new TwoStacks(MS, c -> c, c -> c, d -> new DropNth(d, 6, 1000), d -> d);
        final int b = Ipv4Address.parse("10.0.0.2");

        // ARP, then an echo request and reply; then one that fragments both ways (RFC 791 §2.3)
        net.a.ping(b, 0x1234, 1, 56, net.nowNs());
        net.runFor(50 * MS);
        net.a.ping(b, 0x1234, 2, 4000, net.nowNs());
        net.runFor(50 * MS);

        // UDP to a bound port 7, to 53 (tcpdump decodes DNS there), and to a closed port (ICMP port unreachable)
        net.b.udp().bind(7, endpoint -> { });
        net.b.udp().bind(53, endpoint -> { });
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[600]);
        payload.setMemory(0, 600, (byte)'u');
        final var client = net.a.udp().bind(40000, endpoint -> { });
        client.send(b, 7, payload, 0, 5, net.nowNs());
        client.send(b, 53, payload, 0, 30, net.nowNs());
        client.send(b, 9999, payload, 0, 600, net.nowNs());
        net.runFor(50 * MS);

        // TCP to port 80: the request, a lost segment of A's (the peer's SACK blocks), the reply, the close
        tcpExchange(net, b);

        // a SYN to a port nobody listens on: B answers with RST (RFC 9293 §3.10.7.1)
        net.a.tcp().connect(b, 81, null, net.nowNs());
        net.runFor(50 * MS);

        final List<Frame> frames = new ArrayList<>();
        for (final FrameCapture.Captured c : net.capture.all())
        {
            frames.add(new Frame(c.bytes(), c.timeNs(), c.fromA()));
        }
        final long t = net.nowNs();
        for (final byte[] odd : handMade())
        {
            frames.add(new Frame(odd, t, true));
        }
        return frames;
    }

    private static void tcpExchange(final TwoStacks net, final int b)
    {
        final byte[] reply = new byte[300];
        final boolean[] closed = new boolean[2];
        net.b.tcp().listen(80, l -> l.accept().handler(new TcpHandler()
        {
            private int received;

            @Override
            public void onReadable(final TcpConnection c)
            {
                final byte[] buf = new byte[8192];
                int r;
                while ((r = c.read(buf, 0, buf.length)) > 0)
                {
                    received += r;
                }
                if (r < 0)
                {
                    c.write(reply, 0, reply.length);
                    c.close();
                }
            }

            @Override
            public void onEndOfStream(final TcpConnection c)
            {
                onReadable(c);
            }

            @Override
            public void onClosed(final TcpConnection c)
            {
                closed[1] = true;
            }
        }));
        final byte[] request = new byte[5 * 1448];
        final byte[] get = "GET / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(get, 0, request, 0, get.length);
        net.a.tcp().connect(b, 80, new TcpHandler()
        {
            @Override
            public void onConnected(final TcpConnection c)
            {
                c.write(request, 0, request.length);
                c.shutdownOutput();
            }

            @Override
            public void onReadable(final TcpConnection c)
            {
                final byte[] buf = new byte[8192];
                while (c.read(buf, 0, buf.length) > 0)
                {
                    // discard
                }
            }

            @Override
            public void onEndOfStream(final TcpConnection c)
            {
                onReadable(c);
                c.close();
            }

            @Override
            public void onClosed(final TcpConnection c)
            {
                closed[0] = true;
            }
        }, net.nowNs());
        if (!net.runUntil(() -> closed[0] && closed[1], 10 * SECOND))
        {
            throw new IllegalStateException("the TCP exchange did not finish");
        }
        net.runFor(50 * MS);
    }

    /** Frames the two stacks do not send by themselves. */
    private static List<byte[]> handMade()
    {
        final long macA = MacAddress.parse("02:00:00:00:00:01");
        final long macB = MacAddress.parse("02:00:00:00:00:02");
        final int a = Ipv4Address.parse("10.0.0.1");
        final int b = Ipv4Address.parse("10.0.0.2");
        final List<byte[]> frames = new ArrayList<>();
        // every TCP flag, with urgent data (RFC 9293 §3.1, RFC 3168 §6.1)
        frames.add(Frames.ipv4(macB, macA, a, b, 6, 1, 0x4000, tcpHeader(40000, 8080, 0xFF, new byte[0], 2)));
        // no flag at all
        frames.add(Frames.ipv4(macB, macA, a, b, 6, 1, 0x4000, tcpHeader(40000, 8080, 0x00, new byte[0], 0)));
        // an option tcpdump calls unknown (kind 99), then a window scale option
        frames.add(Frames.ipv4(macB, macA, a, b, 6, 1, 0x4000, tcpHeader(40000, 8080, 0x10,
            new byte[] {99, 4, 1, 2, 3, 3, 14, 0}, 0)));
        // an unknown IP protocol (253, for experiments: RFC 3692)
        frames.add(Frames.ipv4(macB, macA, a, b, 253, 1, 0x4000, new byte[20]));
        // ICMP time exceeded in transit quoting a UDP datagram (RFC 792)
        final byte[] quoted = new byte[28];
        quoted[0] = 0x45;
        quoted[9] = 17;
        frames.add(Frames.ipv4(macB, macA, a, b, 1, 1, 0x4000, Frames.icmp(11, 0, 0, 0, quoted)));
        return frames;
    }

    /** A TCP header with {@code options} and {@code dataLength} bytes of data (checksum left zero). */
    private static byte[] tcpHeader(final int srcPort, final int dstPort, final int flags, final byte[] options,
        final int dataLength)
    {
        final int headerLength = 20 + options.length;
        final byte[] segment = new byte[headerLength + dataLength];
        final UnsafeBuffer s = new UnsafeBuffer(segment);
        s.putShort(0, (short)srcPort, java.nio.ByteOrder.BIG_ENDIAN);
        s.putShort(2, (short)dstPort, java.nio.ByteOrder.BIG_ENDIAN);
        s.putInt(4, (int)3_000_000_000L, java.nio.ByteOrder.BIG_ENDIAN);
        s.putInt(8, 101, java.nio.ByteOrder.BIG_ENDIAN);
        s.putByte(12, (byte)((headerLength / 4) << 4));
        s.putByte(13, (byte)flags);
        s.putShort(14, (short)502, java.nio.ByteOrder.BIG_ENDIAN);
        s.putShort(18, (short)(dataLength > 0 ? 1 : 0), java.nio.ByteOrder.BIG_ENDIAN);
        s.putBytes(20, options);
        return segment;
    }

    /** Writes {@code frames} to a pcap file, each with its time. */
    public static Path writePcap(final List<Frame> frames, final Path file) throws IOException
    {
        return writePcap(frames, file, PcapWriter.LINKTYPE_ETHERNET);
    }

    /** The IPv4 frames alone with their Ethernet header cut off: what a TUN carries (LINKTYPE_RAW). */
    public static List<Frame> rawIp(final List<Frame> frames)
    {
        final List<Frame> packets = new java.util.ArrayList<>();
        for (final Frame f : frames)
        {
            final byte[] b = f.bytes();
            if (b.length > 14 && b[12] == 0x08 && b[13] == 0x00)
            {
                packets.add(new Frame(java.util.Arrays.copyOfRange(b, 14, b.length), f.timeNs(), f.fromA()));
            }
        }
        return packets;
    }

    /** As above, the file's link type {@code linkType} ({@link PcapWriter#LINKTYPE_RAW} for bare IP packets). */
    public static Path writePcap(final List<Frame> frames, final Path file, final int linkType) throws IOException
    {
        try (OutputStream out = Files.newOutputStream(file); PcapWriter pcap = new PcapWriter(out, 65535, linkType))
        {
            for (final Frame f : frames)
            {
                pcap.onFrame(f.fromA(), new UnsafeBuffer(f.bytes()), 0, f.bytes().length, f.timeNs());
            }
        }
        return file;
    }
}
