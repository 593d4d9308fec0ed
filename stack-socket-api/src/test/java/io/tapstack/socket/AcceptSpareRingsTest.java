package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

/**
 * The rings of an accepted socket are made ahead by the application's accepting thread (one pair for each socket it
 * takes), so that the stack thread does not allocate them on its accept path; each pair serves one socket only.
 */
@Timeout(60)
class AcceptSpareRingsTest
{
    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void afterTheFirstAcceptTheStackThreadTakesRingsMadeAheadAndEverySocketKeepsItsOwn() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7, 16, SocketOptions.defaults().receiveBufferBytes(5000));
            final List<TcpSocket> clients = new ArrayList<>();
            final List<TcpSocket> servers = new ArrayList<>();
            for (int i = 0; i < 20; i++)
            {
                // one at a time: the spare made by accept i is there when connection i + 1 completes
                clients.add(s.a.connect(B_IP, 7, WAIT, SocketOptions.defaults()));
                servers.add(listener.accept(WAIT));
            }
            assertEquals(1, listener.acceptsAllocatingRings(), "only the first accept found no spare");
            assertEquals(19, listener.acceptsWithSpareRings());
            assertNotSame(servers.get(0).receiveRing, servers.get(1).receiveRing);
            // the listener's options size the spares too: 5000 rounds up to the next power of two
            assertEquals(8192, servers.get(19).receiveRing.capacity());
            // every connection at once, each its own bytes: a pair shared by two sockets would mix them
            final List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < clients.size(); i++)
            {
                final byte[] data = random(30_000, i);
                sent.add(data);
                clients.get(i).writeAsync(data, 0, data.length);
            }
            for (int i = 0; i < servers.size(); i++)
            {
                final TcpSocket server = servers.get(i);
                server.readTimeout(WAIT);
                assertArrayEquals(sent.get(i), server.getInputStream().readNBytes(sent.get(i).length), "socket " + i);
            }
            closeAll(clients);
            closeAll(servers);
        }
    }

    @Test
    void theSparesAreBoundedInCountAndInDirectMemory()
    {
        assertEquals(TcpServerSocket.MAX_SPARE_RINGS, TcpServerSocket.spareRingsCapacity(
            SocketRings.bytes(4096, 4096)));
        // 1 MiB over two 128 KiB rings and their trailers: 3, not 4
        assertEquals(3, TcpServerSocket.spareRingsCapacity(SocketRings.bytes(128 * 1024, 128 * 1024)));
        assertEquals(2, TcpServerSocket.spareRingsCapacity(SocketRings.bytes(1 << 20, 1 << 20)));
    }

    private static void closeAll(final List<TcpSocket> sockets) throws IOException
    {
        for (final TcpSocket c : sockets)
        {
            c.close();
        }
    }

    private static byte[] random(final int n, final long seed)
    {
        final byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
