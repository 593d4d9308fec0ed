package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.tapstack.socket.MemoryStacks.A_IP;
import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blocked callers wake on a signal only (no re-check timer), so a path that changes a socket's readiness without
 * signalling hangs a caller for good. This hunts such lost wake-ups: many threads at once, each a random series of
 * one caller blocked (a read, a write into full rings, both at once, blocking or async, an accept, a UDP receive)
 * and one event that must end its wait (the peer's data, FIN or RST, the peer draining the rings, a close, abort or
 * half-close by another thread), fired after a random delay so that it lands before, during or after the caller
 * blocks. No call has a timeout of its own: each waiter must return within a generous bound after its event, or the
 * test fails naming the scenario and the seed. Bounded in time ({@code tapstack.wakeup.seconds}, default 6 s).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReadinessWakeUpStressTest
{
    private static final int THREADS = 8;
    /** Generous: a wait that outlives its event by this much is a lost wake-up, not a slow machine. */
    private static final long BOUND_MS = 15_000;
    /** More than the send ring and TCP's send buffer and the peer's receive buffer and ring hold together. */
    private static final int BIG_WRITE = 1 << 20;

    private enum Waiter
    {
        READ, READ_ASYNC, WRITE, WRITE_ASYNC, READ_AND_WRITE, ACCEPT, UDP_RECEIVE
    }

    private enum Event
    {
        PEER_DATA, PEER_FIN, PEER_ABORT, PEER_DRAINS, CLOSE, ABORT, SHUTDOWN_OUTPUT, CONNECT, CLOSE_LISTENER,
        DATAGRAM, CLOSE_UDP
    }

    @Test
    void everyBlockedCallerReturnsOnceAnEventMadeItReady() throws Exception
    {
        final long seconds = Long.getLong("tapstack.wakeup.seconds", 6);
        final long baseSeed = Long.getLong("tapstack.wakeup.seed", System.nanoTime());
        final Map<String, AtomicLong> played = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        // rings given back after 1 ms idle: a wake-up must not be lost when a ring goes or comes either
        try (MemoryStacks s = new MemoryStacks(c -> c, SocketStressTest.fastSweep(), SocketStressTest.fastSweep()))
        {
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++)
            {
                final long seed = baseSeed + t;
                final int port = 1000 + t;
                final Thread thread = new Thread(() ->
                {
                    final Random random = new Random(seed);
                    try (TcpServerSocket listener = s.b.listen(port))
                    {
                        while (System.nanoTime() < end && failures.isEmpty())
                        {
                            final String scenario = oneScenario(s, listener, port, random);
                            played.computeIfAbsent(scenario, k -> new AtomicLong()).incrementAndGet();
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failures.add("seed " + seed + ": " + ex);
                        ex.printStackTrace();
                    }
                }, "wakeup-" + t);
                threads.add(thread);
                thread.start();
            }
            for (final Thread thread : threads)
            {
                thread.join(TimeUnit.SECONDS.toMillis(seconds) + 4 * BOUND_MS);
                assertTrue(!thread.isAlive(), thread.getName() + " hangs (base seed " + baseSeed + ")");
            }
        }
        assertTrue(failures.isEmpty(), failures.toString());
        System.out.println("wake-up stress: " + played);
        // every pairing was played: the random choice covers them in a few seconds
        assertTrue(played.size() >= 18, "too few kinds of scenario played: " + played.keySet());
    }

    /** Idle blocked readers wait without waking: a re-check poll would show here as wake-ups. */
    @Test
    void idleBlockedReadersCauseNoWakeUps() throws Exception
    {
        final int readers = 50;
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final List<TcpSocket> clients = new ArrayList<>();
            final List<TcpSocket> servers = new ArrayList<>();
            for (int i = 0; i < readers; i++)
            {
                clients.add(s.a.connect(B_IP, 7, Duration.ofSeconds(5)));
                servers.add(listener.accept(Duration.ofSeconds(5)));
            }
            final List<Thread> threads = new ArrayList<>();
            final AtomicLong bytesRead = new AtomicLong();
            for (final TcpSocket c : clients)
            {
                final Thread reader = new Thread(() ->
                {
                    try
                    {
                        bytesRead.addAndGet(c.read(new byte[16], 0, 16));
                    }
                    catch (final IOException ex)
                    {
                        throw new RuntimeException(ex);
                    }
                });
                reader.setDaemon(true);
                reader.start();
                threads.add(reader);
            }
            awaitAllWaiting(threads);
            final long wakeupsBefore = s.a.blockedWakeups();
            final long parksBefore = s.runner.parks();
            // the one use of time here: an idle period in which a poll every 20 ms would have woken each reader
            // 25 times (1,250 wake-ups), and the stack thread with a 100 ms cap 5 times
            Thread.sleep(500);
            assertEquals(0, s.a.blockedWakeups() - wakeupsBefore, "wake-ups of idle blocked readers");
            assertTrue(s.runner.parks() - parksBefore <= 2, "the stack thread parked "
                + (s.runner.parks() - parksBefore) + " times in 0.5 s with nothing to do (max park "
                + s.runner.backoff() + ")");
            for (final TcpSocket c : servers)
            {
                c.getOutputStream().write(1);
            }
            for (final Thread reader : threads)
            {
                reader.join(BOUND_MS);
                assertTrue(!reader.isAlive(), "a reader did not wake on its data");
            }
            assertEquals(readers, bytesRead.get());
            assertTrue(s.a.blockedWakeups() - wakeupsBefore <= 2L * readers, "more wake-ups than signals");
        }
    }

    private static void awaitAllWaiting(final List<Thread> threads) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND_MS);
        for (final Thread t : threads)
        {
            while (t.getState() != Thread.State.WAITING)
            {
                assertTrue(System.nanoTime() < deadline, "a reader never blocked: " + t.getState());
                Thread.sleep(5);
            }
        }
    }

    /** One random waiter and one event that must end its wait; returns the scenario's name. */
    private static String oneScenario(final MemoryStacks s, final TcpServerSocket listener, final int port,
        final Random random) throws Exception
    {
        final Waiter waiter = Waiter.values()[random.nextInt(Waiter.values().length)];
        switch (waiter)
        {
            case ACCEPT ->
            {
                return acceptScenario(s, listener, port, random);
            }
            case UDP_RECEIVE ->
            {
                return udpScenario(s, random);
            }
            default ->
            {
            }
        }
        final TcpSocket x = s.a.connect(B_IP, port, Duration.ofSeconds(10));
        final TcpSocket peer = listener.accept(Duration.ofSeconds(10));
        final Event event = pick(random, switch (waiter)
        {
            case READ, READ_ASYNC -> new Event[] {Event.PEER_DATA, Event.PEER_FIN, Event.PEER_ABORT, Event.CLOSE,
                Event.ABORT};
            case WRITE, WRITE_ASYNC -> new Event[] {Event.PEER_DRAINS, Event.PEER_ABORT, Event.CLOSE, Event.ABORT,
                Event.SHUTDOWN_OUTPUT};
            default -> new Event[] {Event.PEER_ABORT, Event.CLOSE, Event.ABORT};
        });
        final String name = waiter + "/" + event;
        final List<CompletableFuture<?>> waits = new ArrayList<>();
        if (waiter == Waiter.READ || waiter == Waiter.READ_AND_WRITE)
        {
            waits.add(inThread(() -> x.read(new byte[64], 0, 64)));
        }
        if (waiter == Waiter.READ_ASYNC)
        {
            waits.add(x.readAsync(new byte[64], 0, 64));
        }
        if (waiter == Waiter.WRITE || waiter == Waiter.READ_AND_WRITE)
        {
            waits.add(inThread(() ->
            {
                x.write(new byte[BIG_WRITE], 0, BIG_WRITE);
                return BIG_WRITE;
            }));
        }
        if (waiter == Waiter.WRITE_ASYNC)
        {
            waits.add(x.writeAsync(new byte[BIG_WRITE], 0, BIG_WRITE));
        }
        randomDelay(random);
        switch (event)
        {
            case PEER_DATA -> peer.getOutputStream().write(new byte[1 + random.nextInt(100)]);
            case PEER_FIN -> peer.shutdownOutput();
            case PEER_ABORT -> peer.abort();
            case PEER_DRAINS -> drain(peer, BIG_WRITE, name);
            case CLOSE -> x.close();
            case ABORT -> x.abort();
            case SHUTDOWN_OUTPUT -> x.shutdownOutput();
            default -> throw new AssertionError(event);
        }
        for (final CompletableFuture<?> wait : waits)
        {
            awaitEnd(wait, name, x);
        }
        x.abort();
        peer.abort();
        return name;
    }

    private static String acceptScenario(final MemoryStacks s, final TcpServerSocket shared, final int port,
        final Random random) throws Exception
    {
        final boolean closeIt = random.nextBoolean();
        final TcpServerSocket listener = closeIt ? s.b.listen(0) : shared;
        final CompletableFuture<TcpSocket> accepted = random.nextBoolean() ? listener.acceptAsync()
            : inThread(listener::accept);
        randomDelay(random);
        TcpSocket client = null;
        if (closeIt)
        {
            listener.close();
        }
        else
        {
            client = s.a.connect(B_IP, port, Duration.ofSeconds(10));
        }
        final String name = "ACCEPT/" + (closeIt ? Event.CLOSE_LISTENER : Event.CONNECT);
        awaitEnd(accepted, name, null);
        if (client != null)
        {
            client.abort();
            accepted.get().abort();
        }
        return name;
    }

    private static String udpScenario(final MemoryStacks s, final Random random) throws Exception
    {
        final UdpSocket receiver = s.b.bindUdp(0);
        final CompletableFuture<UdpSocket.Datagram> received = random.nextBoolean() ? receiver.receiveAsync()
            : inThread(() -> receiver.receive(null));
        randomDelay(random);
        final boolean send = random.nextBoolean();
        if (send)
        {
            try (UdpSocket sender = s.a.bindUdp(0))
            {
                sender.send(B_IP, receiver.localPort(), new byte[8], 0, 8);
            }
        }
        else
        {
            receiver.close();
        }
        final String name = "UDP_RECEIVE/" + (send ? Event.DATAGRAM : Event.CLOSE_UDP);
        awaitEnd(received, name, null);
        receiver.close();
        return name;
    }

    private static Event pick(final Random random, final Event[] events)
    {
        return events[random.nextInt(events.length)];
    }

    /** Before, while or after the caller blocks: nothing, a few yields, or up to 3 ms. */
    private static void randomDelay(final Random random)
    {
        switch (random.nextInt(3))
        {
            case 0 ->
            {
            }
            case 1 ->
            {
                for (int i = random.nextInt(50); i > 0; i--)
                {
                    Thread.yield();
                }
            }
            default -> LockSupport.parkNanos(random.nextInt(3_000_000));
        }
    }

    private static void drain(final TcpSocket peer, final int bytes, final String name) throws IOException
    {
        final byte[] sink = new byte[32 * 1024];
        int total = 0;
        while (total < bytes)
        {
            final int n = peer.read(sink, 0, sink.length);
            if (n < 0)
            {
                throw new AssertionError(name + ": end of stream after " + total);
            }
            total += n;
        }
    }

    /** The waiter returned (any result or failure) within the bound. */
    private static void awaitEnd(final CompletableFuture<?> wait, final String name, final TcpSocket socket)
        throws InterruptedException
    {
        try
        {
            wait.get(BOUND_MS, TimeUnit.MILLISECONDS);
        }
        catch (final java.util.concurrent.TimeoutException ex)
        {
            throw new AssertionError(name + ": the waiter never woke" + (socket == null ? "" : ": "
                + socket.describe()));
        }
        catch (final java.util.concurrent.ExecutionException ex)
        {
            // a failure is a way to return: a reset, a close, an abort
        }
    }

    @FunctionalInterface
    private interface Call<T>
    {
        T call() throws Exception;
    }

    /** A blocking call in a thread of its own, as a future. */
    private static <T> CompletableFuture<T> inThread(final Call<T> call)
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final Thread t = new Thread(() ->
        {
            try
            {
                result.complete(call.call());
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        }, "blocked-caller");
        t.setDaemon(true);
        t.start();
        return result;
    }
}
