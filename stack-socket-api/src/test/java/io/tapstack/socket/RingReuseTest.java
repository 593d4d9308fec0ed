package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections opened and closed one after another over the in-memory link take the rings the closed ones gave
 * back (each stack allocates only the two rings of one connection, not two per connection), and the bytes through
 * a reused ring arrive intact: no record a closed connection left unread (its end of stream) reaches the next.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RingReuseTest
{
    private static final int CONNECTIONS = 40;
    /** More than one ring record (an eighth of the default 64 KiB ring), so a read crosses records. */
    private static final int BYTES = 20_000;

    @Test
    void connectionsInSequenceReuseTheRingsOfClosedOnes() throws Exception
    {
        // a long idle period: only closing gives rings back here, and the pool does not shrink between connections
        final long idle = TimeUnit.MINUTES.toNanos(1);
        try (MemoryStacks s = new MemoryStacks(c -> c, new SocketConfig().ringIdleReleaseNs(idle),
            new SocketConfig().ringIdleReleaseNs(idle)))
        {
            final TcpServerSocket listener = s.b.listen(7);
            for (int i = 0; i < CONNECTIONS; i++)
            {
                echoOnceAndClose(s, listener, i);
                await(() -> s.a.ringBytesHeld() == 0 && s.b.ringBytesHeld() == 0, () -> "rings still held after "
                    + "closing: A " + s.a.ringBytesHeld() + ", B " + s.b.ringBytesHeld());
            }
            for (final SocketStack stack : new SocketStack[] {s.a, s.b})
            {
                final RingPool pool = stack.ringPool();
                assertEquals(2, pool.allocated(), "rings allocated: one connection's send and receive ring");
                assertEquals(2L * (CONNECTIONS - 1), pool.reused(), "rings reused");
                assertEquals(2L * RingPool.bytesOf(64 * 1024), pool.pooledBytes(), "the two rings wait in the pool");
            }
            System.out.println(CONNECTIONS + " connections: " + s.b.ringPool().allocated() + " rings allocated, "
                + s.b.ringPool().reused() + " reused (accepting side)");
        }
    }

    @Test
    void anIdleStackKeepsNoPooledRings() throws Exception
    {
        final long idle = TimeUnit.MILLISECONDS.toNanos(5);
        try (MemoryStacks s = new MemoryStacks(c -> c, new SocketConfig().ringIdleReleaseNs(idle),
            new SocketConfig().ringIdleReleaseNs(idle)))
        {
            final TcpServerSocket listener = s.b.listen(7);
            for (int i = 0; i < 3; i++)
            {
                echoOnceAndClose(s, listener, i);
            }
            await(() -> s.a.ringBytesHeld() + s.a.ringPool().pooledBytes() + s.b.ringBytesHeld()
                + s.b.ringPool().pooledBytes() == 0, () -> "ring bytes after idle: A held " + s.a.ringBytesHeld()
                + " pooled " + s.a.ringPool().pooledBytes() + ", B held " + s.b.ringBytesHeld() + " pooled "
                + s.b.ringPool().pooledBytes());
        }
    }

    /** The client sends a pattern of its own, the server echoes it, both close (the server's end of stream unread). */
    private static void echoOnceAndClose(final MemoryStacks s, final TcpServerSocket listener, final int n)
        throws IOException
    {
        final byte[] data = new byte[BYTES];
        for (int j = 0; j < data.length; j++)
        {
            data[j] = (byte)(n * 31 + j * 7);
        }
        final TcpSocket client = s.a.connect(B_IP, 7, Duration.ofSeconds(5));
        final TcpSocket server = listener.accept(Duration.ofSeconds(5));
        client.write(data, 0, data.length);
        final byte[] got = server.getInputStream().readNBytes(data.length);
        assertArrayEquals(data, got, "server read of connection " + n);
        server.write(got, 0, got.length);
        assertArrayEquals(data, client.getInputStream().readNBytes(data.length), "client read of connection " + n);
        client.close();
        server.close();
    }

    private static void await(final BooleanSupplier condition, final Supplier<String> message)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, message);
            Thread.sleep(2);
        }
    }
}
