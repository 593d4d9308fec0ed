package io.tapstack.socket;

import java.io.IOException;
import java.util.concurrent.ExecutionException;

/**
 * How a failure decided on the stack thread reaches a blocked caller: as a new exception of the same type and
 * message, thrown in the caller's thread so that its stack trace shows the caller's call, with the stack
 * thread's exception attached as the cause (which shows where and why the stack decided). The same stored
 * failure may be thrown to several callers; each gets its own.
 */
final class Failures
{
    private Failures()
    {
    }

    /** A copy of {@code failure} to throw from the calling thread, with {@code failure} as its cause. */
    static IOException forCaller(final IOException failure)
    {
        try
        {
            // every IOException the socket API raises (java.net's and java.io's) has a (String) constructor
            final IOException copy = failure instanceof StackClosedException ? new StackClosedException()
                : failure.getClass().getConstructor(String.class).newInstance(failure.getMessage());
            copy.initCause(failure);
            return copy;
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            return new IOException(failure.getMessage(), failure);
        }
    }

    /** What a blocked caller throws for a failed future: its cause, copied into the caller's thread. */
    static IOException unwrap(final ExecutionException ex)
    {
        final Throwable cause = ex.getCause();
        if (cause instanceof IOException io)
        {
            return forCaller(io);
        }
        return new IOException(cause);
    }
}
