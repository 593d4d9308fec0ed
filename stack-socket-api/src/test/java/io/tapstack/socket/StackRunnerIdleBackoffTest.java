package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack thread's idle strategy, by counting: while it spins, a call an application queues is taken by the next
 * duty cycle without waking the thread; when it parks at once, calls must wake it; a bad setting is refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StackRunnerIdleBackoffTest
{
    private static final int ROUND_TRIPS = 300;

    @Test
    void aSpinningStackThreadTakesQueuedCallsWithoutBeingWoken() throws Exception
    {
        final CountingIdler idler = new CountingIdler();
        // spins long enough to cover any gap between two round trips: it should never reach its park
        final IdleBackoff spinning = new IdleBackoff(1_000_000, 1_000_000, TimeUnit.SECONDS.toNanos(1));
        try (MemoryStacks s = new MemoryStacks(c -> c, new SocketConfig(), new SocketConfig(), idler, spinning))
        {
            pingPong(s);
            assertEquals(0, s.runner.parks(), "parks while spinning");
            assertEquals(0, idler.wakeups.get(), "wake-ups of a thread that never sleeps");
        }
    }

    @Test
    void aStackThreadThatParksAtOnceIsWokenByQueuedCalls() throws Exception
    {
        final CountingIdler idler = new CountingIdler();
        try (MemoryStacks s = new MemoryStacks(c -> c, new SocketConfig(), new SocketConfig(), idler,
            IdleBackoff.parkAtOnce()))
        {
            pingPong(s);
            assertTrue(s.runner.parks() > 0, "a thread that never spins parks between round trips");
            assertTrue(idler.wakeups.get() > 0, "and a queued call wakes it");
        }
    }

    @Test
    void refusesSettingsOutOfRange()
    {
        assertThrows(IllegalArgumentException.class, () -> new IdleBackoff(-1, 0, 1_000_000));
        assertThrows(IllegalArgumentException.class, () -> new IdleBackoff(0, 1_000_001, 1_000_000));
        assertThrows(IllegalArgumentException.class, () -> new IdleBackoff(0, 0, 999));
        assertThrows(IllegalArgumentException.class, () -> new IdleBackoff(0, 0, TimeUnit.SECONDS.toNanos(61)));
    }

    /** Small request/response round trips, each a command (a write) queued by an application thread. */
    private static void pingPong(final MemoryStacks s) throws Exception
    {
        final SocketOptions noDelay = SocketOptions.defaults().nagle(false);
        final TcpServerSocket listener = s.b.listen(7, noDelay);
        final TcpSocket client = s.a.connect(B_IP, 7, Duration.ofSeconds(5), noDelay);
        final TcpSocket server = listener.accept(Duration.ofSeconds(5));
        final Thread echo = new Thread(() ->
        {
            final byte[] buffer = new byte[256];
            try
            {
                int n;
                while ((n = server.read(buffer, 0, buffer.length)) > 0)
                {
                    server.write(buffer, 0, n);
                }
            }
            catch (final IOException ended)
            {
            }
        });
        echo.setDaemon(true);
        echo.start();
        final InputStream in = client.getInputStream();
        final OutputStream out = client.getOutputStream();
        final byte[] message = new byte[32];
        client.readTimeout(Duration.ofSeconds(10));
        for (int i = 0; i < ROUND_TRIPS; i++)
        {
            out.write(message);
            assertEquals(32, in.readNBytes(message, 0, 32));
        }
        client.close();
    }

    /** Parks as {@link Idler#parking()} does, counting the wake-ups it is asked for. */
    private static final class CountingIdler implements Idler
    {
        final AtomicLong wakeups = new AtomicLong();
        private final Idler inner = Idler.parking();

        @Override
        public void idle(final long timeoutNs)
        {
            inner.idle(timeoutNs);
        }

        @Override
        public void wakeup()
        {
            wakeups.incrementAndGet();
            inner.wakeup();
        }
    }
}
