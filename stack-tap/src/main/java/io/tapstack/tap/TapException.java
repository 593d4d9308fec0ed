package io.tapstack.tap;

/**
 * A TAP or TUN device could not be opened, configured or used. The message says what failed, the errno with
 * its text, and what to do about it; {@link #errno()} is the raw value (0 when no system call failed).
 */
public final class TapException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errno;

    public TapException(final String message, final int errno)
    {
        super(message);
        this.errno = errno;
    }

    public TapException(final String message, final int errno, final Throwable cause)
    {
        super(message, cause);
        this.errno = errno;
    }

    /** The errno of the failed system call, or 0. */
    public int errno()
    {
        return errno;
    }
}
