package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.tapstack.socket.MemoryStacks.A_IP;
import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpSocketTest
{
    private static final Duration CONNECT = Duration.ofSeconds(5);

    @Test
    void blockingStreamsEchoFourMegabytesIntact() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final Thread server = new Thread(() ->
            {
                try (TcpSocket c = listener.accept(Duration.ofSeconds(5)))
                {
                    final InputStream in = c.getInputStream();
                    final OutputStream out = c.getOutputStream();
                    final byte[] buf = new byte[10_000];
                    int n;
                    while ((n = in.read(buf)) > 0)
                    {
                        out.write(buf, 0, n);
                    }
                    c.shutdownOutput();
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            server.start();
            final byte[] data = random(4 << 20, 1);
            try (TcpSocket c = s.a.connect(B_IP, 7, CONNECT))
            {
                assertEquals(B_IP, c.remoteAddress());
                assertEquals(7, c.remotePort());
                assertEquals(A_IP, c.localAddress());
                assertTrue(c.localPort() >= 49152, "ephemeral port " + c.localPort());
                final Thread writer = new Thread(() ->
                {
                    try
                    {
                        c.getOutputStream().write(data);
                        c.shutdownOutput();
                    }
                    catch (final IOException ex)
                    {
                        throw new RuntimeException(ex);
                    }
                });
                writer.start();
                final byte[] back = c.getInputStream().readAllBytes();
                writer.join();
                assertArrayEquals(sha256(data), sha256(back), "echoed " + back.length + " of " + data.length);
            }
            server.join();
        }
    }

    @Test
    void inOrderBytesGoStraightIntoTheReceiveRingAndSurviveARingTooSmallForASegment() throws Exception
    {
        // a 4 KiB receive ring takes two 1460-byte segments whole and a part of the third: the rest waits in
        // TCP's buffer, and the segments behind it go through the buffer until it drains (never overtaking it)
        final SocketConfig small = new SocketConfig().tcpReceiveRingBytes(4096);
        try (MemoryStacks s = new MemoryStacks(c -> c, new SocketConfig(), small))
        {
            final TcpServerSocket listener = s.b.listen(9);
            final byte[] data = random(1 << 20, 3);
            final Thread writer = new Thread(() ->
            {
                try (TcpSocket c = s.a.connect(B_IP, 9, CONNECT))
                {
                    c.getOutputStream().write(data);
                    c.shutdownOutput();
                    c.getInputStream().readAllBytes();
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            writer.start();
            final byte[] got;
            try (TcpSocket c = listener.accept(Duration.ofSeconds(5)))
            {
                got = c.getInputStream().readAllBytes();
            }
            writer.join();
            assertArrayEquals(sha256(data), sha256(got), "every byte, in order: " + got.length + " of " + data.length);
            final io.tapstack.StackCounters counters = s.b.netStack().counters();
            final long direct = counters.get(io.tapstack.StackCounters.Counter.TCP_BYTES_DELIVERED_DIRECT);
            assertTrue(direct > 0 && direct <= data.length, "bytes that skipped TCP's buffer: " + direct);
            assertTrue(counters.get(io.tapstack.StackCounters.Counter.TCP_SEGMENTS_DELIVERED_DIRECT) > 0);
        }
    }

    @Test
    void nonBlockingStyleConnectsAcceptsReadsAndWrites() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(8080);
            final CompletableFuture<TcpSocket> accepted = listener.acceptAsync();
            final TcpSocket client = s.a.connectAsync(B_IP, 8080).get(5, TimeUnit.SECONDS);
            final TcpSocket server = accepted.get(5, TimeUnit.SECONDS);
            final byte[] hello = "hello, stack".getBytes();
            final byte[] got = new byte[64];
            final CompletableFuture<Integer> read = server.readAsync(got, 0, got.length);
            assertFalse(read.isDone(), "nothing was written yet");
            client.writeAsync(hello, 0, hello.length).get(5, TimeUnit.SECONDS);
            final int n = read.get(5, TimeUnit.SECONDS);
            assertEquals("hello, stack", new String(got, 0, n));
            // the callbacks run off the stack thread: a blocking call inside one works
            final String threadName = read.thenApply(x -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS);
            assertFalse(threadName.startsWith("memory-stacks"), threadName);
            client.shutdownOutput();
            assertEquals(-1, server.readAsync(got, 0, got.length).get(5, TimeUnit.SECONDS));
            client.close();
            server.close();
        }
    }

    @Test
    void connectToAClosedPortIsRefused() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final ConnectException ex = assertThrows(ConnectException.class, () -> s.a.connect(B_IP, 9999, CONNECT));
            assertTrue(ex.getMessage().contains("refused"), ex.getMessage());
            final ExecutionException async = assertThrows(ExecutionException.class,
                () -> s.a.connectAsync(B_IP, 9999).get(5, TimeUnit.SECONDS));
            assertInstanceOf(ConnectException.class, async.getCause());
        }
    }

    @Test
    void connectToNobodyTimesOut() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final long start = System.nanoTime();
            assertThrows(SocketTimeoutException.class,
                () -> s.a.connect(io.tapstack.wire.Ipv4Address.parse("10.0.0.77"), 80, Duration.ofMillis(300)));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        }
    }

    @Test
    void acceptAndReadTimeOut() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            assertThrows(SocketTimeoutException.class, () -> listener.accept(Duration.ofMillis(100)));
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            server.readTimeout(Duration.ofMillis(100));
            assertThrows(SocketTimeoutException.class, () -> server.getInputStream().read());
            client.getOutputStream().write(42);
            assertEquals(42, server.getInputStream().read());
        }
    }

    @Test
    void optionsGivenToListenApplyToEveryAcceptedConnection() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7, 16,
                SocketOptions.defaults().readTimeout(Duration.ofMillis(100)).nagle(false).receiveBufferBytes(5000));
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT,
                SocketOptions.defaults().nagle(false).sendBufferBytes(4096));
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            assertThrows(SocketTimeoutException.class, () -> server.getInputStream().read());
            final byte[] data = random(100_000, 3);
            client.writeAsync(data, 0, data.length);
            server.readTimeout(Duration.ofSeconds(5));
            assertArrayEquals(data, server.getInputStream().readNBytes(data.length));
            assertThrows(IllegalArgumentException.class, () -> SocketOptions.defaults().sendBufferBytes(100));
        }
    }

    @Test
    void listeningOnAPortTwiceFails() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            s.b.listen(7);
            assertThrows(BindException.class, () -> s.b.listen(7));
        }
    }

    @Test
    void closeWhileAnotherThreadReadsWakesItWithAnError() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            listener.accept(Duration.ofSeconds(5));
            final AtomicReference<Throwable> thrown = new AtomicReference<>();
            final Thread reader = new Thread(() ->
            {
                try
                {
                    client.getInputStream().read();
                }
                catch (final Throwable t)
                {
                    thrown.set(t);
                }
            });
            reader.start();
            Thread.sleep(100);
            client.close();
            reader.join(5_000);
            assertFalse(reader.isAlive(), "the reader is still blocked");
            assertInstanceOf(SocketException.class, thrown.get());
        }
    }

    @Test
    void aResetByThePeerFailsTheReader() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            server.abort();
            final SocketException ex = assertThrows(SocketException.class, () -> client.getInputStream().read());
            assertTrue(ex.getMessage().contains("reset"), ex.getMessage());
        }
    }

    @Test
    void closingTheStackFailsEveryPendingCall() throws Exception
    {
        final MemoryStacks s = new MemoryStacks();
        final TcpServerSocket listener = s.b.listen(7);
        final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
        final CompletableFuture<TcpSocket> pendingAccept = listener.acceptAsync();
        final TcpSocket server = pendingAccept.get(5, TimeUnit.SECONDS);
        final CompletableFuture<TcpSocket> secondAccept = listener.acceptAsync();
        final CompletableFuture<Integer> pendingRead = server.readAsync(new byte[10], 0, 10);
        final AtomicReference<Throwable> blockedRead = new AtomicReference<>();
        final Thread reader = new Thread(() ->
        {
            try
            {
                client.getInputStream().read();
            }
            catch (final Throwable t)
            {
                blockedRead.set(t);
            }
        });
        reader.start();
        Thread.sleep(100);
        s.close();
        reader.join(5_000);
        assertFalse(reader.isAlive());
        assertInstanceOf(StackClosedException.class, blockedRead.get());
        assertInstanceOf(StackClosedException.class,
            assertThrows(ExecutionException.class, () -> pendingRead.get(5, TimeUnit.SECONDS)).getCause());
        assertInstanceOf(StackClosedException.class,
            assertThrows(ExecutionException.class, () -> secondAccept.get(5, TimeUnit.SECONDS)).getCause());
        assertThrows(StackClosedException.class, () -> s.a.connect(B_IP, 7, CONNECT));
        assertThrows(StackClosedException.class, () -> s.b.listen(8));
        assertThrows(StackClosedException.class, () -> client.getOutputStream().write(1));
    }

    @Test
    void halfCloseWorksBothWays() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            client.getOutputStream().write("request".getBytes());
            client.shutdownOutput();
            assertEquals("request", new String(server.getInputStream().readAllBytes()));
            assertThrows(SocketException.class, () -> client.getOutputStream().write(1));
            server.getOutputStream().write("response".getBytes());
            server.close();
            assertEquals("response", new String(client.getInputStream().readAllBytes()));
            client.close();
        }
    }

    @Test
    void aWriterWaitsForASlowReaderAndNothingIsLost() throws Exception
    {
        // small TCP buffers and rings: the writer must block long before 1 MB is written
        try (MemoryStacks s = new MemoryStacks(c ->
        {
            c.tcp().sendBufferBytes(16 * 1024).receiveBufferBytes(16 * 1024);
            return c;
        }, new SocketConfig().tcpSendRingBytes(8192).tcpReceiveRingBytes(8192),
            new SocketConfig().tcpSendRingBytes(8192).tcpReceiveRingBytes(8192)))
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            final byte[] data = random(1 << 20, 7);
            final CompletableFuture<Void> written = client.writeAsync(data, 0, data.length);
            Thread.sleep(200);
            assertFalse(written.isDone(), "1 MB cannot be queued while nobody reads (back-pressure)");
            final byte[] got = new byte[data.length];
            int total = 0;
            final InputStream in = server.getInputStream();
            while (total < got.length)
            {
                final int n = in.read(got, total, Math.min(1000, got.length - total));
                assertTrue(n > 0);
                total += n;
            }
            written.get(5, TimeUnit.SECONDS);
            assertArrayEquals(data, got);
        }
    }

    @Test
    void aSendRingLargerThanTcpsSendBufferMovesEveryByte() throws Exception
    {
        // a 4 MiB send ring writes 512 KiB chunks, eight times TCP's first send buffer (64 KiB, grown only once data
        // flows): the pump must move part of a chunk, or nothing ever moves
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7, SocketOptions.defaults().readTimeout(Duration.ofSeconds(10)));
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT, SocketOptions.defaults().sendBufferBytes(4 << 20));
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            final byte[] data = random(12 << 20, 11);
            final CompletableFuture<Void> written = client.writeAsync(data, 0, data.length);
            final byte[] got = new byte[data.length];
            final InputStream in = server.getInputStream();
            int total = 0;
            while (total < got.length)
            {
                final int n = in.read(got, total, got.length - total);
                assertTrue(n > 0, "end of stream after " + total + " bytes");
                total += n;
            }
            written.get(10, TimeUnit.SECONDS);
            assertArrayEquals(sha256(data), sha256(got), "every byte, in order");
            client.close();
            server.close();
        }
    }

    @Test
    void fiftyConcurrentClientsEachGetTheirOwnEcho() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final Thread acceptor = new Thread(() ->
            {
                try
                {
                    while (true)
                    {
                        final TcpSocket c = listener.accept();
                        final Thread t = new Thread(() ->
                        {
                            try (c)
                            {
                                c.getInputStream().transferTo(c.getOutputStream());
                                c.shutdownOutput();
                            }
                            catch (final IOException ignored)
                            {
                                // the test checks what the clients got
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
            });
            acceptor.setDaemon(true);
            acceptor.start();
            fiftyClientsGetTheirOwnEcho(s, 20_000, 0, false);
        }
    }

    @Test
    void aNonBlockingEchoServerServesFiftyClientsAtOnce() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            acceptForever(listener);
            fiftyClientsGetTheirOwnEcho(s, 30_000, 100, true);
        }
    }

    /**
     * 50 clients at once, a thread each, connected by {@code connect} or {@code connectAsync}: each writes
     * {@code baseLength + i} random bytes, half-closes, and must read back exactly what it wrote.
     */
    private static void fiftyClientsGetTheirOwnEcho(final MemoryStacks s, final int baseLength, final long baseSeed,
        final boolean connectAsync) throws Exception
    {
        final List<CompletableFuture<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < 50; i++)
        {
            final byte[] data = random(baseLength + i, baseSeed + i);
            results.add(CompletableFuture.supplyAsync(() ->
            {
                try (TcpSocket c = connectAsync ? s.a.connectAsync(B_IP, 7).get(5, TimeUnit.SECONDS)
                    : s.a.connect(B_IP, 7, CONNECT))
                {
                    c.getOutputStream().write(data);
                    c.shutdownOutput();
                    return Arrays.equals(data, c.getInputStream().readAllBytes());
                }
                catch (final Exception ex)
                {
                    throw new RuntimeException(ex);
                }
            }, runnable -> new Thread(runnable).start()));
        }
        for (final CompletableFuture<Boolean> r : results)
        {
            assertTrue(r.get(30, TimeUnit.SECONDS));
        }
    }

    /** Accepts with acceptAsync and echoes each connection with readAsync/writeAsync chains: no thread waits. */
    private static void acceptForever(final TcpServerSocket listener)
    {
        listener.acceptAsync().thenAccept(c ->
        {
            acceptForever(listener);
            echo(c, new byte[4096]);
        });
    }

    private static void echo(final TcpSocket c, final byte[] buffer)
    {
        c.readAsync(buffer, 0, buffer.length).thenCompose(n ->
        {
            if (n < 0)
            {
                c.close();
                return CompletableFuture.completedFuture(false);
            }
            return c.writeAsync(buffer, 0, n).thenApply(done -> true);
        }).thenAccept(more ->
        {
            if (more)
            {
                echo(c, buffer);
            }
        });
    }

    static byte[] random(final int length, final long seed)
    {
        final byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] sha256(final byte[] data) throws Exception
    {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
