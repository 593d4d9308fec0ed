package io.tapstack.socket;

import java.io.IOException;

/** The stack a socket belongs to was closed: every pending and later call on it fails with this. */
public final class StackClosedException extends IOException
{
    private static final long serialVersionUID = 1L;

    public StackClosedException()
    {
        super("the stack was closed");
    }
}
