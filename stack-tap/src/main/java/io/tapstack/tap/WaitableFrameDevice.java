package io.tapstack.tap;

import io.tapstack.dev.FrameDevice;

/**
 * A {@link FrameDevice} the stack thread can block on when it has nothing to do, instead of spinning (on two
 * cores a spinning stack starves the kernel peer it talks to).
 */
public interface WaitableFrameDevice extends FrameDevice
{
    /**
     * Blocks until a frame can be received, {@link #wakeup()} is called, or {@code timeoutNs} passes (0 or
     * less only checks). Stack thread only.
     *
     * @return true when a frame can be received
     */
    boolean awaitReadable(long timeoutNs);

    /** Makes a blocked {@link #awaitReadable} return now, or the next one return at once. Any thread. */
    void wakeup();
}
