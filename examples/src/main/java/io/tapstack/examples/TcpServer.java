package io.tapstack.examples;

import io.tapstack.socket.StackClosedException;
import io.tapstack.socket.TcpServerSocket;
import io.tapstack.socket.TcpSocket;
import io.tapstack.wire.Ipv4Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP server over the socket API's blocking style: one accept thread, and a thread per connection from a
 * pool bounded by {@code maxClients} (a connection beyond it is turned away, so a flood cannot make threads
 * without bound). Blocking calls on application threads are what the socket API is made for; it never runs
 * them on the stack thread.
 */
final class TcpServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpServer.class);

    /** Serves one connection; the server closes it afterwards (close is idempotent). */
    @FunctionalInterface
    interface Handler
    {
        void serve(TcpSocket connection) throws IOException;
    }

    private final String name;
    private final TcpServerSocket listener;
    private final int maxClients;
    private final Handler handler;
    private final Handler turnAway;
    private final Semaphore slots;
    private final ExecutorService pool;
    private final Thread acceptor;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong turnedAway = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param turnAway what to do with a connection beyond {@code maxClients} before it is closed (null: reset it)
     */
    TcpServer(final String name, final TcpServerSocket listener, final int maxClients, final Handler handler,
        final Handler turnAway)
    {
        this.name = name;
        this.listener = listener;
        this.maxClients = maxClients;
        this.handler = handler;
        this.turnAway = turnAway;
        this.slots = new Semaphore(maxClients);
        final AtomicInteger threads = new AtomicInteger();
        this.pool = Executors.newCachedThreadPool(r ->
        {
            final Thread t = new Thread(r, name + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, name + "-accept");
        this.acceptor.setDaemon(true);
    }

    TcpServer start()
    {
        acceptor.start();
        return this;
    }

    int port()
    {
        return listener.port();
    }

    long accepted()
    {
        return accepted.get();
    }

    /** The most connections served at once since the start. */
    int maxOpen()
    {
        return maxOpen.get();
    }

    int open()
    {
        return open.get();
    }

    long turnedAway()
    {
        return turnedAway.get();
    }

    /** One line for the shutdown summary. */
    String summary()
    {
        return String.format("%s: %d TCP connections on port %d (at most %d at once), %d turned away%n", name,
            accepted(), port(), maxOpen(), turnedAway());
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            final TcpSocket c;
            try
            {
                c = listener.accept();
            }
            catch (final StackClosedException ex)
            {
                return;
            }
            catch (final IOException ex)
            {
                if (!closed)
                {
                    LOG.warn("{}: accept failed, no more connections: {}", name, ex.getMessage());
                }
                return;
            }
            accepted.incrementAndGet();
            if (!slots.tryAcquire())
            {
                turnAway(c);
                continue;
            }
            try
            {
                pool.execute(() -> serve(c));
            }
            catch (final RejectedExecutionException ex)
            {
                slots.release();
                c.abort(); // the server is closing
            }
        }
    }

    private void turnAway(final TcpSocket c)
    {
        turnedAway.incrementAndGet();
        LOG.warn("{}: {} connections already: turning away {}:{}", name, maxClients,
            Ipv4Address.toString(c.remoteAddress()), c.remotePort());
        if (turnAway == null)
        {
            c.abort();
            return;
        }
        try
        {
            turnAway.serve(c);
            c.close();
        }
        catch (final IOException ex)
        {
            c.abort();
        }
    }

    private void serve(final TcpSocket c)
    {
        final int now = open.incrementAndGet();
        maxOpen.accumulateAndGet(now, Math::max);
        try
        {
            handler.serve(c);
            c.close();
        }
        catch (final StackClosedException ex)
        {
            // shutting down: nothing to say
        }
        catch (final IOException ex)
        {
            // a reset or a timeout is the peer's business, not the server's: debug, not warn
            LOG.debug("{}: {}: {}", name, c, ex.toString());
            c.abort();
        }
        catch (final RuntimeException ex)
        {
            LOG.error("{}: {} failed", name, c, ex);
            c.abort();
        }
        finally
        {
            open.decrementAndGet();
            slots.release();
        }
    }

    /** Stops accepting (the stack resets connections not yet accepted); connections being served end with the stack. */
    @Override
    public void close() throws InterruptedException
    {
        closed = true;
        listener.close();
        pool.shutdown();
        acceptor.join(TimeUnit.SECONDS.toMillis(1));
    }
}
