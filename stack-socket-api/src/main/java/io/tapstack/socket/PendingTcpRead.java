package io.tapstack.socket;

import java.io.IOException;
import java.net.SocketTimeoutException;

/** A {@link TcpSocket}'s completion-handler read, reused for each (see {@link PendingOperation}). */
final class PendingTcpRead extends PendingOperation
{
    private final TcpSocket socket;
    private byte[] dst;
    private int offset;
    private int length;
    /** When the read fails with a timeout (System.nanoTime), or {@link Long#MAX_VALUE}; read by the stack thread. */
    private volatile long deadlineNs = Long.MAX_VALUE;
    /**
     * A seqlock over {@link #deadlineNs}: odd while {@link #set} writes it, so that the stack thread never pairs
     * one read's deadline with the next read (which would fail it before its time).
     */
    private volatile long generation;
    /** The generation whose deadline the stack thread saw pass; the read of that generation fails at its attempt. */
    private volatile long expiredGeneration = -1;
    private int result;

    PendingTcpRead(final TcpSocket socket)
    {
        this.socket = socket;
    }

    void set(final byte[] dst, final int offset, final int length, final long deadlineNs, final Object attachment,
        final TcpCompletionHandler<?> handler)
    {
        hold(attachment, handler, "read");
        this.dst = dst;
        this.offset = offset;
        this.length = length;
        generation = generation + 1;
        this.deadlineNs = deadlineNs;
        generation = generation + 1;
    }

    /**
     * Stack thread: marks the read expired when its deadline passed.
     *
     * @return the deadline still ahead ({@link Long#MAX_VALUE}: none), or {@link Long#MIN_VALUE} when it just passed
     */
    long expire(final long nowNs)
    {
        final long before = generation;
        final long deadline = deadlineNs;
        if ((before & 1) != 0 || generation != before)
        {
            return nowNs; // a read is being left right now: look again next cycle
        }
        if (deadline == Long.MAX_VALUE || expiredGeneration == before)
        {
            return Long.MAX_VALUE;
        }
        if (nowNs - deadline < 0)
        {
            return deadline;
        }
        expiredGeneration = before;
        return Long.MIN_VALUE;
    }

    @Override
    boolean attempt()
    {
        try
        {
            result = length == 0 ? 0 : socket.tryRead(dst, offset, length);
            if (result != 0 || length == 0)
            {
                return true;
            }
            if (expiredGeneration == generation)
            {
                failure = new SocketTimeoutException("read timed out");
                return true;
            }
            return false;
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
        return result;
    }

    @Override
    void releaseBuffer()
    {
        dst = null;
    }
}
