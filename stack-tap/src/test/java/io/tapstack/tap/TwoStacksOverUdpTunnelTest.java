package io.tapstack.tap;

import io.tapstack.socket.TcpServerSocket;
import io.tapstack.socket.TcpSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two stacks in this JVM, each on its own thread, linked by a UDP tunnel over 127.0.0.1 (no root, no TAP): ping
 * both ways, then 10 MB over TCP arrive intact (SHA-256 of what was sent and what was read).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TwoStacksOverUdpTunnelTest
{
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int BYTES = 10 * 1024 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static int freePort() throws IOException
    {
        try (DatagramChannel c = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0)))
        {
            return ((InetSocketAddress)c.getLocalAddress()).getPort();
        }
    }

    @Test
    void pingBothWaysAndTenMegabytesOfTcpIntact() throws Exception
    {
        final int portA = freePort();
        final int portB = freePort();
        final UdpTunnelDevice linkA = UdpTunnelDevice.open(portA, new InetSocketAddress(LOOPBACK, portB), 1500);
        final UdpTunnelDevice linkB = UdpTunnelDevice.open(portB, new InetSocketAddress(LOOPBACK, portA), 1500);
        try (TapStack a = TapStack.builder().link(linkA).ip("10.77.0.1/24").seed(1).start();
            TapStack b = TapStack.builder().link(linkB).ip("10.77.0.2/24").seed(2).start())
        {
            assertTrue(a.tapName().startsWith("udp-tunnel " + portA), a.tapName());
            a.sockets().ping().echo("10.77.0.2", TIMEOUT);
            b.sockets().ping().echo("10.77.0.1", TIMEOUT);

            final byte[] data = new byte[BYTES];
            new Random(42).nextBytes(data);
            final byte[] sentDigest = MessageDigest.getInstance("SHA-256").digest(data);
            try (TcpServerSocket server = b.sockets().listen(5001))
            {
                final CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() ->
                {
                    try (TcpSocket s = server.accept(TIMEOUT))
                    {
                        s.readTimeout(TIMEOUT);
                        final MessageDigest digest = MessageDigest.getInstance("SHA-256");
                        final InputStream in = s.getInputStream();
                        final byte[] chunk = new byte[65536];
                        long total = 0;
                        int n;
                        while ((n = in.read(chunk)) > 0)
                        {
                            digest.update(chunk, 0, n);
                            total += n;
                        }
                        assertEquals(BYTES, total);
                        return digest.digest();
                    }
                    catch (final Exception ex)
                    {
                        throw new IllegalStateException(ex);
                    }
                });
                try (TcpSocket client = a.sockets().connect("10.77.0.2", 5001, TIMEOUT))
                {
                    final OutputStream out = client.getOutputStream();
                    for (int off = 0; off < BYTES; off += 65536)
                    {
                        out.write(data, off, Math.min(65536, BYTES - off));
                    }
                    client.shutdownOutput();
                    assertArrayEquals(sentDigest, received.get(60, TimeUnit.SECONDS));
                }
            }
            assertTrue(linkA.framesTransmitted() > BYTES / 1500, linkA.describe());
            assertEquals(0, linkA.malformedReceived() + linkA.foreignReceived(), linkA.describe());
            assertEquals(0, linkB.malformedReceived() + linkB.foreignReceived(), linkB.describe());
        }
    }
}
