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
            final UdpSocket client = s.a.bindUdp(0);
            client.send(B_IP, 9, "anyone?".getBytes(), 0, 7);
            assertThrows(PortUnreachableException.class, () -> client.receive(Duration.ofSeconds(5)));
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
