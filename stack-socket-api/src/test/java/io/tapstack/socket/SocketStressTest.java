package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many application threads at once, each a random life of connections against an echo server: writes of random
 * sizes (1 byte to 200 KB, blocking or async), reads of random sizes, half-closes, closes, aborts in the middle.
 * Every byte echoed must equal what was written; nothing may hang (each step has a deadline); aborted
 * connections must fail, not hang. Rings are given back after 1 ms idle, so that giving back and taking again
 * races with every read and write. Bounded in time ({@code tapstack.stress.seconds}, default 8 s), seeded per
 * thread; a failure names the thread's seed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SocketStressTest
{
    private static final int THREADS = 12;

    @Test
    void randomConcurrentLivesOfConnectionsEchoExactlyAndNeverHang() throws Exception
    {
        final long seconds = Long.getLong("tapstack.stress.seconds", 8);
        final long baseSeed = Long.getLong("tapstack.stress.seed", System.nanoTime());
        // thousands of connections a second: a short TIME-WAIT keeps them within maxTimeWait (beyond it a
        // connection would skip TIME-WAIT, which is fine too, but this exercises the normal path)
        try (MemoryStacks s = new MemoryStacks(c ->
        {
            c.tcp().timeWaitNs(TimeUnit.MILLISECONDS.toNanos(200));
            return c;
        }, fastSweep(), fastSweep()))
        {
            final TcpServerSocket listener = s.b.listen(7);
            final Thread acceptor = new Thread(() -> serve(listener), "acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
            final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            final AtomicLong bytes = new AtomicLong();
            final AtomicLong connections = new AtomicLong();
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++)
            {
                final long seed = baseSeed + t;
                final Thread thread = new Thread(() ->
                {
                    final Random random = new Random(seed);
                    try
                    {
                        while (System.nanoTime() < end && failures.isEmpty())
                        {
                            bytes.addAndGet(oneConnection(s, random));
                            connections.incrementAndGet();
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failures.add("seed " + seed + ": " + ex);
                        ex.printStackTrace();
                    }
                }, "stress-" + t);
                threads.add(thread);
                thread.start();
            }
            for (final Thread thread : threads)
            {
                thread.join(TimeUnit.SECONDS.toMillis(seconds + 60));
                assertTrue(!thread.isAlive(), thread.getName() + " hangs (base seed " + baseSeed + ")");
            }
            assertTrue(failures.isEmpty(), failures.toString());
            assertTrue(connections.get() > THREADS, "only " + connections.get() + " connections");
            // every connection ended (closed, aborted, reset) leaves no socket behind: only the listener remains
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((s.a.openSockets() != 0 || s.b.openSockets() != 1) && System.nanoTime() < deadline)
            {
                Thread.sleep(50);
            }
            assertTrue(s.a.openSockets() == 0 && s.b.openSockets() == 1, "sockets left: A " + s.a.openSockets()
                + ", B " + s.b.openSockets() + " (B's listener is one)");
            System.out.println("stress: " + connections.get() + " connections, " + bytes.get()
                + " bytes echoed, base seed " + baseSeed);
        }
    }

    /** Idle rings given back after 1 ms: connections stall often enough to give back and take rings many times. */
    static SocketConfig fastSweep()
    {
        return new SocketConfig().ringIdleReleaseNs(TimeUnit.MILLISECONDS.toNanos(1));
    }

    /** One connection's random life; returns the bytes verified. */
    private static long oneConnection(final MemoryStacks s, final Random random) throws Exception
    {
        final TcpSocket c = s.a.connect(B_IP, 7, Duration.ofSeconds(10));
        c.readTimeout(Duration.ofSeconds(20));
        final int length = random.nextInt(10) == 0 ? random.nextInt(200_000) + 1 : random.nextInt(5_000) + 1;
        final byte[] data = new byte[length];
        random.nextBytes(data);
        final int ending = random.nextInt(10); // 0: abort midway, 1: close without reading, else a clean end
        final boolean async = random.nextBoolean();
        final Thread writer = new Thread(() ->
        {
            try
            {
                int done = 0;
                while (done < length)
                {
                    final int n = Math.min(length - done, 1 + random(done, 30_000));
                    if (async)
                    {
                        c.writeAsync(data, done, n).get(20, TimeUnit.SECONDS);
                    }
                    else
                    {
                        c.getOutputStream().write(data, done, n);
                    }
                    done += n;
                }
                c.shutdownOutput();
            }
            catch (final Exception ex)
            {
                // an abort or close by the reader side ends the writer too
            }
        });
        writer.start();
        final byte[] got = new byte[length];
        int total = 0;
        final InputStream in = c.getInputStream();
        try
        {
            if (ending == 0 || ending == 1)
            {
                final int stopAt = random.nextInt(length);
                while (total < stopAt)
                {
                    final int n = in.read(got, total, Math.min(stopAt - total, 1 + random.nextInt(20_000)));
                    if (n < 0)
                    {
                        break;
                    }
                    total += n;
                }
                if (ending == 0)
                {
                    c.abort();
                }
                else
                {
                    c.close();
                }
                writer.join(20_000);
                if (writer.isAlive())
                {
                    throw new AssertionError("the writer hangs after " + (ending == 0 ? "abort" : "close"));
                }
                verify(data, got, total);
                return total;
            }
            while (total < length)
            {
                final int n = async
                    ? c.readAsync(got, total, Math.min(length - total, 1 + random.nextInt(20_000))).get(20, TimeUnit.SECONDS)
                    : in.read(got, total, Math.min(length - total, 1 + random.nextInt(20_000)));
                if (n < 0)
                {
                    throw new AssertionError("end of stream after " + total + " of " + length);
                }
                total += n;
            }
            if (in.read() != -1)
            {
                throw new AssertionError("more than was written");
            }
            writer.join(20_000);
            verify(data, got, total);
            c.close();
            return total;
        }
        catch (final SocketException ex)
        {
            throw new AssertionError("connection failed after " + total + " of " + length + ": " + c.describe(), ex);
        }
        catch (final java.util.concurrent.TimeoutException | java.net.SocketTimeoutException ex)
        {
            throw new AssertionError("stalled after " + total + " of " + length + " (async " + async + "): "
                + c.describe() + "\nA " + s.a.counters().describeNonZero() + "\nB " + s.b.counters().describeNonZero(), ex);
        }
    }

    private static int random(final int salt, final int bound)
    {
        return (int)((salt * 2654435761L >>> 7) % bound);
    }

    private static void verify(final byte[] data, final byte[] got, final int total)
    {
        if (!Arrays.equals(data, 0, total, got, 0, total))
        {
            throw new AssertionError("the echo differs from what was written within the first " + total + " bytes");
        }
    }

    private static void serve(final TcpServerSocket listener)
    {
        try
        {
            while (true)
            {
                final TcpSocket c = listener.accept();
                final Thread t = new Thread(() ->
                {
                    final byte[] buffer = new byte[16 * 1024];
                    try
                    {
                        final InputStream in = c.getInputStream();
                        final OutputStream out = c.getOutputStream();
                        int n;
                        while ((n = in.read(buffer)) > 0)
                        {
                            out.write(buffer, 0, n);
                        }
                        c.shutdownOutput();
                        c.closeAfterDraining(Duration.ofSeconds(5));
                    }
                    catch (final IOException ex)
                    {
                        c.abort(); // the client aborted or closed early
                    }
                });
                t.setDaemon(true);
                t.start();
            }
        }
        catch (final IOException ended)
        {
            // the stack closed
        }
    }
}
