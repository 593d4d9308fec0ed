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

    /** The time of a duty cycle that starts: an observer that buffers output may write it out now. */
    default void onTime(final long nowNs)
    {
    }

    /** When the observer next wants {@link #onTime} even if no frame comes ({@code Long.MAX_VALUE}: never). */
    default long nextDeadlineNs()
    {
        return Long.MAX_VALUE;
    }
}
