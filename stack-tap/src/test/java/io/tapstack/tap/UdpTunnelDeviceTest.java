package io.tapstack.tap;

import io.tapstack.dev.FrameHandler;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The UDP tunnel device on 127.0.0.1 (no root): frames cross one datagram each, and what does not belong (a
 * frame longer than MTU + 14, a runt or oversized datagram, a datagram from another sender) is dropped and
 * counted; no allocation per frame.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UdpTunnelDeviceTest
{
    private static final int MTU = 1500;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(5);

    /** Counts frames and remembers the last one's length and first byte. */
    private static final class Recorder implements FrameHandler
    {
        int frames;
        int lastLength;
        byte lastFirst;

        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
        {
            frames++;
            lastLength = length;
            lastFirst = buffer.getByte(offset);
        }
    }

    /** A plain UDP socket on 127.0.0.1, the peer of a device under test. */
    private static DatagramChannel raw() throws IOException
    {
        return DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
    }

    private static int port(final DatagramChannel channel) throws IOException
    {
        return ((InetSocketAddress)channel.getLocalAddress()).getPort();
    }

    private static void send(final DatagramChannel from, final int length, final int toPort) throws IOException
    {
        final ByteBuffer b = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++)
        {
            b.put(i, (byte)(i + 1));
        }
        assertEquals(length, from.send(b, new InetSocketAddress(LOOPBACK, toPort)));
    }

    /** Waits for what is queued and receives it; returns the frames delivered. */
    private static int receiveAll(final UdpTunnelDevice device, final Recorder recorder, final long expectedSum)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        int delivered = 0;
        while (System.nanoTime() < deadline && sum(device) < expectedSum)
        {
            device.awaitReadable(TimeUnit.MILLISECONDS.toNanos(50));
            delivered += device.receive(0, recorder, 64);
        }
        return delivered;
    }

    private static long sum(final UdpTunnelDevice d)
    {
        return d.framesReceived() + d.malformedReceived() + d.foreignReceived();
    }

    @Test
    void aFrameCrossesAsOneDatagramBothWays() throws Exception
    {
        try (DatagramChannel probeA = raw(); DatagramChannel probeB = raw())
        {
            final int portA = port(probeA);
            final int portB = port(probeB);
            probeA.close();
            probeB.close();
            try (UdpTunnelDevice a = UdpTunnelDevice.open(portA, new InetSocketAddress(LOOPBACK, portB), MTU);
                UdpTunnelDevice b = UdpTunnelDevice.open(portB, new InetSocketAddress(LOOPBACK, portA), MTU))
            {
                assertEquals(MTU + 14, a.maxFrameLength());
                final Recorder atB = new Recorder();
                assertEquals(0, a.claim(MTU + 14));
                assertEquals(-1, a.claim(60), "one transmit slot while a frame is claimed");
                a.transmitBuffer().putByte(0, (byte)0x5A);
                a.commit(0);
                assertEquals(1, receiveAll(b, atB, 1));
                assertEquals(MTU + 14, atB.lastLength);
                assertEquals(0x5A, atB.lastFirst);

                final Recorder atA = new Recorder();
                assertEquals(0, b.claim(60));
                b.transmitBuffer().putByte(0, (byte)0x33);
                b.commit(0);
                assertEquals(1, receiveAll(a, atA, 1));
                assertEquals(60, atA.lastLength);
                assertEquals(0x33, atA.lastFirst);
                assertEquals(1, a.framesTransmitted());
                assertEquals(1, b.framesReceived());
            }
        }
    }

    @Test
    void aFrameLongerThanMtuPlus14IsRefusedAndCounted() throws Exception
    {
        try (DatagramChannel peer = raw();
            UdpTunnelDevice d = UdpTunnelDevice.open(0, new InetSocketAddress(LOOPBACK, port(peer)), MTU))
        {
            assertEquals(-1, d.claim(MTU + 15));
            assertEquals(1, d.oversizedTransmitted());
            assertEquals(0, d.claim(MTU + 14), "the slot stays free after a refused claim");
        }
    }

    @Test
    void runtAndOversizedDatagramsFromThePeerAreDroppedAndCounted() throws Exception
    {
        try (DatagramChannel peer = raw();
            UdpTunnelDevice d = UdpTunnelDevice.open(0, new InetSocketAddress(LOOPBACK, port(peer)), MTU))
        {
            final int port = d.localAddress().getPort();
            send(peer, 13, port);           // shorter than an Ethernet header
            send(peer, MTU + 15, port);     // one byte more than a frame may have
            send(peer, 9000, port);         // far more
            send(peer, 14, port);           // the shortest a frame may be: delivered
            final Recorder r = new Recorder();
            assertEquals(1, receiveAll(d, r, 4));
            assertEquals(3, d.malformedReceived());
            assertEquals(14, r.lastLength);
            assertEquals(1, d.framesReceived());
        }
    }

    @Test
    void aDatagramFromAnotherSenderIsDroppedAndCounted() throws Exception
    {
        try (DatagramChannel peer = raw(); DatagramChannel stranger = raw();
            UdpTunnelDevice d = UdpTunnelDevice.open(0, new InetSocketAddress(LOOPBACK, port(peer)), MTU))
        {
            final int port = d.localAddress().getPort();
            send(stranger, 60, port);
            send(peer, 60, port);
            final Recorder r = new Recorder();
            assertEquals(1, receiveAll(d, r, 2));
            assertEquals(1, d.foreignReceived());
            assertEquals(1, d.framesReceived());
        }
    }

    @Test
    void receiveAndTransmitAllocateNothingPerFrame() throws Exception
    {
        try (DatagramChannel probeA = raw(); DatagramChannel probeB = raw())
        {
            final int portA = port(probeA);
            final int portB = port(probeB);
            probeA.close();
            probeB.close();
            try (UdpTunnelDevice a = UdpTunnelDevice.open(portA, new InetSocketAddress(LOOPBACK, portB), MTU);
                UdpTunnelDevice b = UdpTunnelDevice.open(portB, new InetSocketAddress(LOOPBACK, portA), MTU))
            {
                final Recorder r = new Recorder();
                final Runnable round = () ->
                {
                    for (int i = 0; i < 2_000; i++)
                    {
                        if (a.claim(100) == 0)
                        {
                            a.commit(0);
                        }
                        b.receive(0, r, 8);
                    }
                    while (b.awaitReadable(TimeUnit.MILLISECONDS.toNanos(20)))
                    {
                        b.receive(0, r, 64);
                    }
                };
                round.run(); // warm up
                final com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
                final long tid = Thread.currentThread().getId();
                final long before = threads.getThreadAllocatedBytes(tid);
                round.run();
                final long allocated = threads.getThreadAllocatedBytes(tid) - before;
                assertTrue(r.frames > 2_000, "frames " + r.frames);
                assertTrue(allocated < 4096, "allocated " + allocated + " bytes over 2,000 frames each way");
            }
        }
    }

    @Test
    void parsesLocalPortHostAndPort()
    {
        final UdpTunnelDevice.Endpoints e = UdpTunnelDevice.parse("7001:127.0.0.1:7002");
        assertEquals(7001, e.localPort());
        assertEquals(new InetSocketAddress(LOOPBACK, 7002), e.peer());
        assertEquals(7003, UdpTunnelDevice.parse("0:[::1]:7003").peer().getPort());
        for (final String bad : new String[] {"", "7001", "7001:127.0.0.1", ":127.0.0.1:7002", "7001::7002",
            "7001:127.0.0.1:", "x:127.0.0.1:7002", "7001:127.0.0.1:0", "70000:127.0.0.1:7002",
            "7001:127.0.0.1:65536"})
        {
            assertThrows(IllegalArgumentException.class, () -> UdpTunnelDevice.parse(bad), bad);
        }
    }
}
