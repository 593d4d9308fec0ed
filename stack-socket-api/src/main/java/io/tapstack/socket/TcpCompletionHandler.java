package io.tapstack.socket;

/**
 * What a {@link TcpSocket}'s completion-handler calls ({@code readAsync}/{@code writeAsync} with a handler, the
 * shape of NIO.2's {@code CompletionHandler}) call on completion, on the callback executor (or, for a socket with
 * {@link SocketOptions#directCallbacks}, where the operation became ready). The count is a primitive and the
 * attachment is the caller's: a handler held in a field and an attachment made once make a call allocate nothing.
 *
 * @param <A> what the caller passes along to its own handler
 */
public interface TcpCompletionHandler<A>
{
    /**
     * The operation completed.
     *
     * @param bytes for a read, the bytes read (at least 1) or -1 at end of stream; for a write, the bytes queued
     *              (all of them)
     */
    void completed(int bytes, A attachment);

    /**
     * The operation failed: the connection was reset, aborted or closed, the stack closed, or (a read with a
     * timeout) {@link java.net.SocketTimeoutException} when the timeout passed with nothing to read.
     */
    void failed(Throwable failure, A attachment);
}
