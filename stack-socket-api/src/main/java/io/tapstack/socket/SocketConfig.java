package io.tapstack.socket;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Sizes and threads of the socket API. Every per-socket ring is a power of two in bytes; a chunk moved through a
 * ring is at most an eighth of it (Agrona's ring-buffer limit).
 */
public final class SocketConfig
{
    private int commandRingBytes = 1 << 20;
    private int tcpSendRingBytes = 64 * 1024;
    private int tcpReceiveRingBytes = 64 * 1024;
    private int udpReceiveRingBytes = 1 << 20;
    private int acceptQueueLength = 128;
    private long ringIdleReleaseNs = TimeUnit.SECONDS.toNanos(1);
    private long ringPoolBytes = 16L << 20;
    private Executor callbackExecutor;

    /** Commands from application threads to the stack (UDP payloads travel inside them): at least 1 MiB. */
    public SocketConfig commandRingBytes(final int bytes)
    {
        this.commandRingBytes = bytes;
        return this;
    }

    public int commandRingBytes()
    {
        return commandRingBytes;
    }

    /** Bytes an application may write ahead of the stack per TCP connection (on top of TCP's send buffer). */
    public SocketConfig tcpSendRingBytes(final int bytes)
    {
        this.tcpSendRingBytes = bytes;
        return this;
    }

    public int tcpSendRingBytes()
    {
        return tcpSendRingBytes;
    }

    /** Bytes the stack may hand ahead to a reader per TCP connection (on top of TCP's receive buffer). */
    public SocketConfig tcpReceiveRingBytes(final int bytes)
    {
        this.tcpReceiveRingBytes = bytes;
        return this;
    }

    public int tcpReceiveRingBytes()
    {
        return tcpReceiveRingBytes;
    }

    /** Datagrams waiting for a UDP socket's reader: at least 1 MiB so a 65,507-byte datagram fits. */
    public SocketConfig udpReceiveRingBytes(final int bytes)
    {
        this.udpReceiveRingBytes = bytes;
        return this;
    }

    public int udpReceiveRingBytes()
    {
        return udpReceiveRingBytes;
    }

    /** Accepted connections waiting for {@code accept()} per listener, beyond the stack's own backlog. */
    public SocketConfig acceptQueueLength(final int length)
    {
        this.acceptQueueLength = length;
        return this;
    }

    public int acceptQueueLength()
    {
        return acceptQueueLength;
    }

    /**
     * How long a TCP socket's rings must move nothing before the empty ones are given back (they are taken again
     * when bytes come): an idle connection then holds none. Between 1 ms and 1 hour; a ring goes back after one
     * to two of these.
     */
    public SocketConfig ringIdleReleaseNs(final long nanos)
    {
        this.ringIdleReleaseNs = nanos;
        return this;
    }

    public long ringIdleReleaseNs()
    {
        return ringIdleReleaseNs;
    }

    /**
     * The most bytes of TCP socket rings given back (by closed sockets and by the idle sweep) kept for new sockets,
     * which then take one of those instead of allocating and zeroing one: connection setup cost under a burst of
     * short connections. Rings beyond it go to the collector; the pool empties once a {@link #ringIdleReleaseNs}
     * period passes without a ring taken from it, so an idle stack keeps none. Between 0 (no pool) and 1 GiB;
     * default 16 MiB: enough for {@code wrk -c50 -H 'Connection: close'} against {@code services --buffer-bytes
     * 262144} (rings of 128 and 256 KiB) to take nearly every ring from the pool, where 4 MiB left 12 to 15% of
     * the stack thread's time allocating them (docs/benchmarks.md); 64 connections' two rings at the default 64 KiB.
     */
    public SocketConfig ringPoolBytes(final long bytes)
    {
        this.ringPoolBytes = bytes;
        return this;
    }

    public long ringPoolBytes()
    {
        return ringPoolBytes;
    }

    /** Where non-blocking completions run; default: a pool of daemon threads owned by the stack. */
    public SocketConfig callbackExecutor(final Executor executor)
    {
        this.callbackExecutor = executor;
        return this;
    }

    public Executor callbackExecutor()
    {
        return callbackExecutor;
    }

    SocketConfig validate()
    {
        requirePowerOfTwo("commandRingBytes", commandRingBytes, 1 << 20);
        requirePowerOfTwo("tcpSendRingBytes", tcpSendRingBytes, 4096);
        requirePowerOfTwo("tcpReceiveRingBytes", tcpReceiveRingBytes, 4096);
        requirePowerOfTwo("udpReceiveRingBytes", udpReceiveRingBytes, 1 << 20);
        if (ringIdleReleaseNs < TimeUnit.MILLISECONDS.toNanos(1) || ringIdleReleaseNs > TimeUnit.HOURS.toNanos(1))
        {
            throw new IllegalArgumentException("ringIdleReleaseNs must be between 1 ms and 1 hour, not "
                + ringIdleReleaseNs);
        }
        if (ringPoolBytes < 0 || ringPoolBytes > 1L << 30)
        {
            throw new IllegalArgumentException("ringPoolBytes must be between 0 and 1 GiB, not " + ringPoolBytes);
        }
        if (acceptQueueLength < 1)
        {
            throw new IllegalArgumentException("acceptQueueLength must be at least 1");
        }
        return this;
    }

    private static void requirePowerOfTwo(final String name, final int value, final int min)
    {
        if (value < min || Integer.bitCount(value) != 1)
        {
            throw new IllegalArgumentException(name + " must be a power of two of at least " + min + ", not " + value);
        }
    }
}
