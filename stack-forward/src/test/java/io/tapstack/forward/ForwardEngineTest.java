package io.tapstack.forward;

import io.tapstack.StackCounters;
import io.tapstack.forward.ForwardCounters.Counter;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.udp.UdpHandler;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.tapstack.forward.GuestRig.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine between a guest stack and host sockets on 127.0.0.1 (no TAP, no root): the loopback mapping, refused
 * and denied connections, limits, UDP flows and their errors.
 */
class ForwardEngineTest
{
    private static byte[] pattern(final int length, final long seed)
    {
        final byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static GuestClient connect(final GuestRig rig, final int address, final int port, final byte[] payload)
    {
        final GuestClient client = new GuestClient(payload);
        client.connection = rig.guest.tcp().connect(address, port, client, rig.now());
        assertNotNull(client.connection);
        return client;
    }

    private static int closedTcpPort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }

    @Test
    void theGuestReachesAHostLoopbackServerThroughTheMappedAddress() throws IOException
    {
        try (HostEchoServer echo = new HostEchoServer();
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY).allow().add("127.0.0.0/8")))
        {
            final byte[] payload = pattern(1 << 20, 1);
            final GuestClient client = connect(rig, GATEWAY, echo.port(), payload);
            assertTrue(rig.runUntil(client::done, 30_000), "echo finished");
            assertNull(client.reset);
            assertArrayEquals(payload, client.received.toByteArray());
            assertEquals(GATEWAY, client.connection.remoteAddress());
            final ForwardCounters c = rig.engine.counters();
            assertEquals(1, c.get(Counter.TCP_CONNECTED));
            assertEquals(payload.length, c.get(Counter.TCP_BYTES_TO_HOST));
            assertEquals(payload.length, c.get(Counter.TCP_BYTES_TO_GUEST));
            assertEquals(1, c.get(Counter.TCP_GUEST_FINS));
            assertEquals(1, c.get(Counter.TCP_HOST_FINS));
            assertTrue(rig.runUntil(() -> rig.engine.tcpFlowCount() == 0, 5_000), "the flow ends with both FINs");
        }
    }

    @Test
    void aLoopbackConnectIsAnsweredInTheDutyCycleThatTookTheSyn() throws IOException
    {
        try (HostEchoServer echo = new HostEchoServer();
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY)))
        {
            final GuestClient client = connect(rig, GATEWAY, echo.port(), new byte[0]);
            // duty cycles by hand, a millisecond apart (ARP first): the cycle whose stack work held the SYN
            // (loopback: the host connect has finished when connect(2) returns) sends the SYN-ACK, with no
            // selector round in between
            for (int cycle = 0; cycle < 20 && rig.engine.counters().get(Counter.TCP_SYNS) == 0; cycle++)
            {
                rig.clock.setNs(rig.now() + GuestRig.MS);
                rig.guest.doWork(rig.now());
                rig.gateway.doWork(rig.now());
                if (rig.engine.counters().get(Counter.TCP_SYNS) == 1)
                {
                    final long sentBefore = rig.gateway.counters().get(StackCounters.Counter.TCP_TX);
                    rig.engine.doWork(rig.now());
                    assertEquals(sentBefore + 1, rig.gateway.counters().get(StackCounters.Counter.TCP_TX),
                        "the SYN-ACK left in the cycle that held the SYN");
                }
                else
                {
                    rig.engine.doWork(rig.now());
                }
            }
            assertEquals(1, rig.engine.counters().get(Counter.TCP_SYNS));
            assertTrue(rig.runUntil(() -> client.connected, 5_000));
            assertEquals(1, rig.engine.counters().get(Counter.TCP_CONNECTS_AT_ONCE));
            assertEquals(1, rig.engine.counters().get(Counter.TCP_CONNECTED));
        }
    }

    @Test
    void aRefusedHostPortResetsTheGuestAtOnce() throws IOException
    {
        final int port = closedTcpPort();
        try (GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY)))
        {
            final GuestClient client = connect(rig, GATEWAY, port, new byte[0]);
            final long start = rig.now();
            assertTrue(rig.runUntil(client::done, 5_000));
            assertEquals("connection refused", client.reset);
            assertTrue(rig.now() - start < 100 * GuestRig.MS, "at once, not after SYN retransmissions");
            assertEquals(1, rig.engine.counters().get(Counter.TCP_REFUSED));
            assertEquals(0, rig.engine.tcpFlowCount());
        }
    }

    @Test
    void withoutTheMappingTheHostLoopbackIsNotReached() throws IOException
    {
        try (HostEchoServer echo = new HostEchoServer(); GuestRig rig = new GuestRig(c -> { }))
        {
            final GuestClient client = connect(rig, GATEWAY, echo.port(), new byte[10]);
            assertTrue(rig.runUntil(client::done, 5_000));
            assertEquals("connection refused", client.reset);
            final GuestClient direct = connect(rig, Ipv4Address.parse("127.0.0.1"), echo.port(), new byte[10]);
            rig.runUntil(direct::done, 5_000);
            assertTrue(!direct.connected, "127.0.0.1 itself is never a destination");
            assertEquals(0, echo.accepted.get());
        }
    }

    @Test
    void aDeniedNetworkIsRefused() throws IOException
    {
        try (GuestRig rig = new GuestRig(c -> c.allow().add("127.0.0.0/8")))
        {
            final GuestClient client = connect(rig, Ipv4Address.parse("192.0.2.1"), 80, new byte[0]);
            assertTrue(rig.runUntil(client::done, 5_000));
            assertEquals("connection refused", client.reset);
            assertEquals(1, rig.engine.counters().get(Counter.TCP_POLICY_DENIED));
            assertEquals(0, rig.engine.counters().get(Counter.TCP_CONNECTS), "no host socket was opened");
        }
    }

    @Test
    void flowsBeyondTheLimitAreRefusedAndOthersGoOn() throws IOException
    {
        try (HostEchoServer echo = new HostEchoServer();
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY).maxTcpFlows(2)))
        {
            final List<GuestClient> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                // open connections that send nothing yet (empty payload would half-close at once)
                final GuestClient c = new GuestClient(pattern(10, i))
                {
                    @Override
                    public void onConnected(final TcpConnection connection)
                    {
                        connected = true;
                    }
                };
                c.connection = rig.guest.tcp().connect(GATEWAY, echo.port(), c, rig.now());
                clients.add(c);
            }
            assertTrue(rig.runUntil(() -> clients.stream().filter(c -> c.connected || c.reset != null).count() == 3,
                5_000));
            assertEquals(2, clients.stream().filter(c -> c.connected).count());
            assertEquals(1, clients.stream().filter(c -> "connection refused".equals(c.reset)).count());
            assertEquals(1, rig.engine.counters().get(Counter.TCP_FLOW_LIMIT));
            assertEquals(2, rig.engine.tcpFlowCount());
        }
    }

    @Test
    void aHostConnectThatNeverCompletesIsReportedUnreachableAfterTheTimeout() throws IOException
    {
        // a loopback listener whose accept queue is full: Linux drops further SYNs, so a connect to it hangs
        try (ServerSocketChannel full = ServerSocketChannel.open())
        {
            full.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            final int port = full.socket().getLocalPort();
            final List<SocketChannel> fillers = new ArrayList<>();
            try (GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY).connectTimeoutNs(3_000 * GuestRig.MS)))
            {
                for (int i = 0; i < 4; i++)
                {
                    final SocketChannel filler = SocketChannel.open();
                    filler.configureBlocking(false);
                    filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                    fillers.add(filler);
                }
                final GuestClient client = connect(rig, GATEWAY, port, new byte[0]);
                assertTrue(rig.runUntil(() -> rig.engine.counters().get(Counter.TCP_UNREACHABLE) == 1, 20_000),
                    () -> "counters: " + rig.engine.counters().snapshot());
                assertEquals(1, rig.engine.counters().get(Counter.TCP_CONNECT_TIMEOUTS));
                // RFC 1812 §4.3.2: the gateway told the guest with destination unreachable
                assertEquals(1, rig.gateway.counters().get(StackCounters.Counter.ICMP_ERRORS_TX));
                assertTrue(rig.runUntil(() -> rig.guest.counters().get(StackCounters.Counter.ICMP_ERRORS_RX) == 1,
                    5_000));
                assertEquals(0, rig.engine.tcpFlowCount());
                assertTrue(!client.connected);
            }
            finally
            {
                for (final SocketChannel filler : fillers)
                {
                    filler.close();
                }
            }
        }
    }

    @Test
    void aSynFloodIsBoundedAndRefusedWhileAnOpenFlowGoesOn() throws IOException
    {
        try (HostEchoServer echo = new HostEchoServer(); ServerSocketChannel full = ServerSocketChannel.open())
        {
            full.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            final int hanging = full.socket().getLocalPort();
            final List<SocketChannel> fillers = new ArrayList<>();
            try (GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY).maxPendingConnects(20)
                .maxTcpFlows(40).connectTimeoutNs(60_000 * GuestRig.MS)))
            {
                for (int i = 0; i < 4; i++)
                {
                    final SocketChannel filler = SocketChannel.open();
                    filler.configureBlocking(false);
                    filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), hanging));
                    fillers.add(filler);
                }
                final GuestClient open = new GuestClient(new byte[0])
                {
                    @Override
                    public void onConnected(final TcpConnection connection)
                    {
                        connected = true;
                    }
                };
                open.connection = rig.guest.tcp().connect(GATEWAY, echo.port(), open, rig.now());
                assertTrue(rig.runUntil(() -> open.connected, 5_000));
                final long fdsBefore = openFileDescriptors();

                final List<GuestClient> flood = new ArrayList<>();
                for (int i = 0; i < 200; i++)
                {
                    flood.add(connect(rig, GATEWAY, hanging, new byte[0]));
                }
                assertTrue(rig.runUntil(() -> flood.stream().filter(c -> c.reset != null).count() == 180, 10_000),
                    () -> "refused: " + flood.stream().filter(c -> c.reset != null).count());
                assertEquals(20, rig.gateway.tcp().heldSynCount(), "held SYNs stay at the bound");
                assertEquals(180, rig.gateway.counters().get(StackCounters.Counter.TCP_HELD_SYN_LIMIT));
                assertTrue(openFileDescriptors() - fdsBefore <= 20 + 5, "host sockets stay bounded");

                final byte[] hello = "still here".getBytes(StandardCharsets.US_ASCII);
                open.connection.write(hello, 0, hello.length);
                assertTrue(rig.runUntil(() -> open.received.size() == hello.length, 5_000), "the open flow goes on");
            }
            finally
            {
                for (final SocketChannel filler : fillers)
                {
                    filler.close();
                }
            }
        }
    }

    private static long openFileDescriptors() throws IOException
    {
        try (java.util.stream.Stream<java.nio.file.Path> fds = java.nio.file.Files.list(java.nio.file.Path.of(
            "/proc/self/fd")))
        {
            return fds.count();
        }
    }

    @Test
    void aHostResetEndsItsFlowOnlyAndResetsTheGuest() throws Exception
    {
        try (HostEchoServer echo = new HostEchoServer();
            ServerSocket resetting = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY)))
        {
            final Thread server = new Thread(() ->
            {
                try (java.net.Socket s = resetting.accept())
                {
                    s.getInputStream().read(); // the guest's first byte, then a reset (SO_LINGER 0)
                    s.setSoLinger(true, 0);
                }
                catch (final IOException ex)
                {
                    // the test fails on its own
                }
            });
            server.setDaemon(true);
            server.start();
            final GuestClient other = new GuestClient(new byte[0])
            {
                @Override
                public void onConnected(final TcpConnection connection)
                {
                    connected = true;
                }
            };
            other.connection = rig.guest.tcp().connect(GATEWAY, echo.port(), other, rig.now());
            final GuestClient victim = new GuestClient(new byte[0])
            {
                @Override
                public void onConnected(final TcpConnection connection)
                {
                    connected = true;
                    connection.write(new byte[] {1}, 0, 1);
                }
            };
            victim.connection = rig.guest.tcp().connect(GATEWAY, resetting.getLocalPort(), victim, rig.now());
            assertTrue(rig.runUntil(() -> victim.reset != null, 5_000), "the host's reset reaches the guest");
            assertEquals(1, rig.engine.counters().get(Counter.TCP_HOST_ERRORS));
            assertTrue(other.connected && other.reset == null);
            final byte[] hello = "after".getBytes(StandardCharsets.US_ASCII);
            other.connection.write(hello, 0, hello.length);
            assertTrue(rig.runUntil(() -> other.received.size() == hello.length, 5_000), "the other flow goes on");
            assertEquals(1, rig.engine.tcpFlowCount());
        }
    }

    @Test
    void anIdleTcpFlowIsResetOnBothSidesAfterTheIdleTimeout() throws IOException
    {
        try (HostEchoServer echo = new HostEchoServer();
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY).tcpIdleTimeoutNs(5_000 * GuestRig.MS)))
        {
            final GuestClient client = new GuestClient(new byte[0])
            {
                @Override
                public void onConnected(final TcpConnection connection)
                {
                    connected = true;
                }
            };
            client.connection = rig.guest.tcp().connect(GATEWAY, echo.port(), client, rig.now());
            assertTrue(rig.runUntil(() -> client.connected, 5_000));
            final long start = rig.now();
            assertTrue(rig.runUntil(() -> client.reset != null, 10_000), "the guest hears a reset");
            assertTrue(rig.now() - start >= 5_000 * GuestRig.MS, "not before the idle timeout");
            assertEquals(1, rig.engine.counters().get(Counter.TCP_IDLE_TIMEOUTS));
            assertEquals(0, rig.engine.tcpFlowCount());
        }
    }

    @Test
    void aGuestResetResetsTheHostSocket() throws IOException
    {
        try (HostEchoServer echo = new HostEchoServer();
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY)))
        {
            final GuestClient client = new GuestClient(new byte[0])
            {
                @Override
                public void onConnected(final TcpConnection connection)
                {
                    connected = true;
                }
            };
            client.connection = rig.guest.tcp().connect(GATEWAY, echo.port(), client, rig.now());
            assertTrue(rig.runUntil(() -> client.connected && rig.engine.counters().get(Counter.TCP_CONNECTED) == 1,
                5_000));
            client.connection.abort();
            assertTrue(rig.runUntil(() -> rig.engine.tcpFlowCount() == 0, 5_000));
            assertEquals(1, rig.engine.counters().get(Counter.TCP_GUEST_RESETS));
        }
    }

    @Test
    void udpFlowsCarryDatagramsBothWaysAndPassOnPortUnreachable() throws IOException
    {
        try (DatagramSocket host = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY).udpIdleTimeoutNs(5_000 * GuestRig.MS)))
        {
            final Thread echo = new Thread(() ->
            {
                final byte[] buf = new byte[2048];
                try
                {
                    while (true)
                    {
                        final DatagramPacket p = new DatagramPacket(buf, buf.length);
                        host.receive(p);
                        host.send(p);
                    }
                }
                catch (final IOException ex)
                {
                    // closed
                }
            });
            echo.setDaemon(true);
            echo.start();
            final List<String> got = new ArrayList<>();
            final List<Integer> errors = new ArrayList<>();
            final UdpEndpoint endpoint = rig.guest.udp().bind(0, new UdpHandler()
            {
                @Override
                public void onReadable(final UdpEndpoint e)
                {
                    final UnsafeBuffer b = new UnsafeBuffer(new byte[2048]);
                    final int n = e.receive(b, 0, 2048);
                    final byte[] bytes = new byte[n];
                    b.getBytes(0, bytes);
                    got.add(Ipv4Address.toString(e.lastRemoteAddress()) + ":" + e.lastRemotePort() + " "
                        + new String(bytes, StandardCharsets.US_ASCII));
                }

                @Override
                public void onIcmpError(final UdpEndpoint e, final int type, final int code, final int remoteAddress,
                    final int remotePort)
                {
                    errors.add(type * 100 + code);
                }
            });
            final byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            endpoint.send(GATEWAY, host.getLocalPort(), new UnsafeBuffer(hello), 0, hello.length, rig.now());
            assertTrue(rig.runUntil(() -> !got.isEmpty(), 5_000));
            assertEquals("10.0.2.2:" + host.getLocalPort() + " hello", got.get(0), "from where the guest sent it");
            assertEquals(1, rig.engine.udpFlowCount());

            final int closed;
            try (DatagramSocket gone = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
            {
                closed = gone.getLocalPort();
            }
            endpoint.send(GATEWAY, closed, new UnsafeBuffer(hello), 0, hello.length, rig.now());
            assertTrue(rig.runUntil(() -> !errors.isEmpty(), 5_000));
            assertEquals(IcmpMessage.TYPE_DESTINATION_UNREACHABLE * 100 + IcmpMessage.CODE_PORT_UNREACHABLE,
                errors.get(0));
            assertEquals(1, rig.engine.counters().get(Counter.UDP_PORT_UNREACHABLE));

            rig.clock.advanceNs(6_000 * GuestRig.MS);
            assertTrue(rig.runUntil(() -> rig.engine.udpFlowCount() == 0, 5_000), "idle flows close");
            assertEquals(2, rig.engine.counters().get(Counter.UDP_IDLE_TIMEOUTS));
            host.close();
        }
    }

    @Test
    void udpToADeniedNetworkIsReportedProhibited() throws IOException
    {
        try (GuestRig rig = new GuestRig(c -> c.allow().add("127.0.0.0/8")))
        {
            final List<Integer> errors = new ArrayList<>();
            final UdpEndpoint endpoint = rig.guest.udp().bind(0, new UdpHandler()
            {
                @Override
                public void onReadable(final UdpEndpoint e)
                {
                }

                @Override
                public void onIcmpError(final UdpEndpoint e, final int type, final int code, final int remoteAddress,
                    final int remotePort)
                {
                    errors.add(code);
                }
            });
            endpoint.send(Ipv4Address.parse("192.0.2.1"), 53, new UnsafeBuffer(new byte[4]), 0, 4, rig.now());
            assertTrue(rig.runUntil(() -> !errors.isEmpty(), 5_000));
            assertEquals(ForwardEngine.CODE_ADMIN_PROHIBITED, errors.get(0)); // RFC 1812 §5.2.7.1
            assertEquals(0, rig.engine.udpFlowCount());
            assertEquals(1, rig.gateway.counters().get(StackCounters.Counter.IP_RX_GATEWAY));
        }
    }
}
