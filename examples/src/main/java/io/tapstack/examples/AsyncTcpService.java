package io.tapstack.examples;

import io.tapstack.socket.StackClosedException;
import io.tapstack.socket.TcpServerSocket;
import io.tapstack.socket.TcpSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * A TCP server in the socket API's asynchronous style: {@code acceptAsync} again after each connection, and each
 * connection driven by its handler with {@code readAsync}/{@code writeAsync}, all on the socket API's callback
 * executor. It has no thread of its own and none per connection, so it holds as many connections as the stack
 * and the memory allow (the stack's {@code TcpConfig.maxConnections} bounds them), where {@link TcpServer} holds
 * one thread each.
 */
final class AsyncTcpService implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(AsyncTcpService.class);

    /** Serves one connection without ever blocking (it runs on the callback executor). */
    @FunctionalInterface
    interface Handler
    {
        /**
         * Starts serving {@code connection} and returns at once; {@code finished} is to be run exactly once, when
         * the handler has closed or aborted the connection (it counts the open connections).
         */
        void start(TcpSocket connection, Runnable finished);
    }

    private final String name;
    private final TcpServerSocket listener;
    private final Handler handler;
    private final BiConsumer<TcpSocket, Throwable> onAccepted = this::onAccepted;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private volatile boolean closed;

    AsyncTcpService(final String name, final TcpServerSocket listener, final Handler handler)
    {
        this.name = name;
        this.listener = listener;
        this.handler = handler;
    }

    AsyncTcpService start()
    {
        acceptNext();
        return this;
    }

    String name()
    {
        return name;
    }

    int port()
    {
        return listener.port();
    }

    long accepted()
    {
        return accepted.get();
    }

    /** Connections being served now. */
    int open()
    {
        return open.get();
    }

    /** The most connections served at once since the start. */
    int maxOpen()
    {
        return maxOpen.get();
    }

    /** One line for the shutdown summary. */
    String summary()
    {
        return String.format("%s: %d TCP connections on port %d (at most %d at once)%n", name, accepted(), port(),
            maxOpen());
    }

    private void acceptNext()
    {
        listener.acceptAsync().whenComplete(onAccepted);
    }

    private void onAccepted(final TcpSocket connection, final Throwable failure)
    {
        if (failure != null)
        {
            final Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
            if (!closed && !(cause instanceof StackClosedException))
            {
                LOG.warn("{}: accept failed, no more connections: {}", name, cause.getMessage());
            }
            return;
        }
        accepted.incrementAndGet();
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        final Runnable finished = new Finished();
        try
        {
            handler.start(connection, finished);
        }
        catch (final RuntimeException ex)
        {
            LOG.error("{}: {} failed", name, connection, ex);
            connection.abort();
            finished.run();
        }
        acceptNext();
    }

    /** Counts a connection's end once, however many paths reach it. */
    private final class Finished extends AtomicBoolean implements Runnable
    {
        private static final long serialVersionUID = 1L;

        @Override
        public void run()
        {
            if (compareAndSet(false, true))
            {
                open.decrementAndGet();
            }
        }
    }

    /** Stops accepting (the stack resets connections not yet accepted); open connections end with the stack. */
    @Override
    public void close()
    {
        closed = true;
        listener.close();
    }
}
