package io.tapstack.examples;

/** A request the server answers with an error status and then closes the connection (its framing is in doubt). */
final class HttpError extends Exception
{
    private static final long serialVersionUID = 1L;

    private final int status;

    HttpError(final int status, final String message)
    {
        super(message, null, false, false);
        this.status = status;
    }

    int status()
    {
        return status;
    }
}
