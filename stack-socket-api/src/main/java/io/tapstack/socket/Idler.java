package io.tapstack.socket;

/**
 * How the stack thread parks once its {@link IdleBackoff} has spun and yielded: it blocks until input arrives, an
 * application hands it a command ({@link #wakeup()}), or its next deadline. Never a busy spin: on two cores a
 * spinning stack starves the kernel peer it talks to.
 */
public interface Idler
{
    /** Blocks for at most {@code timeoutNs} (0 or less: returns at once). Stack thread only. */
    void idle(long timeoutNs);

    /** Makes a blocked {@link #idle} return now, or the next one return at once. Any thread. */
    void wakeup();

    /** For stacks whose devices need no waiting on a file descriptor (memory links, tests): parks the thread. */
    static Idler parking()
    {
        return new ParkingIdler();
    }
}
