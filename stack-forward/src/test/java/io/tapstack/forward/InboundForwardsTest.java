package io.tapstack.forward;

import io.tapstack.forward.ForwardCounters.Counter;
import io.tapstack.forward.control.PortForward;
import io.tapstack.forward.control.PortForwardStatus;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.udp.UdpHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static io.tapstack.forward.GuestRig.GUEST;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inbound port forwards between host clients on 127.0.0.1 and a guest stack over a memory link (no TAP, no root):
 * each host connection an active open from the gateway to the guest's port (RFC 9293 §3.10.1), bytes both ways
 * with half-close, a refused guest port, the limits, removal resetting what is open, UDP per host peer.
 */
class InboundForwardsTest
{
    private static final int GUEST_PORT = 8080;

    /** A guest echo server on the guest stack: echoes what it reads, FIN after the peer's FIN. */
    private static final class GuestEcho implements TcpHandler
    {
        private final byte[] buf = new byte[16384];
        private int start;
        private int end;
        private boolean shut;
        int accepted;

        @Override
        public void onReadable(final TcpConnection c)
        {
            pump(c);
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            pump(c);
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            pump(c);
        }

        private void pump(final TcpConnection c)
        {
            while (true)
            {
                if (start < end)
                {
                    final int n = c.write(buf, start, end - start);
                    start += Math.max(n, 0);
                    if (start < end)
                    {
                        return;
                    }
                }
                final int n = c.read(buf, 0, buf.length);
                if (n > 0)
                {
                    start = 0;
                    end = n;
                    continue;
                }
                if (n < 0 && !shut)
                {
                    shut = true;
                    c.shutdownOutput();
                }
                return;
            }
        }
    }

    private static void listenEcho(final GuestRig rig, final int port)
    {
        rig.guest.tcp().listen(port, l ->
        {
            TcpConnection c;
            while ((c = l.accept()) != null)
            {
                final GuestEcho echo = new GuestEcho();
                c.handler(echo);
                echo.pump(c);
            }
        });
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }

    private static PortForward tcpForward(final int hostPort, final int guestPort)
    {
        return new PortForward(PortForward.Protocol.TCP, InetAddress.getLoopbackAddress(), hostPort, guestPort);
    }

