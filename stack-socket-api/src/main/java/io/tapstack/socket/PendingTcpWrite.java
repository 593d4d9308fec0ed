package io.tapstack.socket;

import java.io.IOException;

/** A {@link TcpSocket}'s completion-handler write, reused for each (see {@link PendingOperation}). */
final class PendingTcpWrite extends PendingOperation
{
    private final TcpSocket socket;
    private byte[] src;
    private int offset;
    private int length;
    private int written;
    private Object attachment;
    private TcpCompletionHandler<Object> handler;
    private Throwable failure;

    PendingTcpWrite(final TcpSocket socket)
    {
        this.socket = socket;
    }

    @SuppressWarnings("unchecked")
    void set(final byte[] src, final int offset, final int length, final Object attachment,
        final TcpCompletionHandler<?> handler)
    {
        if (this.handler != null)
        {
            // checked before anything is overwritten: the pending one still completes as asked
            throw new IllegalStateException("a completion-handler write is pending on this socket already");
        }
        this.src = src;
        this.offset = offset;
        this.length = length;
        this.written = 0;
        this.attachment = attachment;
        this.handler = (TcpCompletionHandler<Object>)handler;
    }

    @Override
    boolean attempt()
    {
        try
        {
            written += socket.tryWrite(src, offset + written, length - written);
            return written == length;
        }
        catch (final IOException ex)
        {
            failure = ex;
            return true;
        }
    }

    @Override
    void deliver()
    {
        final TcpCompletionHandler<Object> h = handler;
        final Object a = attachment;
        final Throwable f = failure;
        src = null;
        attachment = null;
        handler = null;
        failure = null;
        if (f != null)
        {
            h.failed(f, a);
        }
        else
        {
            h.completed(length, a);
        }
    }
}
