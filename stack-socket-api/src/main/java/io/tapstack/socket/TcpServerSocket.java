package io.tapstack.socket;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpListener;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.net.BindException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A listening TCP port as an application sees it, the counterpart of {@code java.net.ServerSocket}. The stack
 * accepts completed handshakes into a bounded queue here ({@link SocketConfig#acceptQueueLength()}); when it is
 * full they wait in the stack's own backlog, and beyond that SYNs are dropped (counted): nothing grows without
 * bound.
 */
public final class TcpServerSocket implements AutoCloseable
{
    private final SocketStack owner;
    private final SocketOptions options;
    private final int id;
    /** As asked, until the stack binds it: then the port chosen for 0. */
    private volatile int port;
    private final int backlog;
    private final Readiness readiness;
    private final ManyToManyConcurrentArrayQueue<TcpSocket> accepted;
    /** Set by the stack when it left connections in the backlog because the queue here was full. */
    private final AtomicBoolean acceptBlocked = new AtomicBoolean();
    private volatile boolean bound;
    private volatile IOException failure;
    private volatile boolean closed;

    // stack thread only
    private TcpListener tcpListener;

    TcpServerSocket(final SocketStack owner, final int id, final int port, final int backlog, final int queueLength,
        final SocketOptions options)
    {
        this.owner = owner;
        this.options = options;
        this.id = id;
        this.port = port;
        this.backlog = backlog;
        this.readiness = owner.newReadiness(options);
        this.accepted = new ManyToManyConcurrentArrayQueue<>(queueLength);
    }

    int id()
    {
        return id;
    }

    /** The port it listens on (the one the stack chose, after {@code listen(0)}). */
    public int port()
    {
        return port;
    }

    /** The stack's bound on half-open plus not-yet-accepted connections for this port. */
    public int backlog()
    {
        return backlog;
    }

    /** Waits for the next connection without limit. */
    public TcpSocket accept() throws IOException
    {
        return accept(null);
    }

    /**
     * Waits at most {@code timeout} (null: no limit) for the next connection.
     *
     * @throws SocketTimeoutException when none arrives in time
     */
    public TcpSocket accept(final Duration timeout) throws IOException
    {
        final long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        return readiness.block(this::tryAccept,
            () -> !accepted.isEmpty() || closed || failure != null || owner.isClosed(), deadline,
            () -> new SocketTimeoutException("accept timed out on port " + port));
    }

    /** The non-blocking style: completes with the next connection on the callback executor. */
    public CompletableFuture<TcpSocket> acceptAsync()
    {
        return readiness.async(this::tryAccept);
    }

    /** The next connection if one is waiting, else null. */
    public TcpSocket tryAccept() throws IOException
    {
        final TcpSocket c = accepted.poll();
        if (c != null)
        {
            VarHandle.fullFence(); // the freed slot must be visible before we look at the flag
            if (acceptBlocked.get() && acceptBlocked.compareAndSet(true, false))
            {
                owner.sendQuietly(SocketStack.ACCEPT_MORE, id, 0, 0);
            }
            return c;
        }
        final IOException failed = failure;
        if (failed != null)
        {
            throw Failures.forCaller(failed);
        }
        owner.checkOpen();
        if (closed)
        {
            throw new SocketException("listener closed");
        }
        return null;
    }

    /** Stops listening; connections not yet accepted are reset (RFC 9293 §3.10.4). */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        owner.sendQuietly(SocketStack.CLOSE_LISTENER, id, 0, 0);
        readiness.signal();
    }

    void awaitBound() throws IOException
    {
        owner.awaitBound(readiness, () -> bound, () -> failure, "a listen on port " + port);
    }

    // ------------------------------------------------------------------------------------------ stack thread

    void attach(final TcpListener listener)
    {
        this.tcpListener = listener;
        port = listener.port();
        bound = true;
        readiness.signal();
    }

    void failBind(final String why)
    {
        failure = new BindException(why);
        owner.finished(this);
        readiness.signal();
    }

    /** Called by the stack's listener when a handshake completed. */
    void onAcceptable()
    {
        pumpAccept();
    }

    void pumpAccept()
    {
        if (tcpListener == null || tcpListener.isClosed())
        {
            return;
        }
        boolean progressed = false;
        while (tcpListener.pending() > 0)
        {
            if (accepted.remainingCapacity() == 0)
            {
                acceptBlocked.set(true);
                VarHandle.fullFence();
                if (accepted.remainingCapacity() == 0 || !acceptBlocked.compareAndSet(true, false))
                {
                    break;
                }
            }
            final TcpConnection tcp = tcpListener.accept();
            final TcpSocket c = new TcpSocket(owner, owner.nextId(), tcp.remoteAddress(), tcp.remotePort(),
                options);
            owner.adopt(c);
            c.pump().attachAccepted(tcp);
            accepted.offer(c);
            progressed = true;
        }
        if (progressed)
        {
            readiness.signal();
        }
    }

    void onClose()
    {
        if (tcpListener != null)
        {
            tcpListener.close();
        }
        // accepted by the stack but never taken by the application: reset like the stack's own backlog
        TcpSocket c;
        while ((c = accepted.poll()) != null)
        {
            c.pump().onCommand(SocketStack.ABORT, 0);
        }
        owner.finished(this);
    }

    void stackClosed()
    {
        if (failure == null)
        {
            failure = new StackClosedException();
        }
        readiness.signal();
    }
}
