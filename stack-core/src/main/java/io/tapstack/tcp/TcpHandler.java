package io.tapstack.tcp;

import org.agrona.DirectBuffer;

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

    /**
     * In-order bytes arrived while TCP's receive buffer holds none: the handler may copy up to {@code length} of them
     * straight from the segment, {@code segment[offset, offset + length)}, to where the application reads them (one
     * copy fewer than through TCP's buffer), and returns how many it took. They count as read at once (RCV.NXT moves
     * past them, TCP never holds them); TCP buffers the rest as usual, and {@link #onReadable} follows as for any
     * data. The segment's memory is valid only during the call. Called from segment processing: must not call back
     * into the connection. The default takes nothing.
     *
     * @return bytes taken, in [0, length]
     */
    default int onInOrderData(final TcpConnection connection, final DirectBuffer segment, final int offset,
        final int length)
    {
        return 0;
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
