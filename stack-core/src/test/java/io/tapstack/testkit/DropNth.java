package io.tapstack.testkit;

import io.tapstack.dev.ForwardingDevice;
import io.tapstack.dev.FrameDevice;

/** Drops the {@code n}-th frame of at least {@code minLength} bytes that the wrapped stack sends. */
public final class DropNth extends ForwardingDevice
{
    private final int n;
    private final int minLength;
    private int seen;

    public DropNth(final FrameDevice inner, final int n, final int minLength)
    {
        super(inner);
        this.n = n;
        this.minLength = minLength;
    }

    @Override
    public void commit(final int offset)
    {
        if (claimedLength() >= minLength && ++seen == n)
        {
            inner.abort(offset);
            return;
        }
        inner.commit(offset);
    }
}
