package io.tapstack.socket;

import java.time.Duration;

/**
 * Per-connection options, given to {@code connect} or to {@code listen} (then every accepted connection has
 * them). Buffer sizes are the socket API's rings on top of TCP's own buffers ({@code StackConfig.tcp()}); they
 * are rounded up to a power of two.
 */
public final class SocketOptions
{
    private int sendBufferBytes;
    private int receiveBufferBytes;
    private Boolean nagle;
    private Boolean keepAlive;
    private Duration readTimeout;
    private boolean directCallbacks;

    /** The defaults: buffers from {@link SocketConfig}, Nagle as the stack's TCP config says, no read timeout. */
    public static SocketOptions defaults()
    {
        return new SocketOptions();
    }

    /** Bytes a writer may queue ahead of TCP's send buffer (at least 4 KiB). */
    public SocketOptions sendBufferBytes(final int bytes)
    {
        this.sendBufferBytes = roundUp(bytes, "sendBufferBytes");
        return this;
    }

    /** Bytes the stack may hand ahead to a reader beyond TCP's receive buffer (at least 4 KiB). */
    public SocketOptions receiveBufferBytes(final int bytes)
    {
        this.receiveBufferBytes = roundUp(bytes, "receiveBufferBytes");
        return this;
    }

    /** Nagle's algorithm (RFC 9293 §3.7.4); {@code nagle(false)} is TCP_NODELAY. */
    public SocketOptions nagle(final boolean enabled)
    {
        this.nagle = enabled;
        return this;
    }

    /**
     * Keep-alive probes (RFC 1122 §4.2.3.6, SO_KEEPALIVE): an idle connection whose peer stops answering is reset
     * (idle time, interval and probes in {@code StackConfig.tcp()}).
     */
    public SocketOptions keepAlive(final boolean enabled)
    {
        this.keepAlive = enabled;
        return this;
    }

    /** How long a blocking read waits; null or zero: forever. */
    public SocketOptions readTimeout(final Duration timeout)
    {
        this.readTimeout = timeout;
        return this;
    }

    /**
     * Runs this socket's non-blocking callbacks ({@code readAsync}, {@code writeAsync}, {@code acceptAsync} and
     * what they chain) in the thread that makes them ready, mostly the stack thread, instead of handing each to
     * the callback executor: no thread hand-off and no wake-up per request, the cheapest way to serve many small
     * requests on few cores. Such callbacks must never block (a blocking call on the stack thread throws
     * {@link IllegalStateException}: it would wait for itself) and should be short, since the stack waits for
     * them. Off by default.
     */
    public SocketOptions directCallbacks(final boolean enabled)
    {
        this.directCallbacks = enabled;
        return this;
    }

    boolean directCallbacks()
    {
        return directCallbacks;
    }

    int sendBufferBytes(final SocketConfig config)
    {
        return sendBufferBytes != 0 ? sendBufferBytes : config.tcpSendRingBytes();
    }

    int receiveBufferBytes(final SocketConfig config)
    {
        return receiveBufferBytes != 0 ? receiveBufferBytes : config.tcpReceiveRingBytes();
    }

    /** Null when the stack's default applies. */
    Boolean nagle()
    {
        return nagle;
    }

    /** Null when the stack's default applies. */
    Boolean keepAlive()
    {
        return keepAlive;
    }

    Duration readTimeout()
    {
        return readTimeout;
    }

    private static int roundUp(final int bytes, final String name)
    {
        if (bytes < 4096 || bytes > (1 << 30))
        {
            throw new IllegalArgumentException(name + " must be 4 KiB..1 GiB, not " + bytes);
        }
        return Integer.bitCount(bytes) == 1 ? bytes : Integer.highestOneBit(bytes) << 1;
    }
}
