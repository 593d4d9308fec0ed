package io.tapstack.dev;

import org.agrona.MutableDirectBuffer;

/**
 * A device that wraps another and passes everything through to it: the base of the wrappers that watch or change
 * frames on their way ({@link ImpairedDevice}, {@link io.tapstack.trace.CaptureDevice}). A subclass overrides only
 * what it changes.
 *
 * <p>Received frames: each {@link #receive} call runs {@link #onReceive}, which by default asks the wrapped device
 * for frames with this object as their handler; {@link #onFrame} sees each one and by default {@link #deliver}s it
 * to the handler given to {@link #receive}. Transmitted frames: {@link #claim} remembers the claimed length, since
 * {@link #commit} is told only the offset.
 *
 * <p>A wrapper holds no clock: {@link #cycleNs()} is the time of the current duty cycle, given by {@link #onTime}
 * (the stack calls it first in each duty cycle) or by the latest {@link #receive} call.
 *
 * <p>Owned by the stack thread.
 */
public abstract class ForwardingDevice implements FrameDevice, FrameHandler
{
    /** The wrapped device. */
    protected final FrameDevice inner;
    /** The handler of the {@link #receive} call under way; null outside one. */
    private FrameHandler downstream;
    private long cycleNs;
    private int claimedLength;
    /** What the wrapped device said of the checksum of the frame being passed on; UNVERIFIED outside one. */
    private int checksumState = CHECKSUM_UNVERIFIED;

    protected ForwardingDevice(final FrameDevice inner)
    {
        this.inner = inner;
    }

    @Override
    public final int receive(final long nowNs, final FrameHandler handler, final int limit)
    {
        cycleNs = nowNs;
        downstream = handler;
        try
        {
            return onReceive(nowNs, limit);
        }
        finally
        {
            downstream = null;
        }
    }

    /**
     * One {@link #receive} call's work: up to {@code limit} frames, each handed on by {@link #deliver}. By
     * default the wrapped device's frames, through {@link #onFrame}.
     *
     * @return the work count
     */
    protected int onReceive(final long nowNs, final int limit)
    {
        return inner.receive(nowNs, this, limit);
    }

    /** A frame from the wrapped device, during {@link #onReceive}; by default delivered unchanged. */
    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        deliver(buffer, offset, length, nowNs);
    }

    /**
     * A frame from a wrapped device that offloads checksums: {@link #onFrame(MutableDirectBuffer, int, int, long)}
     * sees it, and a frame it {@link #deliver}s during that call keeps the device's word on its checksum.
     */
    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final int checksumState,
        final long nowNs)
    {
        this.checksumState = checksumState;
        try
        {
            onFrame(buffer, offset, length, nowNs);
        }
        finally
        {
            this.checksumState = CHECKSUM_UNVERIFIED;
        }
    }

    /**
     * Hands a received frame to the handler of the {@link #receive} call under way. Only a frame passed on while
     * the wrapped device's frame is being handled keeps what the device said of its checksum; any other (a
     * delayed frame, say) is verified by the stack.
     */
    protected final void deliver(final MutableDirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        downstream.onFrame(buffer, offset, length, checksumState, nowNs);
    }

    /** The wrapped device: a tool that looks for one wrapper in a chain (the impairments, say) walks these. */
    public final FrameDevice wrapped()
    {
        return inner;
    }

    /** The time of the current duty cycle (0 before the first): from {@link #onTime} or {@link #receive}. */
    protected final long cycleNs()
    {
        return cycleNs;
    }

    @Override
    public void onTime(final long nowNs)
    {
        cycleNs = nowNs;
        inner.onTime(nowNs);
    }

    @Override
    public int claim(final int length)
    {
        claimedLength = length;
        return inner.claim(length);
    }

    /** The length given to the latest {@link #claim}: the length of the frame being committed. */
    protected final int claimedLength()
    {
        return claimedLength;
    }

    @Override
    public MutableDirectBuffer transmitBuffer()
    {
        return inner.transmitBuffer();
    }

    @Override
    public void commit(final int offset)
    {
        inner.commit(offset);
    }

    @Override
    public void abort(final int offset)
    {
        inner.abort(offset);
    }

    @Override
    public int maxFrameLength()
    {
        return inner.maxFrameLength();
    }

    @Override
    public void flush()
    {
        inner.flush();
    }

    /** The wrapped device's answer: a wrapper that changes frames on their way overrides it to refuse. */
    @Override
    public boolean offloadTcpChecksums()
    {
        return inner.offloadTcpChecksums();
    }

    @Override
    public long nextDeadlineNs()
    {
        return inner.nextDeadlineNs();
    }

    @Override
    public void close()
    {
        inner.close();
    }
}
