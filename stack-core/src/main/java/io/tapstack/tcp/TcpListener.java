package io.tapstack.tcp;

import java.util.ArrayDeque;

/**
 * A listening port (RFC 9293 §3.10.7.2). Completed handshakes wait in a bounded accept queue until
 * {@link #accept()}; half-open connections (SYN-RECEIVED) count against the same backlog. Owned by the stack
 * thread.
 */
public final class TcpListener
{
    /** Told when a connection is waiting to be accepted. Stack thread. */
    @FunctionalInterface
    public interface Handler
    {
        void onAcceptable(TcpListener listener);
    }

    private final TcpLayer layer;
    private final int port;
    private final int backlog;
    private final Handler handler;
    private final ArrayDeque<TcpConnection> acceptQueue;
    /** Half-open connections (SYN-RECEIVED), oldest first; {@code halfOpen} is its size. */
    private final ArrayDeque<TcpConnection> halfOpenQueue;
    /** When this listener last answered a SYN with a cookie: ACKs are checked for cookies only soon after. */
    long lastCookieNs = Long.MIN_VALUE;
    int halfOpen;
    private boolean closed;

    TcpListener(final TcpLayer layer, final int port, final int backlog, final Handler handler)
    {
        this.layer = layer;
        this.port = port;
        this.backlog = backlog;
        this.handler = handler;
        this.acceptQueue = new ArrayDeque<>(backlog);
        this.halfOpenQueue = new ArrayDeque<>(backlog);
    }

    public int port()
    {
        return port;
    }

    public int backlog()
    {
        return backlog;
    }

    /** Connections waiting to be accepted. */
    public int pending()
    {
        return acceptQueue.size();
    }

    public int halfOpen()
    {
        return halfOpen;
    }

    boolean hasRoom()
    {
        return !closed && halfOpen + acceptQueue.size() < backlog;
    }

    /** Room for one more established connection, however many are half-open (those a SYN cookie completes). */
    boolean acceptQueueHasRoom()
    {
        return !closed && acceptQueue.size() < backlog;
    }

    /** The half-open connection that has waited longest (RFC 4987 §3.4: the one to recycle), or null. */
    TcpConnection oldestHalfOpen()
    {
        return halfOpenQueue.peekFirst();
    }

    void addHalfOpen(final TcpConnection connection)
    {
        halfOpen++;
        halfOpenQueue.addLast(connection);
    }

    /** The next established connection, or null; give it a handler with {@link TcpConnection#handler}. */
    public TcpConnection accept()
    {
        final TcpConnection c = acceptQueue.poll();
        if (c != null)
        {
            // RFC 9293 §3.10.4: closing a listener affects only connections not yet accepted
            c.detachFromListener();
        }
        return c;
    }

    void onEstablished(final TcpConnection connection)
    {
        if (halfOpenQueue.remove(connection))
        {
            halfOpen--;
        }
        acceptQueue.add(connection);
        if (handler != null)
        {
            handler.onAcceptable(this);
        }
    }

    void onHalfOpenGone(final TcpConnection connection)
    {
        if (halfOpenQueue.remove(connection))
        {
            halfOpen--;
        }
    }

    void remove(final TcpConnection connection)
    {
        acceptQueue.remove(connection);
    }

    /** Stops listening; resets every connection not yet accepted (half-open ones too). */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        TcpConnection c;
        while ((c = acceptQueue.poll()) != null)
        {
            c.abort();
        }
        layer.closeListener(this);
    }

    public boolean isClosed()
    {
        return closed;
    }
}
