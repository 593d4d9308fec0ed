package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A blocking call that fails because of what the stack thread decided throws in the caller's thread: the
 * exception's stack trace shows the caller's call, and the stack thread's exception is its cause.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FailureInCallerThreadTest
{
    private static final Duration CONNECT = Duration.ofSeconds(5);

    @Test
    void aRefusedConnectIsThrownWithTheCallersStackTraceAndTheStacksCause() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final ConnectException ex = assertThrows(ConnectException.class, () -> s.a.connect(B_IP, 9999, CONNECT));
            assertThrownIn(ex, "aRefusedConnectIsThrownWithTheCallersStackTraceAndTheStacksCause");
        }
    }

    @Test
    void aResetReadIsThrownWithTheCallersStackTraceAndTheStacksCause() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket client = s.a.connect(B_IP, 7, CONNECT);
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            server.abort();
            final SocketException ex = assertThrows(SocketException.class, () -> client.getInputStream().read());
            assertThrownIn(ex, "aResetReadIsThrownWithTheCallersStackTraceAndTheStacksCause");
        }
    }

    @Test
    void aRefusedListenIsThrownWithTheCallersStackTraceAndTheStacksCause() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            s.b.listen(7);
            final BindException ex = assertThrows(BindException.class, () -> s.b.listen(7));
            assertThrownIn(ex, "aRefusedListenIsThrownWithTheCallersStackTraceAndTheStacksCause");
        }
    }

    /** {@code ex} has a frame of {@code testMethod}; its cause, same type and message, was made by the stack. */
    private static void assertThrownIn(final Exception ex, final String testMethod)
    {
        assertTrue(Arrays.stream(ex.getStackTrace()).anyMatch(f -> f.getMethodName().equals(testMethod)
            && f.getClassName().equals(FailureInCallerThreadTest.class.getName())),
            "no frame of " + testMethod + " in " + Arrays.toString(ex.getStackTrace()));
        final Throwable cause = ex.getCause();
        assertNotNull(cause, "the stack thread's exception is attached");
        assertInstanceOf(ex.getClass(), cause);
        assertEquals(ex.getMessage(), cause.getMessage());
        assertTrue(Arrays.stream(cause.getStackTrace())
            .anyMatch(f -> f.getClassName().equals(StackRunner.class.getName())),
            "the cause was made on the stack thread: " + Arrays.toString(cause.getStackTrace()));
    }
}
