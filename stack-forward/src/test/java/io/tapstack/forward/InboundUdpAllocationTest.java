package io.tapstack.forward;

import io.tapstack.forward.control.PortForward;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.udp.UdpHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicLong;

import static io.tapstack.forward.GuestRig.GUEST;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an inbound UDP port forward allocates per datagram on the engine's thread in steady state: host peers on their
 * own thread send datagrams to the forward's 127.0.0.1 socket and wait for the guest's echo (guest stack, gateway
 * stack and engine all on the test thread, over a memory link without latency, so the test's own loop never calls
 * the selector's allocating {@code select()} and simulated time stands still: no sweep runs).
 *
 * <p>One host peer: nothing. Several peers in turn: {@code DatagramChannel.receive} keeps the last sender's
 * {@code InetSocketAddress} and decodes a new one (with its {@code InetAddress}) whenever the sender changes; java.nio
 * has no receive that yields the sender without that object, so there the test bounds the bytes per datagram and
 * prints them.
 */
class InboundUdpAllocationTest
{
    private static final int GUEST_PORT = 5353;
    private static final int WARM_UP = 2_000;
    private static final int MEASURED = 10_000;

    /** Host peers that take turns: each sends one datagram and waits for its echo, counting round trips. */
    private static final class HostPeers implements AutoCloseable
    {
        final DatagramChannel[] channels;
        final AtomicLong echoed = new AtomicLong();
        final Thread thread;
        volatile boolean running = true;
        volatile String failure;

        HostPeers(final int peers, final int port) throws IOException
        {
            channels = new DatagramChannel[peers];
            for (int i = 0; i < peers; i++)
            {
                channels[i] = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                channels[i].connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
            thread = new Thread(this::run, "udp-host-peers");
            thread.setDaemon(true);
            thread.start();
        }

        private void run()
        {
            final ByteBuffer out = ByteBuffer.allocateDirect(64);
            final ByteBuffer in = ByteBuffer.allocateDirect(2048);
            try
            {
                for (long n = 0; running; n++)
                {
                    final DatagramChannel c = channels[(int)(n % channels.length)];
                    out.clear();
                    out.putLong(n).putLong(~n).flip();
                    c.write(out);
                    in.clear();
                    c.read(in); // blocking: the echo (the test's loop keeps the engine running)
                    if (in.position() != 16 || in.getLong(0) != n || in.getLong(8) != ~n)
                    {
                        failure = "datagram " + n + " came back as " + in;
                        return;
                    }
                    echoed.incrementAndGet();
                }
            }
            catch (final IOException ex)
            {
                if (running)
                {
                    failure = ex.toString();
                }
            }
        }

        @Override
        public void close() throws IOException
        {
            running = false;
            for (final DatagramChannel c : channels)
            {
                c.close(); // wakes the blocked read
            }
        }
    }

    /** Round trips until {@code echoed} reaches {@code target}: the stacks and the engine, never the selector's select. */
    private static boolean spin(final GuestRig rig, final HostPeers peers, final long target, final long maxRealMs)
    {
        final long end = System.nanoTime() + maxRealMs * GuestRig.MS;
        final long now = rig.now();
        while (peers.echoed.get() < target && peers.failure == null && System.nanoTime() < end)
        {
            rig.guest.doWork(now);
            rig.gateway.doWork(now);
            rig.engine.doWork(now);
        }
        return peers.echoed.get() >= target;
    }

    private static long bytesPerDatagram(final int peerCount) throws IOException
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (GuestRig rig = new GuestRig(c -> c.guestAddress(GUEST), d -> d, 0, 1))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
            final UdpEndpoint echo = rig.guest.udp().bind(GUEST_PORT, new UdpHandler()
            {
                @Override
                public void onReadable(final UdpEndpoint e)
                {
                    int n;
                    while ((n = e.receive(buffer, 0, 2048)) >= 0)
                    {
                        e.send(e.lastRemoteAddress(), e.lastRemotePort(), buffer, 0, n, rig.now());
                    }
                }
            });
            assertNotNull(echo);
            final int hostPort;
            try (DatagramChannel probe = DatagramChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
            {
                hostPort = ((InetSocketAddress)probe.getLocalAddress()).getPort();
            }
            rig.engine.addPortForward(new PortForward(PortForward.Protocol.UDP, InetAddress.getLoopbackAddress(),
                hostPort, GUEST_PORT));
            try (HostPeers peers = new HostPeers(peerCount, hostPort))
            {
                assertTrue(spin(rig, peers, WARM_UP, 60_000), () -> "warm-up: " + peers.echoed + " " + peers.failure);
                final long before = threads.getCurrentThreadAllocatedBytes();
                final long from = peers.echoed.get();
                assertTrue(spin(rig, peers, from + MEASURED, 60_000), () -> "measured: " + peers.failure);
                final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                final long roundTrips = peers.echoed.get() - from;
                System.out.printf("inbound UDP, %d host peer(s): %d bytes allocated for %d round trips (%.1f per "
                    + "datagram each way)%n", peerCount, allocated, roundTrips, allocated / (double)roundTrips);
                return allocated / roundTrips;
            }
        }
    }

    @Test
    void oneHostPeerAllocatesNothingPerDatagram() throws IOException
    {
        final long perRoundTrip = bytesPerDatagram(1);
        // a few hundred bytes in all (a lazily grown table, say) round down to 0; one object per datagram does not
        assertTrue(perRoundTrip == 0, perRoundTrip + " bytes per round trip");
    }

    @Test
    void peersInTurnAllocateOnlyTheSendersAddressThatJavaNioDecodes() throws IOException
    {
        final long perRoundTrip = bytesPerDatagram(2);
        // the decoded sender (InetSocketAddress, its holder, an Inet4Address, its holder, the address bytes) is
        // 100-160 bytes by JDK; twice that would mean something else allocates per datagram
        assertTrue(perRoundTrip < 256, perRoundTrip + " bytes per round trip");
    }
}
