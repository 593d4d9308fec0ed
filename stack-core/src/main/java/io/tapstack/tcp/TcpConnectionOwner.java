package io.tapstack.tcp;

/**
 * What a {@link TcpConnection} needs from whoever holds it: the {@link TcpLayer}, or a test. With {@link TcpOutput}
 * it is all a connection knows of the world around it. Owned by the stack thread.
 */
interface TcpConnectionOwner
{
    /** The listener that follows every connection's events. */
    TcpEventListener events();

    /** The time of the current duty cycle, for calls the application makes. */
    long nowNs();

    /** The connection has output to send at the next flush. */
    void markDirty(TcpConnection connection);

    /** The connection reached CLOSED: forget it. */
    void closed(TcpConnection connection);

    /** Where a connection entering TIME-WAIT leaves its light record (and learns whether it is still there). */
    TimeWaitTable timeWaits();

    /** The connection entered TIME-WAIT and left its record in {@link #timeWaits()}: forget the connection. */
    void leftForTimeWait(TcpConnection connection);

    /** The stack-wide account the connection's buffer memory is charged to. */
    TcpMemory memory();

    /** RFC 5961 §7: whether the stack-wide challenge-ACK budget allows one more now. */
    boolean allowChallengeAck(long nowNs);
}
