package io.tapstack.jmh;

import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.Ipv4Header;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * Parsing an Ethernet + IPv4 + ICMP echo request with the flyweight views, as the receive path does: wrap,
 * validate (Ethernet length; IPv4 version, lengths and header checksum; ICMP length and checksum over the whole
 * message), then read every field. The views are reused fields: nothing is allocated per frame.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class ParseBenchmark
{
    /** ICMP data bytes after the 8-byte ICMP header (56 is ping's default). */
    @Param({"56", "1400"})
    public int dataLength;

    private final EthernetFrame ethernet = new EthernetFrame();
    private final Ipv4Header ip = new Ipv4Header();
    private final IcmpMessage icmp = new IcmpMessage();
    private UnsafeBuffer buffer;
    private int frameLength;

    @Setup
    public void setUp()
    {
        final byte[] data = new byte[dataLength];
        for (int i = 0; i < data.length; i++)
        {
            data[i] = (byte)i;
        }
        final byte[] frame = Frames.ipv4(SingleStack.STACK_MAC, SingleStack.PEER_MAC, SingleStack.PEER_IP,
            SingleStack.STACK_IP, IpProtocol.ICMP, 1234, 0,
            Frames.icmp(IcmpMessage.TYPE_ECHO_REQUEST, 0, 77, 1, data));
        buffer = new UnsafeBuffer(frame);
        frameLength = frame.length;
        if (parse(buffer, frameLength) < 0)
        {
            throw new IllegalStateException("the benchmark frame does not validate");
        }
    }

    @Benchmark
    public void wrapValidateRead(final Blackhole bh)
    {
        bh.consume(parse(buffer, frameLength));
    }

    /** A combination of every field, or a negative reason when a layer does not validate. */
    private long parse(final UnsafeBuffer frame, final int length)
    {
        ethernet.wrap(frame, 0, length);
        if (ethernet.validate() != EthernetFrame.Verdict.OK)
        {
            return -1;
        }
        long acc = ethernet.destination() ^ (ethernet.source() << 3);
        if (ethernet.etherType() != EtherType.IPV4)
        {
            return -2;
        }
        ip.wrap(frame, ethernet.payloadOffset(), ethernet.payloadLength());
        if (ip.validate() != Ipv4Header.Verdict.OK)
        {
            return -3;
        }
        acc = acc * 31 + ip.version();
        acc = acc * 31 + ip.headerLength();
        acc = acc * 31 + ip.tos();
        acc = acc * 31 + ip.totalLength();
        acc = acc * 31 + ip.identification();
        acc = acc * 31 + ip.flagsAndFragmentOffset();
        acc = acc * 31 + ip.ttl();
        acc = acc * 31 + ip.checksum();
        acc = acc * 31 + ip.source();
        acc = acc * 31 + ip.destination();
        if (ip.protocol() != IpProtocol.ICMP || ip.isFragment())
        {
            return -4;
        }
        icmp.wrap(frame, ip.payloadOffset(), ip.payloadLength());
        if (icmp.validate() != IcmpMessage.Verdict.OK)
        {
            return -5;
        }
        acc = acc * 31 + icmp.type();
        acc = acc * 31 + icmp.code();
        acc = acc * 31 + icmp.checksum();
        acc = acc * 31 + icmp.identifier();
        acc = acc * 31 + icmp.sequence();
        acc = acc * 31 + icmp.dataLength();
        return acc & Long.MAX_VALUE;
    }
}
