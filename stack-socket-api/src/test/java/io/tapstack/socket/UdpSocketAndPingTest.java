package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.BindException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.tapstack.socket.MemoryStacks.A_IP;
import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpSocketAndPingTest
{
    @Test
    void datagramsUpToTheLargestArriveIntactWithTheirSender() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final UdpSocket server = s.b.bindUdp(7);
            final UdpSocket client = s.a.bindUdp(0);
            assertTrue(client.localPort() >= 49152);
            for (final int size : new int[] {0, 1, 1472, 1473, 4000, UdpSocket.MAX_PAYLOAD})
            {
                final byte[] data = TcpSocketTest.random(size, size);
                client.send(B_IP, 7, data, 0, data.length);
                final UdpSocket.Datagram d = server.receive(Duration.ofSeconds(5));
                assertEquals(A_IP, d.address());
                assertEquals(client.localPort(), d.port());
                assertArrayEquals(data, d.data(), "size " + size);
            }
            assertThrows(IllegalArgumentException.class,
                () -> client.send(B_IP, 7, new byte[UdpSocket.MAX_PAYLOAD + 1], 0, UdpSocket.MAX_PAYLOAD + 1));
        }
    }

    @Test
    void receiveTimesOutAndTheAsyncStyleCompletesLater() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final UdpSocket server = s.b.bindUdp(7);
            assertThrows(SocketTimeoutException.class, () -> server.receive(Duration.ofMillis(100)));
            final CompletableFuture<UdpSocket.Datagram> pending = server.receiveAsync();
            assertFalse(pending.isDone());
            final UdpSocket client = s.a.bindUdp(0);
            client.send(B_IP, 7, "ping".getBytes(), 0, 4);
            assertEquals("ping", new String(pending.get(5, TimeUnit.SECONDS).data()));
        }
    }

    @Test
    void aClosedPortAnswersWithPortUnreachable() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            // unconnected (a server): ICMP errors are not reported, as with a DatagramSocket
            final UdpSocket server = s.a.bindUdp(0);
            server.send(B_IP, 9, "anyone?".getBytes(), 0, 7);
            assertThrows(SocketTimeoutException.class, () -> server.receive(Duration.ofMillis(300)));
            // connected: the peer's port unreachable fails the next receive
            final UdpSocket client = s.a.bindUdp(0).connect(B_IP, 9);
            client.send("anyone?".getBytes(), 0, 7);
            assertThrows(PortUnreachableException.class, () -> client.receive(Duration.ofSeconds(5)));
            assertTrue(s.b.counters().get(io.tapstack.StackCounters.Counter.UDP_TO_CLOSED_PORT) >= 2);
        }
    }

    @Test
    void aConnectedSocketHearsOnlyItsPeer() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final UdpSocket server = s.b.bindUdp(7);
            final UdpSocket other = s.b.bindUdp(8);
            final UdpSocket client = s.a.bindUdp(0).connect(B_IP, 7);
            other.send(A_IP, client.localPort(), "not the peer".getBytes(), 0, 12);
            server.send(A_IP, client.localPort(), "the peer".getBytes(), 0, 8);
            assertEquals("the peer", new String(client.receive(Duration.ofSeconds(5)).data()));
            assertThrows(SocketTimeoutException.class, () -> client.receive(Duration.ofMillis(200)));
        }
    }

    @Test
    void aPortCanBeBoundOnce() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final UdpSocket first = s.b.bindUdp(53);
            assertThrows(BindException.class, () -> s.b.bindUdp(53));
            first.close();
            s.b.bindUdp(53).close();
        }
    }

    @Test
    void pingMeasuresARoundTrip() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final Duration rtt = s.a.ping().echo(B_IP, Duration.ofSeconds(5));
            assertTrue(rtt.toNanos() >= 0 && rtt.toMillis() < 5_000, rtt.toString());
            assertTrue(s.a.ping().echoAsync(B_IP, 4000).get(5, TimeUnit.SECONDS).toNanos() >= 0);
            assertThrows(SocketTimeoutException.class,
                () -> s.a.ping().echo(io.tapstack.wire.Ipv4Address.parse("10.0.0.99"), Duration.ofMillis(200)));
        }
    }
}
