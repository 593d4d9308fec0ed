package io.tapstack.socket;

/**
 * A socket's one pending completion-handler read or write: held in a field of the socket and reused for each call,
 * so that a call allocates nothing (where a {@code CompletableFuture} call makes a future and a task per call). A
 * {@link Readiness} lane tries it after each signal, after the lane's futures, until it completes.
 */
abstract class PendingOperation
{
    private Object attachment;
    private TcpCompletionHandler<Object> handler;
    /** What {@link #attempt()} failed with, or null. */
    Throwable failure;

    /**
     * Takes the caller's handler and attachment for a new call, checked before anything is overwritten: a pending
     * one still completes as asked.
     */
    @SuppressWarnings("unchecked")
    final void hold(final Object attachment, final TcpCompletionHandler<?> handler, final String what)
    {
        if (this.handler != null)
        {
            throw new IllegalStateException("a completion-handler " + what + " is pending on this socket already");
        }
        this.attachment = attachment;
        this.handler = (TcpCompletionHandler<Object>)handler;
    }

    /** Tries once without waiting: true when done (then {@link #deliver()} follows); false to wait for a signal. */
    abstract boolean attempt();

    /** The bytes the finished operation moved, for its handler. */
    abstract int bytesDone();

    /** Drops the finished operation's reference to the caller's array. */
    abstract void releaseBuffer();

    /** Calls the caller's handler with what {@link #attempt()} found; the operation is free again by then. */
    final void deliver()
    {
        final TcpCompletionHandler<Object> h = handler;
        final Object a = attachment;
        final Throwable f = failure;
        final int n = bytesDone();
        releaseBuffer();
        attachment = null;
        handler = null;
        failure = null;
        if (f != null)
        {
            h.failed(f, a);
        }
        else
        {
            h.completed(n, a);
        }
    }
}
