package io.tapstack.tap;

import io.tapstack.dev.FrameHandler;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link io.tapstack.dev.FrameDevice} straight on a TAP descriptor, for the SHARED mode and for a loop of your own: the
 * stack's thread reads frames with read(2) and sends them with write(2). No thread of its own, no ring, no copy: a
 * frame is read into one preallocated direct buffer and handed to the stack from there, and a transmitted
 * frame is written into one preallocated direct slot and given to write(2) from there.
 *
 * <p>One transmit slot: {@link #claim} returns offset 0, and -1 while a claimed frame is neither committed
 * nor aborted. Each commit is one write(2); a frame the kernel refuses (EIO while the link is down, say) is
 * counted in {@link #transmitErrors()} and dropped, as a NIC would.
 *
 * <p>Owned by the stack thread, except {@link #wakeup()} and the counters (readable from any thread).
 * Requires a TAP without packet information (each read is one bare Ethernet frame).
 */
public final class TapFrameDevice implements WaitableFrameDevice
{
    private static final Logger LOG = LoggerFactory.getLogger(TapFrameDevice.class);
    /** Room for an 802.1Q tag the kernel might leave on a frame. */
    private static final int VLAN_TAG_LENGTH = 4;

    private final TapDevice tap;
    private final boolean closeTap;
    private final int maxFrameLength;
    private final int receiveCapacity;
    private final UnsafeBuffer receiveBuffer;
    private final long receiveAddress;
    private final UnsafeBuffer transmitBuffer;
    private final long transmitAddress;
    /** Length of the claimed frame, or -1 when the slot is free. */
    private int claimedLength = -1;
    private boolean loggedTransmitError;

    private final AtomicLong framesReceived = new AtomicLong();
    private final AtomicLong framesTransmitted = new AtomicLong();
    private final AtomicLong transmitErrors = new AtomicLong();

    /**
     * @param tap      an open TAP or TUN without packet information
     * @param closeTap whether {@link #close()} closes the TAP too
     */
    public TapFrameDevice(final TapDevice tap, final boolean closeTap)
    {
        if (tap.packetInformation())
        {
            // frames are what the stack sends and reads: Ethernet (TAP) or bare IPv4 (TUN), never tun_pi-prefixed
            throw new IllegalArgumentException("TapFrameDevice needs a TAP or TUN device without packet "
                + "information (IFF_NO_PI): " + tap);
        }
        this.tap = tap;
        this.closeTap = closeTap;
        this.maxFrameLength = tap.maxFrameLength();
        this.receiveCapacity = BitUtil.align(maxFrameLength + VLAN_TAG_LENGTH, 64);
        this.receiveBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(receiveCapacity, 64));
        this.receiveAddress = receiveBuffer.addressOffset();
        this.transmitBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            BitUtil.align(maxFrameLength, 64), 64));
        this.transmitAddress = transmitBuffer.addressOffset();
    }

    public TapFrameDevice(final TapDevice tap)
    {
        this(tap, false);
    }

    public TapDevice tap()
    {
        return tap;
    }

    /** Reads up to {@code limit} frames without blocking and hands each to {@code handler}. */
    @Override
    public int receive(final long nowNs, final FrameHandler handler, final int limit)
    {
        int count = 0;
        while (count < limit)
        {
            final int length = tap.read(receiveAddress, receiveCapacity);
            if (length <= 0)
            {
                // -1: nothing queued (EAGAIN) on a non-blocking fd; any other failure shows up in poll()
                break;
            }
            count++;
            handler.onFrame(receiveBuffer, 0, length, nowNs);
        }
        if (count > 0)
        {
            framesReceived.lazySet(framesReceived.get() + count);
        }
        return count;
    }

    @Override
    public int claim(final int length)
    {
        if (claimedLength >= 0 || length < 0 || length > maxFrameLength)
        {
            return -1;
        }
        claimedLength = length;
        return 0;
    }

    @Override
    public MutableDirectBuffer transmitBuffer()
    {
        return transmitBuffer;
    }

    @Override
    public void commit(final int offset)
    {
        final int length = claimedLength;
        if (length < 0)
        {
            throw new IllegalStateException("commit without claim");
        }
        claimedLength = -1;
        if (tap.write(transmitAddress, length) == length)
        {
            framesTransmitted.lazySet(framesTransmitted.get() + 1);
        }
        else
        {
            transmitErrors.lazySet(transmitErrors.get() + 1);
            if (!loggedTransmitError)
            {
                loggedTransmitError = true;
                LOG.warn("{}: the kernel refused a {}-byte frame: {} (dropped; counted, logged once)", tap.name(),
                    length, TapDevice.describeErrno(TapDevice.lastErrno()));
            }
        }
    }

    @Override
    public void abort(final int offset)
    {
        claimedLength = -1;
    }

    /** MTU + 14 (the Ethernet header). */
    @Override
    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    /**
     * Blocks until a frame can be read, {@link #wakeup()} is called, or {@code timeoutNs} passes (rounded up
     * to whole milliseconds; 0 or less only checks). For an idle strategy: wait until
     * {@code min(stack.nextDeadlineNs(), ...) - now}.
     *
     * @return true when a frame can be read
     */
    @Override
    public boolean awaitReadable(final long timeoutNs)
    {
        return tap.pollNs(timeoutNs);
    }

    /** Makes a blocked {@link #awaitReadable} return now. Any thread. */
    @Override
    public void wakeup()
    {
        tap.wakeup();
    }

    public long framesReceived()
    {
        return framesReceived.get();
    }

    public long framesTransmitted()
    {
        return framesTransmitted.get();
    }

    /** Frames write(2) refused or cut short. */
    public long transmitErrors()
    {
        return transmitErrors.get();
    }

    @Override
    public void close()
    {
        if (closeTap)
        {
            tap.close();
        }
    }
}
