package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;

/**
 * Gives a quiet connection's buffer arrays back to the {@link TcpMemory} account ({@link IdleBufferConfig}): a buffer
 * that holds no byte and has stayed so for the configured delay drops its array, and takes a new one when data comes.
 * The window offered and the send credit do not change (they count the buffers' limits, not their arrays), so
 * releasing is invisible to the peer and to the application.
 *
 * <p>One deadline per connection, armed when a buffer that holds an array becomes empty and left armed while the
 * connection is busy: each time a buffer empties only the time is noted (a field write, no allocation), and when the
 * deadline comes it either releases (quiet for the whole delay) or moves itself to the last emptying plus the delay.
 * A connection with steady traffic thus wakes once a delay at most, and a quiet one once, then never again.
 *
 * <p>Owned by the stack thread; not thread-safe.
 */
final class IdleBufferRelease
{
    private final TcpConnection connection;
    private final IdleBufferConfig config;
    private final StackCounters counters;
    private final SendBuffer sendBuffer;
    private final TcpReceiver receiver;
    /** When a buffer last became empty. */
    private long lastEmptiedNs;
    /** When to look again; {@link TcpConnection#NONE} while no buffer holds an array that may go. */
    long deadlineNs = TcpConnection.NONE;

    IdleBufferRelease(final TcpConnection connection, final IdleBufferConfig config, final StackCounters counters,
        final SendBuffer sendBuffer, final TcpReceiver receiver)
    {
        this.connection = connection;
        this.config = config;
        this.counters = counters;
        this.sendBuffer = sendBuffer;
        this.receiver = receiver;
    }

    /**
     * A buffer may have become empty (data acknowledged, or read): note the time and arm the deadline if it was not.
     *
     * @return whether the deadline was armed now (its owner must learn the new deadline)
     */
    boolean onEmptied(final long nowNs)
    {
        lastEmptiedNs = nowNs;
        if (deadlineNs != TcpConnection.NONE || !config.enabled() || !holdsReleasableArray())
        {
            return false;
        }
        deadlineNs = nowNs + config.delayNs();
        return true;
    }

    /** The deadline came: release the empty buffers' arrays if quiet for the whole delay, else look again later. */
    void onTimer(final long nowNs)
    {
        deadlineNs = TcpConnection.NONE;
        if (!holdsReleasableArray())
        {
            return; // a buffer holding bytes arms the deadline again when it empties
        }
        final long quietUntilNs = lastEmptiedNs + config.delayNs();
        if (quietUntilNs > nowNs)
        {
            deadlineNs = quietUntilNs;
            return;
        }
        if (sendBuffer.allocated() > 0 && sendBuffer.isEmpty())
        {
            release(false, sendBuffer.allocated(), nowNs);
            sendBuffer.dispose();
        }
        if (receiveBufferReleasable())
        {
            release(true, receiver.receiveBuffer.allocated(), nowNs);
            receiver.receiveBuffer.disposeNow();
        }
    }

    /** Stops looking (the connection closed: its buffers went back with it). */
    void stop()
    {
        deadlineNs = TcpConnection.NONE;
    }

    private boolean holdsReleasableArray()
    {
        return sendBuffer.allocated() > 0 && sendBuffer.isEmpty() || receiveBufferReleasable();
    }

    /** Empty and no out-of-order bytes stored past the in-order tail (they live in the same array). */
    private boolean receiveBufferReleasable()
    {
        final ReceiveBuffer buffer = receiver.receiveBuffer;
        return buffer.allocated() > 0 && buffer.isEmpty() && !receiver.holdsOutOfOrderData();
    }

    private void release(final boolean receive, final int bytes, final long nowNs)
    {
        counters.increment(Counter.TCP_IDLE_BUFFER_RELEASES);
        connection.events().onBufferRelease(connection, receive, bytes, nowNs);
    }
}
