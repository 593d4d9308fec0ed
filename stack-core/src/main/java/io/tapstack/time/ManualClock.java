package io.tapstack.time;

import org.agrona.concurrent.NanoClock;

/**
 * A clock that moves only when told: for deterministic tests and simulations. Not thread-safe for writes;
 * reads are plain.
 */
public final class ManualClock implements NanoClock
{
    private long nowNs;

    public ManualClock()
    {
        this(0);
    }

    public ManualClock(final long startNs)
    {
        this.nowNs = startNs;
    }

    @Override
    public long nanoTime()
    {
        return nowNs;
    }

    public void advanceNs(final long deltaNs)
    {
        nowNs += deltaNs;
    }

    public void setNs(final long nowNs)
    {
        this.nowNs = nowNs;
    }
}
