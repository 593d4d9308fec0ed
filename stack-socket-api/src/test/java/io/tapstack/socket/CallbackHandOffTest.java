package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How many thread hand-offs a request-response exchange in the non-blocking style costs: an echo server that
 * reads, writes what it read, and reads again, with a client that sends one request at a time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CallbackHandOffTest
{
    private static final int REQUESTS = 300;

    @Test
    void aRequestCostsOneExecutorTaskWhenTheWriteRunsInTheReadCallbacksThread() throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(2);
        final AtomicInteger tasks = new AtomicInteger();
        final SocketConfig counted = new SocketConfig().callbackExecutor(r ->
        {
            tasks.incrementAndGet();
            pool.execute(r);
        });
        try (MemoryStacks s = new MemoryStacks(c -> c, new SocketConfig(), counted))
        {
            final TcpServerSocket listener = s.b.listen(7, SocketOptions.defaults().nagle(false));
            final Echo echo = new Echo();
            listener.acceptAsync().thenAccept(echo::start);
            final TcpSocket client = s.a.connect(B_IP, 7, java.time.Duration.ofSeconds(5));
            exchange(client, REQUESTS / 10); // connected and warm
            final int before = tasks.get();
            exchange(client, REQUESTS);
            final int perRequest100 = (tasks.get() - before) * 100 / REQUESTS;
            // the read's callback runs on the executor (the stack thread hands it over); the write it leaves runs
            // in that thread, and the next read runs in the same loop; the response leaving the send ring wakes
            // nobody: one task per request, where each of the three used to be one
            assertTrue(perRequest100 <= 120, "executor tasks per 100 requests: " + perRequest100);
            client.close();
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    @Test
    void directCallbacksRunOnTheStackThreadWithoutAnyExecutorTask() throws Exception
    {
        final AtomicInteger tasks = new AtomicInteger();
        final ExecutorService pool = Executors.newFixedThreadPool(2);
        final SocketConfig counted = new SocketConfig().callbackExecutor(r ->
        {
            tasks.incrementAndGet();
            pool.execute(r);
        });
        try (MemoryStacks s = new MemoryStacks(c -> c, new SocketConfig(), counted))
        {
            final TcpServerSocket listener = s.b.listen(7, SocketOptions.defaults().nagle(false)
                .directCallbacks(true));
            final Echo echo = new Echo();
            listener.acceptAsync().thenAccept(echo::start);
            final TcpSocket client = s.a.connect(B_IP, 7, java.time.Duration.ofSeconds(5));
            exchange(client, REQUESTS / 10);
            final int before = tasks.get();
            exchange(client, REQUESTS);
            assertEquals(before, tasks.get(), "no request went through the executor");
            assertEquals(Set.of("memory-stacks"), echo.threads, "the threads that ran the read callbacks");
            client.close();
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    @Test
    void aBlockingCallInADirectCallbackThrowsRatherThanWaitForItself() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7, SocketOptions.defaults().directCallbacks(true));
            final AtomicReference<Throwable> thrown = new AtomicReference<>();
            final byte[] buffer = new byte[64];
            listener.acceptAsync().thenAccept(server -> server.readAsync(buffer, 0, buffer.length).thenRun(() ->
            {
                try
                {
                    server.read(buffer, 0, buffer.length); // nothing more is coming: it would wait for the stack
                }
                catch (final IOException | RuntimeException ex)
                {
                    thrown.set(ex);
                }
            }));
            final TcpSocket client = s.a.connect(B_IP, 7, java.time.Duration.ofSeconds(5));
            client.write(new byte[] {1, 2, 3}, 0, 3);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (thrown.get() == null && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            assertInstanceOf(IllegalStateException.class, thrown.get());
            client.close();
        }
    }

    /** One request at a time: write, read the whole echo back. */
    private static void exchange(final TcpSocket client, final int requests) throws IOException
    {
        final byte[] request = new byte[32];
        final byte[] reply = new byte[32];
        for (int i = 0; i < requests; i++)
        {
            request[0] = (byte)i;
            client.write(request, 0, request.length);
            int got = 0;
            while (got < reply.length)
            {
                got += client.read(reply, got, reply.length - got);
            }
            assertArrayEquals(request, reply);
        }
    }

    /** Reads, writes back what it read, reads again: each step a callback of the last. */
    private static final class Echo
    {
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        private final byte[] buffer = new byte[256];
        private TcpSocket c;

        void start(final TcpSocket socket)
        {
            c = socket;
            read();
        }

        private void read()
        {
            c.readAsync(buffer, 0, buffer.length).thenAccept(n ->
            {
                if (n < 0)
                {
                    c.close();
                    return;
                }
                threads.add(Thread.currentThread().getName());
                c.writeAsync(buffer, 0, n).thenRun(this::read);
            });
        }
    }
}
