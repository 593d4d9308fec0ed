package io.tapstack.dev;

import org.agrona.MutableDirectBuffer;

/** Receives one Ethernet frame. The bytes are valid only during the call: copy what must outlive it. */
@FunctionalInterface
public interface FrameHandler
{
    void onFrame(MutableDirectBuffer buffer, int offset, int length, long nowNs);
}
