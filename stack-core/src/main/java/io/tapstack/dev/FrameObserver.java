package io.tapstack.dev;

import org.agrona.DirectBuffer;

/** Sees frames as they cross a link (for captures and traces). The bytes are valid only during the call. */
@FunctionalInterface
public interface FrameObserver
{
    /**
     * @param fromA true for a frame sent by end A towards end B
     */
    void onFrame(boolean fromA, DirectBuffer buffer, int offset, int length, long nowNs);
}
