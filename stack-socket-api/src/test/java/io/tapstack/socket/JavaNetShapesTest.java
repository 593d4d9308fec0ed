package io.tapstack.socket;

import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a Java developer expects from java.net: InetAddress and String overloads, listen(0), NoRouteToHost. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JavaNetShapesTest
{
    @Test
    void listenZeroPicksAnEphemeralPortAsBindUdpZeroDoes() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket first = s.b.listen(0);
            final TcpServerSocket second = s.b.listen(0, SocketOptions.defaults());
            assertTrue(first.port() >= 49_152 && first.port() <= 65_535, "port " + first.port());
            assertNotEquals(first.port(), second.port());
            try (TcpSocket c = s.a.connect(s.b.inetAddress(), first.port(), Duration.ofSeconds(5));
                 TcpSocket accepted = first.accept(Duration.ofSeconds(5)))
            {
                assertEquals(first.port(), c.remotePort());
                assertEquals(first.port(), accepted.localPort());
            }
        }
    }

    @Test
    void everyAddressTakesAStringOrAnInetAddressAndPrintsReadably() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final InetAddress b = InetAddress.getByName("10.0.0.2");
            assertEquals(b, s.b.inetAddress());
            final TcpServerSocket server = s.b.listen(7);
            try (TcpSocket viaString = s.a.connectAsync("10.0.0.2", 7).get(5, TimeUnit.SECONDS);
                 TcpSocket viaInet = s.a.connectAsync(b, 7, SocketOptions.defaults()).get(5, TimeUnit.SECONDS);
                 TcpSocket blocking = s.a.connect("10.0.0.2", 7, Duration.ofSeconds(5), SocketOptions.defaults()))
            {
                assertEquals(b, viaString.remoteInetAddress());
                assertEquals(InetAddress.getByName("10.0.0.1"), viaInet.localInetAddress());
                assertTrue(blocking.toString().contains("10.0.0.2:7"), blocking.toString());
                server.accept(Duration.ofSeconds(5)).close();
            }
            final UdpSocket udpServer = s.b.bindUdp(7);
            final UdpSocket client = s.a.bindUdp(0).connect(b, 7);
            client.send(new byte[] {1, 2, 3}, 0, 3);
            final UdpSocket.Datagram d = udpServer.receive(Duration.ofSeconds(5));
            assertEquals(InetAddress.getByName("10.0.0.1"), d.inetAddress());
            assertTrue(d.toString().contains("from 10.0.0.1:"), d.toString());
            s.a.bindUdp(0).connect("10.0.0.2", 7).send(new byte[] {4}, 0, 1);
            udpServer.receive(Duration.ofSeconds(5));
            s.a.bindUdp(0).send(b, 7, new byte[] {5}, 0, 1);
            udpServer.receive(Duration.ofSeconds(5));
            s.a.ping().echo(b, Duration.ofSeconds(5));
            s.a.ping().echoAsync("10.0.0.2", 100).get(5, TimeUnit.SECONDS);
            assertThrows(IllegalArgumentException.class,
                () -> s.a.connectAsync(InetAddress.getByName("::1"), 7));
        }
    }

    @Test
    void aConnectOffTheSubnetWithoutGatewayFailsAtOnceWithNoRouteToHost() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final long start = System.nanoTime();
            final NoRouteToHostException ex = assertThrows(NoRouteToHostException.class,
                () -> s.a.connect("192.168.1.1", 80, Duration.ofSeconds(30)));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "at once, not after the timeout");
            assertTrue(ex.getMessage().contains("192.168.1.1:80"), ex.getMessage());
            final ExecutionException async = assertThrows(ExecutionException.class,
                () -> s.a.connectAsync("192.168.1.1", 80).get(5, TimeUnit.SECONDS));
            assertInstanceOf(NoRouteToHostException.class, async.getCause());
        }
    }

    @Test
    void aConnectWhoseArpGoesUnansweredFailsAfterTheRetriesWithNoRouteToHost() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks(c -> c.arpRetries(2).arpRetryIntervalNs(200_000_000L)
            .gateway(Ipv4Address.parse("10.0.0.254")), new SocketConfig(), new SocketConfig()))
        {
            final long start = System.nanoTime();
            final NoRouteToHostException onLink = assertThrows(NoRouteToHostException.class,
                () -> s.a.connect("10.0.0.77", 80, Duration.ofSeconds(30)));
            final long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMs >= 400 && waitedMs < 10_000, "after the ARP retries: " + waitedMs + " ms");
            assertTrue(onLink.getMessage().contains("did not answer ARP"), onLink.getMessage());
            final NoRouteToHostException viaGateway = assertThrows(NoRouteToHostException.class,
                () -> s.a.connect("192.168.1.1", 80, Duration.ofSeconds(30)));
            assertTrue(viaGateway.getMessage().contains("the gateway 10.0.0.254"), viaGateway.getMessage());
            // the stack is fine afterwards
            final TcpServerSocket server = s.b.listen(7);
            s.a.connect("10.0.0.2", 7, Duration.ofSeconds(5)).close();
            server.close();
        }
    }
}
