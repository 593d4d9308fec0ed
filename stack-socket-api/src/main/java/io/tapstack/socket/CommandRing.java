package io.tapstack.socket;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * The commands application threads hand the stack thread: an Agrona {@link ManyToOneRingBuffer} of records whose
 * message type is the command and whose body is the socket's id, two int arguments, then any payload (a UDP
 * datagram). Written by any thread, read by the stack thread.
 */
final class CommandRing
{
    static final int ID_OFFSET = 0;
    static final int ARG1_OFFSET = 4;
    static final int ARG2_OFFSET = 8;
    static final int BODY_LENGTH = 12;

    private final ManyToOneRingBuffer ring;

    CommandRing(final int bytes)
    {
        this.ring = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(bytes + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    /** Queues one command; false when the ring is full (the stack thread is behind). Any thread. */
    boolean offer(final int type, final int id, final int arg1, final int arg2, final DirectBuffer payload,
        final int offset, final int length)
    {
        final int index = ring.tryClaim(type, BODY_LENGTH + length);
        if (index <= 0)
        {
            return false;
        }
        final MutableDirectBuffer buffer = ring.buffer();
        buffer.putInt(index + ID_OFFSET, id);
        buffer.putInt(index + ARG1_OFFSET, arg1);
        buffer.putInt(index + ARG2_OFFSET, arg2);
        if (length > 0)
        {
            buffer.putBytes(index + BODY_LENGTH, payload, offset, length);
        }
        ring.commit(index);
        return true;
    }

    /**
     * Queues one command and wakes the stack thread, waiting while the ring is full (back-pressure: the stack
     * thread is behind) rather than queueing without bound; on the stack thread itself (a direct callback) a full
     * ring fails the call, since waiting for the stack to drain it would never end.
     */
    void put(final int type, final int id, final int arg1, final int arg2, final DirectBuffer payload,
        final int offset, final int length, final SocketStack owner) throws IOException
    {
        long backoffNs = 1_000;
        while (true)
        {
            owner.checkOpen();
            if (offer(type, id, arg1, arg2, payload, offset, length))
            {
                owner.wake();
                return;
            }
            if (owner.onStackThread())
            {
                throw new IOException("the command ring is full (" + ring.capacity() + " bytes)");
            }
            owner.wake();
            LockSupport.parkNanos(backoffNs);
            backoffNs = Math.min(backoffNs * 2, 1_000_000);
            if (Thread.interrupted())
            {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while the command ring was full");
            }
        }
    }

    /** Runs up to {@code limit} commands. Stack thread. */
    int read(final MessageHandler handler, final int limit)
    {
        return ring.read(handler, limit);
    }

    /** True when commands wait. Any thread. */
    boolean isEmpty()
    {
        return ring.size() == 0;
    }
}
