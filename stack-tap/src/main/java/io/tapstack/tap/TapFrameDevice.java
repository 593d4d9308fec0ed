package io.tapstack.tap;

import io.tapstack.dev.FrameHandler;
import io.tapstack.dev.TcpSegmentCoalescer;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.VirtioNetHeader;
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
 * <p>One transmit slot: {@link #claim} returns offset 0 (10 with a virtio-net header), and -1 while a claimed frame is neither committed
 * nor aborted. Each commit is one write(2); a frame the kernel refuses (EIO while the link is down, say) is
 * counted in {@link #transmitErrors()} and dropped, as a NIC would.
 *
 * <p>On a TAP opened with offloads ({@link TapDevice#vnetHeader()}, {@link TapConfig#offload}) each frame carries
 * a virtio-net header. Received: read whole (up to 64 KiB of TCP in one super-frame from the kernel's GSO/GRO),
 * its header read and the frame handed on with what the header says of its checksum ({@code DATA_VALID}: verified;
 * {@code NEEDS_CSUM}: partial, never to verify), so the stack's TCP takes a super-frame as one segment. Sent: with
 * TSO4 in effect, through a {@link TcpSegmentCoalescer}, which glues the TCP segments of one connection in a duty
 * cycle into a super-frame written at once with {@code gso_type} TCPV4 and {@code gso_size} the segments' length,
 * for the kernel to cut; a TCP segment sent alone goes with {@code NEEDS_CSUM} (the stack wrote only the
 * pseudo-header sum: {@link #offloadTcpChecksums}), every other frame with a header of zeros, as without offloads.
 * Each write is still one write(2), with the header in front of the frame in the same buffer.
 *
 * <p>Owned by the stack thread, except {@link #wakeup()} and the counters (readable from any thread).
 * Requires a TAP without packet information (each read is one bare Ethernet frame, or one virtio-net header and
 * a frame).
 */
public final class TapFrameDevice implements WaitableFrameDevice, TcpSegmentCoalescer.Sink
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
    /** Bytes in front of each frame read or written: the virtio-net header, or 0. */
    private final int vnetHeaderLength;
    private final VirtioNetHeader receivedHeader = new VirtioNetHeader();
    private final VirtioNetHeader sentHeader = new VirtioNetHeader();
    /** With TSO4 in effect: glues TCP segments into super-frames, and holds the transmit buffer. Else null. */
    private final TcpSegmentCoalescer coalescer;

    private final AtomicLong framesReceived = new AtomicLong();
    private final AtomicLong framesTransmitted = new AtomicLong();
    private final AtomicLong transmitErrors = new AtomicLong();
    private final AtomicLong superFramesReceived = new AtomicLong();
    private final AtomicLong superFramesTransmitted = new AtomicLong();
    private final AtomicLong segmentsInSuperFramesTransmitted = new AtomicLong();

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
        this.vnetHeaderLength = tap.vnetHeader() ? VirtioNetHeader.LENGTH : 0;
        // a super-frame from the kernel is up to 64 KiB of IPv4 behind its Ethernet header
        final int largestRead = (tap.offloads() & TapDevice.TUN_F_TSO4) != 0
            ? EthernetFrame.HEADER_LENGTH + TcpSegmentCoalescer.MAX_DATAGRAM_LENGTH : maxFrameLength;
        this.receiveCapacity = BitUtil.align(vnetHeaderLength + largestRead + VLAN_TAG_LENGTH, 64);
        this.receiveBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(receiveCapacity, 64));
        this.receiveAddress = receiveBuffer.addressOffset();
        if ((tap.offloads() & TapDevice.TUN_F_TSO4) != 0 && (tap.offloads() & TapDevice.TUN_F_CSUM) != 0)
        {
            this.coalescer = new TcpSegmentCoalescer(this, EthernetFrame.HEADER_LENGTH, maxFrameLength,
                TcpSegmentCoalescer.MAX_DATAGRAM_LENGTH);
            this.transmitBuffer = coalescer.buffer();
        }
        else
        {
            this.coalescer = null;
            this.transmitBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                BitUtil.align(vnetHeaderLength + maxFrameLength, 64), 64));
            if (vnetHeaderLength > 0)
            {
                sentHeader.wrap(transmitBuffer, 0).clear(); // an ordinary frame, its checksums complete
            }
        }
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
            if (vnetHeaderLength == 0)
            {
                handler.onFrame(receiveBuffer, 0, length, nowNs);
            }
            else if (length > vnetHeaderLength)
            {
                onFrameWithHeader(handler, length, nowNs);
            }
        }
        if (count > 0)
        {
            framesReceived.lazySet(framesReceived.get() + count);
        }
        return count;
    }

    /** A frame behind its virtio-net header: the header's word on the checksum goes with it. */
    private void onFrameWithHeader(final FrameHandler handler, final int length, final long nowNs)
    {
        receivedHeader.wrap(receiveBuffer, 0);
        final int flags = receivedHeader.flags();
        if (receivedHeader.gsoType() != VirtioNetHeader.GSO_NONE)
        {
            superFramesReceived.lazySet(superFramesReceived.get() + 1);
        }
        final int checksumState = (flags & VirtioNetHeader.F_NEEDS_CSUM) != 0 ? FrameHandler.CHECKSUM_PARTIAL
            : (flags & VirtioNetHeader.F_DATA_VALID) != 0 ? FrameHandler.CHECKSUM_VALID
            : FrameHandler.CHECKSUM_UNVERIFIED;
        handler.onFrame(receiveBuffer, vnetHeaderLength, length - vnetHeaderLength, checksumState, nowNs);
    }

    @Override
    public int claim(final int length)
    {
        if (coalescer != null)
        {
            return coalescer.claim(length);
        }
        if (claimedLength >= 0 || length < 0 || length > maxFrameLength)
        {
            return -1;
        }
        claimedLength = length;
        return vnetHeaderLength;
    }

    @Override
    public MutableDirectBuffer transmitBuffer()
    {
        return transmitBuffer;
    }

    @Override
    public void commit(final int offset)
    {
        if (coalescer != null)
        {
            coalescer.commit(offset);
            return;
        }
        final int length = claimedLength;
        if (length < 0)
        {
            throw new IllegalStateException("commit without claim");
        }
        claimedLength = -1;
        write(transmitAddress, vnetHeaderLength + length);
    }

    /** A frame or super-frame from the coalescer: its virtio-net header in front, then one write(2). */
    @Override
    public boolean send(final UnsafeBuffer buffer, final int offset, final int length, final int gsoSize,
        final int headerLength, final int checksumStart)
    {
        final int headerOffset = offset - VirtioNetHeader.LENGTH;
        sentHeader.wrap(buffer, headerOffset);
        if (checksumStart == 0)
        {
            sentHeader.clear();
        }
        else if (gsoSize == 0)
        {
            // one TCP segment whose checksum holds the pseudo-header sum: the kernel completes it from csum_start
            sentHeader.flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_NONE).hdrLen(headerLength)
                .gsoSize(0).csumStart(checksumStart).csumOffset(TcpHeader.CHECKSUM_OFFSET);
        }
        else
        {
            // the kernel cuts it at gso_size and completes each segment's checksum from csum_start
            sentHeader.flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV4).hdrLen(headerLength)
                .gsoSize(gsoSize).csumStart(checksumStart).csumOffset(TcpHeader.CHECKSUM_OFFSET);
        }
        final boolean written = write(buffer.addressOffset() + headerOffset, VirtioNetHeader.LENGTH + length);
        if (written && gsoSize > 0)
        {
            superFramesTransmitted.lazySet(superFramesTransmitted.get() + 1);
            segmentsInSuperFramesTransmitted.lazySet(segmentsInSuperFramesTransmitted.get()
                + (length - headerLength + gsoSize - 1) / gsoSize);
        }
        return written;
    }

    private boolean write(final long address, final int length)
    {
        if (tap.write(address, length) == length)
        {
            framesTransmitted.lazySet(framesTransmitted.get() + 1);
            return true;
        }
        transmitErrors.lazySet(transmitErrors.get() + 1);
        if (!loggedTransmitError)
        {
            loggedTransmitError = true;
            LOG.warn("{}: the kernel refused a {}-byte frame: {} (dropped; counted, logged once)", tap.name(),
                length, TapDevice.describeErrno(TapDevice.lastErrno()));
        }
        return false;
    }

    @Override
    public void abort(final int offset)
    {
        if (coalescer != null)
        {
            coalescer.abort(offset);
            return;
        }
        claimedLength = -1;
    }

    /** With TSO4 and CSUM in effect: every TCP segment then goes marked NEEDS_CSUM, its checksum the kernel's job. */
    @Override
    public boolean offloadTcpChecksums()
    {
        if (coalescer == null)
        {
            return false;
        }
        coalescer.partialTcpChecksums(true);
        return true;
    }

    /** Sends the super-frame the coalescer is gathering: the stack calls it at the end of each duty cycle. */
    @Override
    public void flush()
    {
        if (coalescer != null)
        {
            coalescer.flush();
        }
    }

    /** "Now" while a super-frame is gathering (a runner then runs a cycle, which flushes it); else never. */
    @Override
    public long nextDeadlineNs()
    {
        return coalescer != null && coalescer.hasPending() ? 0 : Long.MAX_VALUE;
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

    /** Super-frames the kernel handed us (virtio-net gso_type other than NONE): its GSO or GRO at work. */
    public long superFramesReceived()
    {
        return superFramesReceived.get();
    }

    /** Super-frames written for the kernel to cut (TSO4). */
    public long superFramesTransmitted()
    {
        return superFramesTransmitted.get();
    }

    /** The MSS-sized segments those super-frames carried. */
    public long segmentsInSuperFramesTransmitted()
    {
        return segmentsInSuperFramesTransmitted.get();
    }

    /** Whether received frames carry a virtio-net header, and which offloads are in effect ({@code TUN_F_*}). */
    public int offloads()
    {
        return tap.offloads();
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
