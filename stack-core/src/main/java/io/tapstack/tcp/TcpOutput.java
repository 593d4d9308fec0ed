package io.tapstack.tcp;

import io.tapstack.wire.TcpOptions;

/**
 * Where a connection's segments go: the narrow interface a {@link TcpConnection} emits through (smoltcp's
 * {@code dispatch(emit)}). The {@link TcpLayer} writes them into transmit slots; a test can capture them without a
 * layer. Owned by the stack thread.
 */
interface TcpOutput
{
    /**
     * Sends one segment of {@code connection}: {@code dataLength} bytes copied once from {@code data} at
     * {@code dataOffset} (relative to its first byte).
     *
     * @param options   the options to carry (written in the header, NOP-padded); none set for a bare header
     * @return false when it could not be sent now (no transmit slot, no route): the caller tries again later
     */
    boolean sendSegment(TcpConnection connection, int seq, int ack, int flags, int window, TcpOptions options,
        SendBuffer data, int dataOffset, int dataLength, long nowNs);

    /** A reset with {@code seq} and no ACK (RFC 9293 §3.10.7: aborts, timeouts, unacceptable ACKs). */
    void sendReset(int localAddress, int remoteAddress, int localPort, int remotePort, int seq, long nowNs);
}
