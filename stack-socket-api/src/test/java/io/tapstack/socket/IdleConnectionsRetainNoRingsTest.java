package io.tapstack.socket;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection holds its socket rings only while bytes move: none from the start, rings while data flows, and
 * none again once it has gone idle (the sweep gives empty rings back); the next bytes take rings again and arrive
 * intact. Asserted on the bytes each stack's sockets hold ({@link SocketStack#ringBytesHeld()}), not on time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleConnectionsRetainNoRingsTest
{
    private static final int CONNECTIONS = 100;
    private static final long SWEEP_NS = TimeUnit.MILLISECONDS.toNanos(5);

    @Test
    void idleConnectionsHoldNoRingsAndTakeThemAgainForTheNextBytes() throws Exception
    {
        final SocketConfig sockets = new SocketConfig().ringIdleReleaseNs(SWEEP_NS);
        try (MemoryStacks s = new MemoryStacks(c -> c, sockets, new SocketConfig().ringIdleReleaseNs(SWEEP_NS)))
        {
            final TcpServerSocket listener = s.b.listen(7);
            final List<TcpSocket> clients = new ArrayList<>();
            final List<TcpSocket> servers = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++)
            {
                clients.add(s.a.connect(B_IP, 7, Duration.ofSeconds(5)));
                servers.add(listener.accept(Duration.ofSeconds(5)));
            }
            // connected and silent: nothing taken yet
            assertEquals(0, s.a.ringBytesHeld(), "rings of connections that never moved a byte (A)");
            assertEquals(0, s.b.ringBytesHeld(), "rings of connections that never moved a byte (B)");

            exchange(clients, servers, (byte)1);
            assertTrue(s.a.ringBytesHeld() > 0 || s.b.ringBytesHeld() > 0, "bytes moved through rings");
            await(() -> s.a.ringBytesHeld() == 0 && s.b.ringBytesHeld() == 0, () -> "rings still held after idle: A "
                + s.a.ringBytesHeld() + ", B " + s.b.ringBytesHeld());
            final long tcpBytesPerConnection = s.b.counters().get(Counter.TCP_MEMORY_BYTES) / CONNECTIONS;
            System.out.println("idle: 0 ring bytes per connection; TCP's buffers hold " + tcpBytesPerConnection
                + " bytes per connection on the accepting side");

            // the next bytes take rings again, and arrive whole
            exchange(clients, servers, (byte)2);
            await(() -> s.a.ringBytesHeld() == 0 && s.b.ringBytesHeld() == 0, () -> "rings held after the second "
                + "exchange: A " + s.a.ringBytesHeld() + ", B " + s.b.ringBytesHeld());
        }
    }

    /** Each client sends 20 KB (more than a ring record), each server echoes it back; both read it whole. */
    private static void exchange(final List<TcpSocket> clients, final List<TcpSocket> servers, final byte fill)
        throws IOException
    {
        final byte[] data = new byte[20_000];
        Arrays.fill(data, fill);
        for (int i = 0; i < clients.size(); i++)
        {
            final TcpSocket c = clients.get(i);
            final TcpSocket server = servers.get(i);
            c.write(data, 0, data.length);
            final byte[] got = server.getInputStream().readNBytes(data.length);
            server.write(got, 0, got.length);
            assertArrayEquals(data, c.getInputStream().readNBytes(data.length));
        }
    }

    private static void await(final BooleanSupplier condition, final java.util.function.Supplier<String> message)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, message);
            Thread.sleep(5);
        }
    }
}
