package io.tapstack.socket;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;

/**
 * The two rings of one TCP socket (application to stack, stack to application), in direct memory that
 * {@link ByteBuffer#allocateDirect} has zeroed, as Agrona's ring buffers require. Made by whichever thread can best
 * afford it: a listener's application thread makes them ahead for the stack thread ({@link TcpServerSocket}), since
 * the allocation (malloc, zeroing, a Cleaner) was the largest share of the stack thread's accept path. A pair is
 * fresh memory used by one socket only, never recycled.
 */
record SocketRings(OneToOneRingBuffer send, OneToOneRingBuffer receive)
{
    static SocketRings allocate(final int sendBytes, final int receiveBytes)
    {
        return new SocketRings(ring(sendBytes), ring(receiveBytes));
    }

    /** The direct memory a pair of these sizes takes. */
    static long bytes(final int sendBytes, final int receiveBytes)
    {
        return (long)sendBytes + receiveBytes + 2L * RingBufferDescriptor.TRAILER_LENGTH;
    }

    private static OneToOneRingBuffer ring(final int bytes)
    {
        return new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(bytes + RingBufferDescriptor.TRAILER_LENGTH)));
    }
}
