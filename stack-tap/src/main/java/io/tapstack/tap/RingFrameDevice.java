package io.tapstack.tap;

import io.tapstack.dev.FrameHandler;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.util.concurrent.locks.LockSupport;

/**
 * The stack's side of the DEDICATED mode: frames arrive on a receive ring filled by the TAP reader thread and
 * leave on a transmit ring drained by the TAP writer thread ({@link TapIoThreads}). Receive is one
 * {@link OneToOneRingBuffer#read} with a handler adapter made once; transmit is the ring's own
 * tryClaim/commit/abort, so the stack writes its headers straight into the ring. Nothing is allocated per
 * frame.
 *
 * <p>Owned by the stack thread, except {@link #wakeup()}. One claim at a time, as on every
 * {@link io.tapstack.dev.FrameDevice}: a second claim before commit or abort returns -1.
 */
public final class RingFrameDevice implements WaitableFrameDevice
{
    /** Message type of a frame on either ring. */
    static final int FRAME_MSG_TYPE = 1;

    private final OneToOneRingBuffer receiveRing;
    private final OneToOneRingBuffer transmitRing;
    private final Doorbell receiveDoorbell;
    private final Doorbell transmitDoorbell;
    private final int maxFrameLength;
    private final MessageHandler receiveAdapter = this::onMessage;
    /** The handler and time of the {@link #receive} in progress; null outside it. */
    private FrameHandler handler;
    private long nowNs;
    /** Ring index of the claimed frame, or -1 when none is claimed. */
    private int claimedIndex = -1;
    private volatile Thread stackThread;

    RingFrameDevice(final OneToOneRingBuffer receiveRing, final OneToOneRingBuffer transmitRing,
        final Doorbell receiveDoorbell, final Doorbell transmitDoorbell, final int maxFrameLength)
    {
        if (maxFrameLength > transmitRing.maxMsgLength())
        {
            throw new IllegalArgumentException("frames of " + maxFrameLength + " bytes do not fit the transmit "
                + "ring (largest message " + transmitRing.maxMsgLength() + "): make the ring larger");
        }
        this.receiveRing = receiveRing;
        this.transmitRing = transmitRing;
        this.receiveDoorbell = receiveDoorbell;
        this.transmitDoorbell = transmitDoorbell;
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    public int receive(final long nowNs, final FrameHandler handler, final int limit)
    {
        this.handler = handler;
        this.nowNs = nowNs;
        try
        {
            return receiveRing.read(receiveAdapter, limit);
        }
        finally
        {
            this.handler = null;
        }
    }

    private void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        handler.onFrame(buffer, index, length, nowNs);
    }

    @Override
    public int claim(final int length)
    {
        if (claimedIndex >= 0 || length < 0 || length > maxFrameLength)
        {
            return -1;
        }
        final int index = transmitRing.tryClaim(FRAME_MSG_TYPE, length);
        if (index < 0)
        {
            return -1; // RingBuffer.INSUFFICIENT_CAPACITY: the writer thread is behind
        }
        claimedIndex = index;
        return index;
    }

    @Override
    public MutableDirectBuffer transmitBuffer()
    {
        return transmitRing.buffer();
    }

    @Override
    public void commit(final int offset)
    {
        if (claimedIndex < 0)
        {
            throw new IllegalStateException("commit without claim");
        }
        claimedIndex = -1;
        transmitRing.commit(offset);
        transmitDoorbell.ring();
    }

    @Override
    public void abort(final int offset)
    {
        if (claimedIndex >= 0)
        {
            claimedIndex = -1;
            transmitRing.abort(offset);
        }
    }

    @Override
    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    /**
     * Parks the stack thread until the reader thread delivers a frame, {@link #wakeup()} is called, or
     * {@code timeoutNs} passes.
     */
    @Override
    public boolean awaitReadable(final long timeoutNs)
    {
        if (receiveRing.size() > 0)
        {
            return true;
        }
        if (timeoutNs <= 0)
        {
            return false;
        }
        stackThread = Thread.currentThread();
        receiveDoorbell.arm();
        try
        {
            if (receiveRing.size() > 0)
            {
                return true;
            }
            LockSupport.parkNanos(timeoutNs);
        }
        finally
        {
            receiveDoorbell.disarm();
        }
        return receiveRing.size() > 0;
    }

    @Override
    public void wakeup()
    {
        final Thread thread = stackThread;
        if (thread != null)
        {
            LockSupport.unpark(thread);
        }
    }

    /** Does nothing: the rings belong to {@link TapIoThreads}, whose close stops the threads. */
    @Override
    public void close()
    {
    }
}
