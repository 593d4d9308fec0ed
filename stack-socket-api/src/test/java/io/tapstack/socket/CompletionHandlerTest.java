package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The completion-handler calls ({@code readAsync}/{@code writeAsync} with a {@link TcpCompletionHandler}): the
 * count and the caller's attachment reach the handler, end of stream is -1, one read at a time, futures left
 * before a handler's read complete first, and a read timeout fails the read (checked by the stack thread).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CompletionHandlerTest
{
    private static final Duration CONNECT = Duration.ofSeconds(5);

    /** Records its one completion in a future: the count, or the failure. */
    private static final class Recorder implements TcpCompletionHandler<String>
    {
        final CompletableFuture<Integer> result = new CompletableFuture<>();
        volatile String attachment;

        @Override
        public void completed(final int bytes, final String attachment)
        {
            this.attachment = attachment;
            result.complete(bytes);
        }

        @Override
        public void failed(final Throwable failure, final String attachment)
        {
            this.attachment = attachment;
            result.completeExceptionally(failure);
        }
    }

    @Test
    void readAndWriteCompleteWithTheCountAndTheAttachmentThenMinusOneAtTheFin() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            final TcpSocket server = listener.accept(CONNECT);
            final byte[] got = new byte[64];
            final Recorder read = new Recorder();
            server.readAsync(got, 0, got.length, Duration.ZERO, "r", read);
            assertFalse(read.result.isDone(), "nothing was written yet");
            assertThrows(IllegalStateException.class,
                () -> server.readAsync(got, 0, got.length, Duration.ZERO, "again", new Recorder()),
                "one completion-handler read at a time");
            final byte[] hello = "hello, handler".getBytes();
            final Recorder write = new Recorder();
            client.writeAsync(hello, 0, hello.length, "w", write);
            assertEquals(hello.length, write.result.get(5, TimeUnit.SECONDS));
            assertEquals("w", write.attachment);
            final int n = read.result.get(5, TimeUnit.SECONDS);
            assertEquals("hello, handler", new String(got, 0, n));
            assertEquals("r", read.attachment);
            client.shutdownOutput();
            final Recorder end = new Recorder();
            server.readAsync(got, 0, got.length, Duration.ofSeconds(5), null, end);
            assertEquals(-1, end.result.get(5, TimeUnit.SECONDS));
            client.close();
            server.close();
        }
    }

    @Test
    void aFutureReadLeftFirstCompletesFirst() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            final TcpSocket server = listener.accept(CONNECT);
            final byte[] first = new byte[1];
            final byte[] second = new byte[1];
            final CompletableFuture<Integer> future = server.readAsync(first, 0, 1);
            final Recorder handler = new Recorder();
            server.readAsync(second, 0, 1, Duration.ZERO, null, handler);
            client.write(new byte[] {'a', 'b'}, 0, 2);
            assertEquals(1, future.get(5, TimeUnit.SECONDS));
            assertEquals(1, handler.result.get(5, TimeUnit.SECONDS));
            assertEquals('a', first[0]);
            assertEquals('b', second[0]);
        }
    }

    @Test
    void aReadWithATimeoutFailsWithSocketTimeoutExceptionAndTheSocketReadsOnAfterwards() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            final TcpSocket server = listener.accept(CONNECT);
            final byte[] got = new byte[8];
            final Recorder timed = new Recorder();
            final long start = System.nanoTime();
            server.readAsync(got, 0, got.length, Duration.ofMillis(200), null, timed);
            final Throwable failure = assertThrows(Exception.class, () -> timed.result.get(5, TimeUnit.SECONDS))
                .getCause();
            assertInstanceOf(SocketTimeoutException.class, failure);
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "not before its time");
            // a timeout does not end the connection: the next read gets the next bytes
            final Recorder next = new Recorder();
            server.readAsync(got, 0, got.length, Duration.ofSeconds(5), null, next);
            client.write(new byte[] {'x'}, 0, 1);
            assertEquals(1, next.result.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aWriteAfterCloseFails() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            listener.accept(CONNECT);
            client.close();
            final Recorder write = new Recorder();
            client.writeAsync(new byte[1], 0, 1, null, write);
            final Throwable failure = assertThrows(Exception.class, () -> write.result.get(5, TimeUnit.SECONDS))
                .getCause();
            assertInstanceOf(SocketException.class, failure);
        }
    }
}
