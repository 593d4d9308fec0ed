package io.tapstack.dev;

import org.agrona.MutableDirectBuffer;

/** Receives one Ethernet frame. The bytes are valid only during the call: copy what must outlive it. */
@FunctionalInterface
public interface FrameHandler
{
    /** The frame's transport checksum is unknown: the stack verifies it (every device without offloads). */
    int CHECKSUM_UNVERIFIED = 0;
    /** The device verified the transport checksum (virtio-net {@code DATA_VALID}): the stack need not. */
    int CHECKSUM_VALID = 1;
    /**
     * The transport checksum field holds only the pseudo-header's partial sum (virtio-net {@code NEEDS_CSUM}): the
     * frame never crossed a wire, its bytes came from the peer's memory, and verifying it would always fail.
     */
    int CHECKSUM_PARTIAL = 2;

    void onFrame(MutableDirectBuffer buffer, int offset, int length, long nowNs);

    /**
     * A frame from a device that offloads checksums, with what the device says of its transport checksum (one of
     * the {@code CHECKSUM_*} constants). A handler that does not care verifies as usual: a partial checksum then
     * fails and the frame is dropped, never accepted unverified.
     */
    default void onFrame(final MutableDirectBuffer buffer, final int offset, final int length,
        final int checksumState, final long nowNs)
    {
        onFrame(buffer, offset, length, nowNs);
    }
}
