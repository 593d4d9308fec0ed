package io.tapstack.tcp;

/**
 * What an application on the stack thread is told about one connection. Every method runs on the stack thread
 * and may call the connection's read, write, shutdown and close; it must not block.
 */
public interface TcpHandler
{
    /** The handshake completed (both active and passive opens). */
    default void onConnected(final TcpConnection connection)
    {
    }

    /** New bytes can be read. */
    default void onReadable(final TcpConnection connection)
    {
    }

    /** Send-buffer space was freed by an acknowledgment: a write will take more now. */
    default void onWritable(final TcpConnection connection)
    {
    }

    /** The peer closed its direction (FIN): after the buffered bytes, reads return end of stream. */
    default void onEndOfStream(final TcpConnection connection)
    {
    }

    /** The connection is gone after an orderly close (both FINs acknowledged, or our close after theirs). */
    default void onClosed(final TcpConnection connection)
    {
    }

    /**
     * The connection was reset or timed out: by the peer's RST, a refused connect, a user timeout, or too many
     * retransmissions. {@link TcpConnection#resetReason()} says which.
     */
    default void onReset(final TcpConnection connection)
    {
    }
}