    /** A host client on its own thread: sends, half-closes, reads to the end (or the reset). */
    private static Thread hostClient(final int port, final byte[] payload, final AtomicReference<Object> result)
    {
        final Thread t = new Thread(() ->
        {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port))
            {
                s.setSoTimeout(20_000);
                final Thread writer = new Thread(() ->
                {
                    try
                    {
                        s.getOutputStream().write(payload);
                        s.shutdownOutput();
                    }
                    catch (final IOException ex)
                    {
                        // the reader sees it too
                    }
                });
                writer.start();
                final InputStream in = s.getInputStream();
                result.set(in.readAllBytes());
                writer.join();
            }
            catch (final IOException | InterruptedException ex)
            {
                result.set(ex);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aHostConnectionReachesTheGuestsPortBytesIntactBothWays() throws IOException
    {
        try (GuestRig rig = new GuestRig(c -> c.guestAddress(GUEST)))
        {
            listenEcho(rig, GUEST_PORT);
            final int hostPort = freePort();
            rig.engine.addPortForward(tcpForward(hostPort, GUEST_PORT));
            final byte[] payload = new byte[512 * 1024];
            new Random(14).nextBytes(payload);
            final AtomicReference<Object> result = new AtomicReference<>();
            hostClient(hostPort, payload, result);
            assertTrue(rig.runUntil(() -> result.get() != null && rig.engine.tcpFlowCount() == 0, 20_000),
                () -> "result " + result.get() + ", flows " + rig.engine.tcpFlowCount());
            assertArrayEquals(payload, (byte[])result.get());
            final PortForwardStatus status = rig.engine.portForwards().get(0);
            assertEquals(1, status.accepted());
            assertEquals(0, status.active());
            assertEquals(payload.length, status.bytesToGuest());
            assertEquals(payload.length, status.bytesFromGuest());
            assertEquals(1, rig.engine.counters().get(Counter.PF_TCP_ACCEPTED));
            assertEquals(1, rig.engine.counters().get(Counter.TCP_GUEST_FINS), "the guest's FIN carried to the host");
            assertEquals(1, rig.engine.counters().get(Counter.TCP_HOST_FINS), "the host's FIN carried to the guest");
        }
    }

    @Test
    void aRefusedGuestPortResetsTheHostConnectionAndIsCounted() throws IOException
    {
        try (GuestRig rig = new GuestRig(c -> c.guestAddress(GUEST)))
        {
            final int hostPort = freePort();
            rig.engine.addPortForward(tcpForward(hostPort, 8081)); // nothing listens there in the guest
            final AtomicReference<Object> result = new AtomicReference<>();
            hostClient(hostPort, new byte[10], result);
            assertTrue(rig.runUntil(() -> result.get() != null, 10_000));
            assertTrue(result.get() instanceof SocketException || ((byte[])result.get()).length == 0,
                () -> "the host client sees a reset or the end: " + result.get());
            assertTrue(rig.runUntil(() -> rig.engine.tcpFlowCount() == 0, 5_000));
            assertEquals(1, rig.engine.counters().get(Counter.PF_TCP_REFUSED));
            assertEquals(1, rig.engine.portForwards().get(0).refused());
        }
    }

    @Test
    void withNoGuestAddressKnownTheHostConnectionIsRefused() throws IOException
    {
        try (GuestRig rig = new GuestRig(c -> { }))
        {
            final int hostPort = freePort();
            rig.engine.addPortForward(tcpForward(hostPort, GUEST_PORT));
            final AtomicReference<Object> result = new AtomicReference<>();
            hostClient(hostPort, new byte[10], result);
            assertTrue(rig.runUntil(() -> result.get() != null, 10_000));
            assertEquals(1, rig.engine.counters().get(Counter.PF_TCP_REFUSED));
            assertEquals(0, rig.engine.tcpFlowCount());
        }
    }

    @Test
    void beyondMaxTcpFlowsAHostConnectionIsRefusedAndTheOpenOneGoesOn() throws IOException
    {
        try (GuestRig rig = new GuestRig(c -> c.guestAddress(GUEST).maxTcpFlows(1)))
        {
            listenEcho(rig, GUEST_PORT);
            final int hostPort = freePort();
            rig.engine.addPortForward(tcpForward(hostPort, GUEST_PORT));
            try (Socket first = new Socket(InetAddress.getLoopbackAddress(), hostPort))
            {
                first.setSoTimeout(100);
                assertTrue(rig.runUntil(() -> rig.engine.portForwards().get(0).active() == 1
                    && rig.engine.counters().get(Counter.TCP_BYTES_TO_GUEST) == 0, 5_000));
                final AtomicReference<Object> second = new AtomicReference<>();
                hostClient(hostPort, new byte[10], second);
                assertTrue(rig.runUntil(() -> second.get() != null, 10_000));
                assertEquals(1, rig.engine.portForwards().get(0).refused());
                first.getOutputStream().write("still here".getBytes(StandardCharsets.US_ASCII));
                final byte[] echoed = new byte[10];
                final int[] got = {0};
                assertTrue(rig.runUntil(() ->
                {
                    try
                    {
                        final int n = first.getInputStream().read(echoed, got[0], echoed.length - got[0]);
                        got[0] += Math.max(n, 0);
                    }
                    catch (final IOException timeout)
                    {
                        // nothing yet
                    }
                    return got[0] == echoed.length;
                }, 10_000));
                assertEquals("still here", new String(echoed, StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void removingAForwardClosesItsHostSocketAndResetsWhatIsOpen() throws IOException
    {
        try (GuestRig rig = new GuestRig(c -> c.guestAddress(GUEST).maxPortForwards(1)))
        {
            listenEcho(rig, GUEST_PORT);
            final int hostPort = freePort();
            final PortForward forward = tcpForward(hostPort, GUEST_PORT);
            rig.engine.addPortForward(forward);
            assertThrows(IllegalStateException.class, () -> rig.engine.addPortForward(tcpForward(freePort(), 1)),
                "maxPortForwards");
            try (Socket open = new Socket(InetAddress.getLoopbackAddress(), hostPort))
            {
                open.setSoTimeout(5_000);
                assertTrue(rig.runUntil(() -> rig.engine.portForwards().get(0).active() == 1
                    && rig.engine.counters().get(Counter.TCP_CONNECTED) == 0
                    && rig.guest.tcp().connectionCount() == 1, 5_000));
                assertTrue(rig.engine.removePortForward(PortForward.Protocol.TCP, forward.hostAddress(), hostPort));
                assertTrue(rig.runUntil(() -> rig.engine.tcpFlowCount() == 0
                    && rig.guest.tcp().connectionCount() == 0, 5_000), "both sides reset");
                assertThrows(SocketException.class, () ->
                {
                    final int n = open.getInputStream().read();
                    if (n < 0)
                    {
                        throw new SocketException("closed");
                    }
                });
            }
            assertThrows(java.net.ConnectException.class,
                () -> new Socket(InetAddress.getLoopbackAddress(), hostPort).close());
            assertEquals(0, rig.engine.portForwards().size());
            assertEquals(0, rig.engine.counters().get(Counter.PF_FORWARDS));
        }
    }

    @Test
    void udpDatagramsGoToTheGuestPortAndRepliesToTheirHostPeer() throws IOException
    {
        try (GuestRig rig = new GuestRig(c -> c.guestAddress(GUEST).udpIdleTimeoutNs(5_000 * GuestRig.MS));
            DatagramSocket a = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            DatagramSocket b = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
            final UdpEndpoint echo = rig.guest.udp().bind(5353, new UdpHandler()
            {
                @Override
                public void onReadable(final UdpEndpoint e)
                {
                    final int n = e.receive(buffer, 0, 2048);
                    e.send(e.lastRemoteAddress(), e.lastRemotePort(), buffer, 0, n, rig.now());
                }
            });
            assertNotNull(echo);
            final int hostPort;
            try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
            {
                hostPort = probe.getLocalPort();
            }
            rig.engine.addPortForward(new PortForward(PortForward.Protocol.UDP, InetAddress.getLoopbackAddress(),
                hostPort, 5353));
            a.setSoTimeout(20);
            b.setSoTimeout(20);
            for (final DatagramSocket peer : new DatagramSocket[] {a, b})
            {
                final byte[] msg = ("from " + peer.getLocalPort()).getBytes(StandardCharsets.US_ASCII);
                peer.send(new DatagramPacket(msg, msg.length, InetAddress.getLoopbackAddress(), hostPort));
                final DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
                assertTrue(rig.runUntil(() ->
                {
                    try
                    {
                        peer.receive(reply);
                        return true;
                    }
                    catch (final IOException timeout)
                    {
                        return false;
                    }
                }, 10_000));
                assertEquals("from " + peer.getLocalPort(), new String(reply.getData(), 0, reply.getLength(),
                    StandardCharsets.US_ASCII), "each reply to its own peer");
                assertEquals(hostPort, reply.getPort());
            }
            final PortForwardStatus status = rig.engine.portForwards().get(0);
            assertEquals(2, status.accepted(), "a flow per host peer");
            assertEquals(2, status.active());
            assertEquals(2, rig.engine.counters().get(Counter.PF_UDP_DATAGRAMS_TO_HOST));
            rig.clock.advanceNs(6_000 * GuestRig.MS);
            assertTrue(rig.runUntil(() -> rig.engine.portForwards().get(0).active() == 0, 5_000), "idle flows close");
            assertEquals(0, rig.engine.counters().get(Counter.PF_UDP_FLOWS));
        }
    }
}
