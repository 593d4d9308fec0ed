package io.tapstack.dev;

import org.agrona.MutableDirectBuffer;

/**
 * Where Ethernet frames come from and go to: a TAP device, one end of a {@link MemoryLink}, or a wrapper such
 * as {@link ImpairedDevice}. Owned by the stack thread.
 *
 * <p>Transmit is claim / write / commit, so that headers are written in place with no intermediate copy: a
 * claimed slot must end in exactly one {@link #commit} or {@link #abort} (try/finally).
 */
public interface FrameDevice extends AutoCloseable
{
    /**
     * Delivers up to {@code limit} received frames to {@code handler}.
     *
     * @return the number of frames delivered (the work count)
     */
    int receive(long nowNs, FrameHandler handler, int limit);

    /**
     * Claims room for one frame of exactly {@code length} bytes.
     *
     * @return the offset of the frame in {@link #transmitBuffer()}, or -1 when the device has no room now
     */
    int claim(int length);

    /** The buffer that claimed offsets refer to. */
    MutableDirectBuffer transmitBuffer();

    /** Sends the frame claimed at {@code offset}. */
    void commit(int offset);

    /** Gives back the frame claimed at {@code offset} unsent. */
    void abort(int offset);

    /** The largest frame the device carries, Ethernet header included. */
    int maxFrameLength();

    /**
     * The end of a duty cycle's output: a device that gathers frames before it sends them (a TCP segmentation
     * offload, {@link TcpSegmentCoalescer}) sends what it holds. The stack calls it at the end of every duty
     * cycle; by default nothing.
     */
    default void flush()
    {
    }

    /**
     * Asked once by the stack when it is built: will the device complete the TCP checksum of every TCP/IPv4 frame
     * the stack sends from now on (a TAP with virtio-net headers and {@code TUN_F_CSUM}, marking each such frame
     * {@code NEEDS_CSUM}; an offloading {@link MemoryLink})? When it answers true the stack writes only the
     * pseudo-header's partial sum into each TCP checksum field, not complemented, and the device (or the kernel
     * behind it) adds the segment's bytes. By default false: the stack writes complete checksums, as every device
     * that changes frames on their way (impairments) or has no such offload needs.
     */
    default boolean offloadTcpChecksums()
    {
        return false;
    }

    /**
     * The time of the duty cycle that starts, before anything is received or sent in it: a device that stamps or
     * delays the frames it is given takes its time from here (it holds no clock). By default nothing.
     */
    default void onTime(final long nowNs)
    {
    }

    /** When the device next has something to do by itself (a delayed frame, say); {@code Long.MAX_VALUE} if never. */
    default long nextDeadlineNs()
    {
        return Long.MAX_VALUE;
    }

    @Override
    default void close()
    {
    }
}
