package io.tapstack.tap;

import io.tapstack.dev.FrameHandler;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A {@link io.tapstack.dev.FrameDevice} that carries each Ethernet frame in one UDP datagram to one peer: two
 * stacks (or a stack and a kernel TAP behind the {@code tunnel} command) meet over UDP, on one machine or across
 * machines, with no root and no TAP. Plain {@code java.nio} ({@link DatagramChannel}), not JNA.
 *
 * <p>A frame is at most {@code mtu + 14} bytes (the Ethernet header), and so is a datagram: a longer frame is
 * refused by {@link #claim} and counted in {@link #oversizedTransmitted()}; a received datagram shorter than an
 * Ethernet header or longer than that is dropped and counted in {@link #malformedReceived()}; a datagram from
 * any address but the configured peer is dropped and counted in {@link #foreignReceived()}. Across a path whose
 * MTU is 1500 a 1500-byte link MTU makes 1542-byte IPv4 datagrams that the network fragments; a link MTU of 1458
 * (1500 - 20 IPv4 - 8 UDP - 14 Ethernet) avoids that.
 *
 * <p>No allocation per frame: one direct receive buffer and one direct transmit slot, reused; the channel is not
 * connected (so that foreign senders are seen and counted), and the JDK reuses the sender's address object while
 * it stays the same. The receive side ({@link #receive}, {@link #awaitReadable}) and the transmit side
 * ({@link #claim}, {@link #commit}) may run on two different threads (the {@code tunnel} relay does); the
 * counters are readable from any thread.
 */
public final class UdpTunnelDevice implements WaitableFrameDevice
{
    private static final Logger LOG = LoggerFactory.getLogger(UdpTunnelDevice.class);
    private static final int ETHERNET_HEADER_LENGTH = 14;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private final DatagramChannel channel;
    private final Selector selector;
    private final InetSocketAddress peer;
    private final InetSocketAddress localAddress;
    private final int maxFrameLength;
    private final ByteBuffer receiveByteBuffer;
    private final UnsafeBuffer receiveBuffer;
    private final ByteBuffer transmitByteBuffer;
    private final UnsafeBuffer transmitBuffer;
    private final Consumer<SelectionKey> ignoreKey = key -> { };
    /** Length of the claimed frame, or -1 when the slot is free. */
    private int claimedLength = -1;
    private boolean loggedReceiveError;
    private boolean loggedTransmitError;

    private final AtomicLong framesReceived = new AtomicLong();
    private final AtomicLong framesTransmitted = new AtomicLong();
    private final AtomicLong malformedReceived = new AtomicLong();
    private final AtomicLong foreignReceived = new AtomicLong();
    private final AtomicLong oversizedTransmitted = new AtomicLong();
    private final AtomicLong transmitDropped = new AtomicLong();
    private final AtomicLong receiveErrors = new AtomicLong();

    private UdpTunnelDevice(final DatagramChannel channel, final Selector selector, final InetSocketAddress peer,
        final int mtu) throws IOException
    {
        this.channel = channel;
        this.localAddress = (InetSocketAddress)channel.getLocalAddress();
        this.selector = selector;
        this.peer = peer;
        this.maxFrameLength = mtu + ETHERNET_HEADER_LENGTH;
        // one byte more than a frame may have: a datagram that fills it is oversized (receive truncates the rest)
        this.receiveByteBuffer = BufferUtil.allocateDirectAligned(BitUtil.align(maxFrameLength + 1, 64), 64);
        this.receiveByteBuffer.limit(maxFrameLength + 1);
        this.receiveBuffer = new UnsafeBuffer(receiveByteBuffer);
        this.transmitByteBuffer = BufferUtil.allocateDirectAligned(BitUtil.align(maxFrameLength, 64), 64);
        this.transmitBuffer = new UnsafeBuffer(transmitByteBuffer);
    }

    /**
     * Binds UDP {@code localPort} on every local address (0: any free port, see {@link #localAddress()}) and
     * sends every frame to {@code peer}.
     *
     * @param mtu the link MTU; frames and datagrams are at most {@code mtu + 14} bytes
     * @throws UncheckedIOException when the port cannot be bound (in use, say)
     */
    public static UdpTunnelDevice open(final int localPort, final InetSocketAddress peer, final int mtu)
    {
        if (localPort < 0 || localPort > 65535)
        {
            throw new IllegalArgumentException("the local UDP port must be 0..65535, not " + localPort);
        }
        if (peer.isUnresolved() || peer.getPort() == 0)
        {
            throw new IllegalArgumentException("the peer must be a resolved address with a port, not " + peer);
        }
        if (mtu < 68 || mtu > 65535 - 8 - 40 - ETHERNET_HEADER_LENGTH)
        {
            throw new IllegalArgumentException("the tunnel's MTU must fit a UDP datagram, not " + mtu);
        }
        DatagramChannel channel = null;
        Selector selector = null;
        try
        {
            final boolean v4 = peer.getAddress() instanceof Inet4Address;
            channel = DatagramChannel.open(v4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
            channel.bind(new InetSocketAddress(localPort));
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return new UdpTunnelDevice(channel, selector, peer, mtu);
        }
        catch (final IOException ex)
        {
            closeQuietly(selector);
            closeQuietly(channel);
            throw new UncheckedIOException("cannot open the UDP tunnel on port " + localPort + " to " + peer + ": "
                + ex.getMessage(), ex);
        }
    }

    /**
     * Parses {@code LOCAL_PORT:HOST:PORT} (HOST a name, an IPv4 address or a bracketed IPv6 address) and resolves
     * HOST once.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Endpoints parse(final String spec)
    {
        final String what = "a UDP tunnel is LOCAL_PORT:HOST:PORT like 7001:127.0.0.1:7002, not '" + spec + "'";
        final int first = spec.indexOf(':');
        final int last = spec.lastIndexOf(':');
        if (first <= 0 || last <= first + 1 || last == spec.length() - 1)
        {
            throw new IllegalArgumentException(what);
        }
        String host = spec.substring(first + 1, last);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int localPort = port(spec.substring(0, first), what, true);
        final int peerPort = port(spec.substring(last + 1), what, false);
        try
        {
            return new Endpoints(localPort, new InetSocketAddress(InetAddress.getByName(host), peerPort));
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(what + " (cannot resolve '" + host + "')");
        }
    }

    private static int port(final String text, final String what, final boolean zeroAllowed)
    {
        if (!text.matches("[0-9]{1,5}"))
        {
            throw new IllegalArgumentException(what);
        }
        final int port = Integer.parseInt(text);
        if (port > 65535 || (port == 0 && !zeroAllowed))
        {
            throw new IllegalArgumentException(what + " (a port is 1..65535)");
        }
        return port;
    }

    /** What {@link #parse} read: the local port and the peer. */
    public record Endpoints(int localPort, InetSocketAddress peer)
    {
    }

    /** The bound local address (its port is the chosen one when 0 was asked for). */
    public InetSocketAddress localAddress()
    {
        return localAddress;
    }

    public InetSocketAddress peer()
    {
        return peer;
    }

    /** Receives up to {@code limit} datagrams without blocking; hands each well-formed one from the peer on. */
    @Override
    public int receive(final long nowNs, final FrameHandler handler, final int limit)
    {
        int delivered = 0;
        long malformed = 0;
        long foreign = 0;
        // datagrams dropped count against the limit too: a flood of them cannot hold the stack thread here
        for (int attempt = 0; attempt < limit; attempt++)
        {
            receiveByteBuffer.clear().limit(maxFrameLength + 1);
            final SocketAddress from;
            try
            {
                from = channel.receive(receiveByteBuffer);
            }
            catch (final IOException ex)
            {
                receiveErrors.lazySet(receiveErrors.get() + 1);
                if (!loggedReceiveError)
                {
                    loggedReceiveError = true;
                    LOG.warn("UDP tunnel to {}: receive failed: {} (counted, logged once)", peer, ex.toString());
                }
                break;
            }
            if (from == null)
            {
                break;
            }
            final int length = receiveByteBuffer.position();
            if (!peer.equals(from))
            {
                foreign++;
            }
            else if (length < ETHERNET_HEADER_LENGTH || length > maxFrameLength)
            {
                malformed++;
            }
            else
            {
                delivered++;
                handler.onFrame(receiveBuffer, 0, length, nowNs);
            }
        }
        if (delivered > 0)
        {
            framesReceived.lazySet(framesReceived.get() + delivered);
        }
        if (malformed > 0)
        {
            malformedReceived.lazySet(malformedReceived.get() + malformed);
        }
        if (foreign > 0)
        {
            foreignReceived.lazySet(foreignReceived.get() + foreign);
        }
        return delivered;
    }

    /** Offset 0 for a frame of at most {@link #maxFrameLength()}; -1 while a frame is claimed, or one too long (counted). */
    @Override
    public int claim(final int length)
    {
        if (length > maxFrameLength)
        {
            oversizedTransmitted.lazySet(oversizedTransmitted.get() + 1);
            return -1;
        }
        if (claimedLength >= 0 || length < 0)
        {
            return -1;
        }
        claimedLength = length;
        return 0;
    }

    @Override
    public MutableDirectBuffer transmitBuffer()
    {
        return transmitBuffer;
    }

    /** Sends the claimed frame as one datagram; one the socket has no room for, or refuses, is dropped and counted. */
    @Override
    public void commit(final int offset)
    {
        final int length = claimedLength;
        if (length < 0)
        {
            throw new IllegalStateException("commit without claim");
        }
        claimedLength = -1;
        transmitByteBuffer.clear().limit(length);
        try
        {
            if (channel.send(transmitByteBuffer, peer) == length)
            {
                framesTransmitted.lazySet(framesTransmitted.get() + 1);
            }
            else
            {
                // the socket's send buffer is full: a NIC's full queue drops the frame too
                transmitDropped.lazySet(transmitDropped.get() + 1);
            }
        }
        catch (final IOException ex)
        {
            transmitDropped.lazySet(transmitDropped.get() + 1);
            if (!loggedTransmitError)
            {
                loggedTransmitError = true;
                LOG.warn("UDP tunnel to {}: send of a {}-byte frame failed: {} (dropped; counted, logged once)",
                    peer, length, ex.toString());
            }
        }
    }

    @Override
    public void abort(final int offset)
    {
        claimedLength = -1;
    }

    /** MTU + 14 (the Ethernet header): the largest frame, and datagram, the tunnel carries. */
    @Override
    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    /**
     * Blocks until a datagram can be received, {@link #wakeup()} is called, or {@code timeoutNs} passes (rounded
     * up to whole milliseconds; 0 or less only checks).
     */
    @Override
    public boolean awaitReadable(final long timeoutNs)
    {
        try
        {
            if (timeoutNs <= 0)
            {
                return selector.selectNow(ignoreKey) > 0;
            }
            final long ms = Math.min(timeoutNs / NANOS_PER_MILLI + 1, Integer.MAX_VALUE);
            return selector.select(ignoreKey, ms) > 0;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Makes a blocked {@link #awaitReadable} return now. Any thread. */
    @Override
    public void wakeup()
    {
        selector.wakeup();
    }

    public long framesReceived()
    {
        return framesReceived.get();
    }

    public long framesTransmitted()
    {
        return framesTransmitted.get();
    }

    /** Datagrams from the peer shorter than an Ethernet header or longer than {@link #maxFrameLength()}. */
    public long malformedReceived()
    {
        return malformedReceived.get();
    }

    /** Datagrams from any address but the peer. */
    public long foreignReceived()
    {
        return foreignReceived.get();
    }

    /** Frames longer than {@link #maxFrameLength()} refused by {@link #claim}. */
    public long oversizedTransmitted()
    {
        return oversizedTransmitted.get();
    }

    /** Frames the socket had no room for or refused (no route, say). */
    public long transmitDropped()
    {
        return transmitDropped.get();
    }

    public long receiveErrors()
    {
        return receiveErrors.get();
    }

    /** The counters on one line, for a command's summary. */
    public String describe()
    {
        return "udp tunnel " + localAddress.getPort() + " <-> " + peer.getAddress().getHostAddress() + ":"
            + peer.getPort() + ": " + framesReceived() + " frames in, " + framesTransmitted() + " out, "
            + malformedReceived() + " malformed in, " + foreignReceived() + " from foreign senders, "
            + oversizedTransmitted() + " oversized out, " + transmitDropped() + " dropped out, " + receiveErrors()
            + " receive errors";
    }

    @Override
    public void close()
    {
        closeQuietly(selector);
        closeQuietly(channel);
    }

    private static void closeQuietly(final AutoCloseable c)
    {
        if (c == null)
        {
            return;
        }
        try
        {
            c.close();
        }
        catch (final Exception ex)
        {
            LOG.warn("closing {} failed", c, ex);
        }
    }

    @Override
    public String toString()
    {
        return "udp-tunnel " + localAddress.getPort() + ":" + peer.getAddress().getHostAddress() + ":" + peer.getPort();
    }
}
