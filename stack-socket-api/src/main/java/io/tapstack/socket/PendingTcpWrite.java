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

    PendingTcpWrite(final TcpSocket socket)
    {
        this.socket = socket;
    }

    void set(final byte[] src, final int offset, final int length, final Object attachment,
        final TcpCompletionHandler<?> handler)
    {
        hold(attachment, handler, "write");
        this.src = src;
        this.offset = offset;
        this.length = length;
        this.written = 0;
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
    int bytesDone()
    {
        return length;
    }

    @Override
    void releaseBuffer()
    {
        src = null;
    }
}
