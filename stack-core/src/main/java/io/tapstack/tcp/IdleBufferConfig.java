package io.tapstack.tcp;

import java.util.concurrent.TimeUnit;

/**
 * When a connection's buffer arrays go back to the {@link TcpMemory} account: a send or receive buffer that is empty
 * (everything acknowledged, everything read, no out-of-order bytes held) and has stayed so for {@link #delayNs()}
 * gives its array back, and takes a new one (4 KiB first, doubling) when data comes again. Linux holds no data memory
 * for an idle socket either (its buffers are the segments themselves, freed as they are acknowledged or read, and
 * the socket's reserve is reclaimed). The delay keeps a busy connection's array: only a connection that stays quiet
 * for the whole delay loses it, so steady traffic never releases and re-takes arrays. Counted in
 * {@code TCP_IDLE_BUFFER_RELEASES}. Fluent setters; part of {@link TcpConfig#idleBuffers}.
 */
public final class IdleBufferConfig
{
    private boolean enabled = true;
    private long delayNs = TimeUnit.SECONDS.toNanos(1);

    /** On by default; off, a connection keeps its arrays until it closes (and its receive buffer is read). */
    public IdleBufferConfig enabled(final boolean enabled)
    {
        this.enabled = enabled;
        return this;
    }

    public boolean enabled()
    {
        return enabled;
    }

    /**
     * How long a buffer must stay empty before its array goes back: 1 s by default (as the socket API's idle rings);
     * at least 1 ms, so that a connection between two segments of one exchange never gives its array back.
     */
    public IdleBufferConfig delayNs(final long ns)
    {
        if (ns < TimeUnit.MILLISECONDS.toNanos(1))
        {
            throw new IllegalArgumentException("idle buffer delayNs must be at least 1 ms: " + ns);
        }
        this.delayNs = ns;
        return this;
    }

    public long delayNs()
    {
        return delayNs;
    }
}
