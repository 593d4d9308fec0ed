package io.tapstack.dev;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.MacAddress;
import io.tapstack.wire.TcpFlags;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a device says of a received frame's checksum ({@link FrameHandler#CHECKSUM_VALID}: virtio-net DATA_VALID;
 * {@link FrameHandler#CHECKSUM_PARTIAL}: NEEDS_CSUM) lets TCP and UDP skip verifying it, counted; without it a
 * bad checksum is dropped as ever, and a datagram reassembled from fragments is always verified.
 */
class DeviceChecksumTest
{
    private static final int PEER = Ipv4Address.parse("10.0.0.1");
    private static final int US = Ipv4Address.parse("10.0.0.2");
    private static final long PEER_MAC = MacAddress.parse("02:00:00:00:00:01");
    private static final long OUR_MAC = MacAddress.parse("02:00:00:00:00:02");

    /** Frames to deliver, each with the device's word on its checksum; what the stack sends is only counted. */
    static final class ScriptedDevice implements FrameDevice
    {
        final ArrayDeque<byte[]> frames = new ArrayDeque<>();
        final ArrayDeque<Integer> states = new ArrayDeque<>();
        final UnsafeBuffer tx = new UnsafeBuffer(new byte[1514]);
        int sent;

        void add(final byte[] frame, final int state)
        {
            frames.add(frame);
            states.add(state);
        }

        @Override
        public int receive(final long nowNs, final FrameHandler handler, final int limit)
        {
            int n = 0;
            while (!frames.isEmpty() && n < limit)
            {
                final byte[] frame = frames.poll();
                final MutableDirectBuffer buffer = new UnsafeBuffer(frame);
                handler.onFrame(buffer, 0, frame.length, states.poll(), nowNs);
                n++;
            }
            return n;
        }

        @Override
        public int claim(final int length)
        {
            return length <= 1514 ? 0 : -1;
        }

        @Override
        public MutableDirectBuffer transmitBuffer()
        {
            return tx;
        }

        @Override
        public void commit(final int offset)
        {
            sent++;
        }

        @Override
        public void abort(final int offset)
        {
        }

        @Override
        public int maxFrameLength()
        {
            return 1514;
        }
    }

    private final ScriptedDevice device = new ScriptedDevice();
    private final NetStack stack = new NetStack(new StackConfig().ipAddress("10.0.0.2/24").macAddress(OUR_MAC)
        .seed(1), device);
    private long now = 1_000_000_000L;

    private static byte[] synWithBadChecksum()
    {
        final byte[] frame = Frames.ipv4(OUR_MAC, PEER_MAC, PEER, US, IpProtocol.TCP, 1, Ipv4Header.FLAG_DONT_FRAGMENT,
            Frames.tcp(PEER, US, 40000, 9, 100, 0, TcpFlags.SYN, 1000, new byte[0], new byte[0]));
        frame[14 + 20 + 16] ^= 0x5A;
        return frame;
    }

    private static byte[] udp(final int id, final int flagsFragment, final byte[] payload)
    {
        return Frames.ipv4(OUR_MAC, PEER_MAC, PEER, US, IpProtocol.UDP, id, flagsFragment, payload);
    }

    /** A UDP datagram to port 9 with a wrong checksum (not 0, which would mean "none"). */
    private static byte[] udpDatagramWithBadChecksum(final int dataLength)
    {
        final byte[] datagram = new byte[8 + dataLength];
        final UnsafeBuffer b = new UnsafeBuffer(datagram);
        b.putShort(0, (short)40000, java.nio.ByteOrder.BIG_ENDIAN);
        b.putShort(2, (short)9, java.nio.ByteOrder.BIG_ENDIAN);
        b.putShort(4, (short)datagram.length, java.nio.ByteOrder.BIG_ENDIAN);
        b.putShort(6, (short)0x1234, java.nio.ByteOrder.BIG_ENDIAN);
        return datagram;
    }

    private long count(final Counter counter)
    {
        return stack.counters().get(counter);
    }

    private void run()
    {
        stack.doWork(now += 1_000_000);
    }

    @Test
    void aBadTcpChecksumIsDroppedUnlessTheDeviceVouchedForItOrLeftItPartial()
    {
        run();
        device.add(synWithBadChecksum(), FrameHandler.CHECKSUM_UNVERIFIED);
        run();
        assertEquals(1, count(Counter.TCP_DROP_BAD_CHECKSUM));
        assertEquals(0, count(Counter.TCP_TO_CLOSED_PORT));

        device.add(synWithBadChecksum(), FrameHandler.CHECKSUM_VALID);
        device.add(synWithBadChecksum(), FrameHandler.CHECKSUM_PARTIAL);
        run();
        assertEquals(1, count(Counter.TCP_DROP_BAD_CHECKSUM));
        assertEquals(2, count(Counter.TCP_TO_CLOSED_PORT), "both taken (and answered with a RST)");
        assertEquals(1, count(Counter.TCP_RX_CHECKSUM_VALID_BY_DEVICE));
        assertEquals(1, count(Counter.TCP_RX_CHECKSUM_PARTIAL));
    }

    @Test
    void udpTheSameAndAReassembledDatagramIsAlwaysVerified()
    {
        run();
        device.add(udp(1, 0, udpDatagramWithBadChecksum(10)), FrameHandler.CHECKSUM_UNVERIFIED);
        device.add(udp(2, 0, udpDatagramWithBadChecksum(10)), FrameHandler.CHECKSUM_PARTIAL);
        device.add(udp(3, 0, udpDatagramWithBadChecksum(10)), FrameHandler.CHECKSUM_VALID);
        run();
        assertEquals(1, count(Counter.UDP_DROP_BAD_CHECKSUM));
        assertEquals(1, count(Counter.UDP_RX_CHECKSUM_PARTIAL));
        assertEquals(1, count(Counter.UDP_RX_CHECKSUM_VALID_BY_DEVICE));

        // a device vouches for one frame, never for a datagram made of several
        final byte[] datagram = udpDatagramWithBadChecksum(40);
        final List<byte[]> pieces = Frames.fragments(OUR_MAC, PEER_MAC, PEER, US, IpProtocol.UDP, 4, datagram, 24);
        pieces.forEach(p -> device.add(p, FrameHandler.CHECKSUM_VALID));
        run();
        assertEquals(1, count(Counter.IP_REASSEMBLED));
        assertEquals(2, count(Counter.UDP_DROP_BAD_CHECKSUM));
        assertEquals(1, count(Counter.UDP_RX_CHECKSUM_VALID_BY_DEVICE));
    }

    @Test
    void anImpairmentOnTheReceiveSideHasTheStackVerifyAgain()
    {
        final ScriptedDevice inner = new ScriptedDevice();
        final NetStack impaired = new NetStack(new StackConfig().ipAddress("10.0.0.2/24").macAddress(OUR_MAC).seed(1),
            ImpairedDevice.builder(inner).seed(1).receive(Impairment.NONE.withDelayNs(1_000_000, 0)).build());
        impaired.doWork(now);
        inner.add(synWithBadChecksum(), FrameHandler.CHECKSUM_VALID);
        impaired.doWork(now += 1_000);
        impaired.doWork(now += 5_000_000);
        assertEquals(1, impaired.counters().get(Counter.TCP_DROP_BAD_CHECKSUM), "a delayed frame is verified");

        final NetStack passThrough = new NetStack(new StackConfig().ipAddress("10.0.0.2/24").macAddress(OUR_MAC)
            .seed(1), ImpairedDevice.builder(inner).seed(1).build());
        passThrough.doWork(now);
        inner.add(synWithBadChecksum(), FrameHandler.CHECKSUM_VALID);
        passThrough.doWork(now += 1_000);
        assertEquals(0, passThrough.counters().get(Counter.TCP_DROP_BAD_CHECKSUM));
        assertEquals(1, passThrough.counters().get(Counter.TCP_RX_CHECKSUM_VALID_BY_DEVICE));
    }
}
