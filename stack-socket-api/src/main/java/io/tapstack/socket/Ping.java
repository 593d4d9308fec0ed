package io.tapstack.socket;

import io.tapstack.wire.Ipv4Address;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** ICMP echo (RFC 792) from the stack: one request, its round-trip time. */
public final class Ping
{
    /** Data bytes after the ICMP header, as ping(8) sends by default. */
    public static final int DEFAULT_DATA_LENGTH = 56;
    /** The fewest data bytes: the 8 that carry the send time. */
    public static final int MIN_DATA_LENGTH = 8;
    /** The most data bytes: what one IPv4 datagram carries after its 20-byte IP and 8-byte ICMP headers. */
    public static final int MAX_DATA_LENGTH = 65_507;

    private final PingService service;

    Ping(final PingService service)
    {
        this.service = service;
    }

    /**
     * Sends one echo request and waits at most {@code timeout} for its reply.
     *
     * @return the round-trip time
     * @throws SocketTimeoutException when no reply came in time
     */
    public Duration echo(final int address, final Duration timeout) throws IOException
    {
        return echo(address, DEFAULT_DATA_LENGTH, timeout);
    }

    public Duration echo(final String address, final Duration timeout) throws IOException
    {
        return echo(Ipv4Address.parse(address), DEFAULT_DATA_LENGTH, timeout);
    }

    public Duration echo(final InetAddress address, final Duration timeout) throws IOException
    {
        return echo(InetAddresses.toInt(address), DEFAULT_DATA_LENGTH, timeout);
    }

    public Duration echo(final String address, final int dataLength, final Duration timeout) throws IOException
    {
        return echo(Ipv4Address.parse(address), dataLength, timeout);
    }

    public Duration echo(final InetAddress address, final int dataLength, final Duration timeout) throws IOException
    {
        return echo(InetAddresses.toInt(address), dataLength, timeout);
    }

    /** Sends one echo request with {@code dataLength} data bytes (8..65,507; beyond the MTU it is fragmented). */
    public Duration echo(final int address, final int dataLength, final Duration timeout) throws IOException
    {
        final CompletableFuture<Duration> reply = echoAsync(address, dataLength);
        try
        {
            return reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final TimeoutException ex)
        {
            reply.cancel(false);
            throw new SocketTimeoutException("no echo reply from " + Ipv4Address.toString(address) + " within "
                + timeout.toMillis() + " ms");
        }
        catch (final InterruptedException ex)
        {
            reply.cancel(false);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted in ping");
        }
        catch (final ExecutionException ex)
        {
            throw Failures.unwrap(ex);
        }
    }

    /** {@link #echoAsync(int, int)} to "10.0.0.1". */
    public CompletableFuture<Duration> echoAsync(final String address, final int dataLength)
    {
        return echoAsync(Ipv4Address.parse(address), dataLength);
    }

    /** {@link #echoAsync(int, int)} to an IPv4 {@link InetAddress}. */
    public CompletableFuture<Duration> echoAsync(final InetAddress address, final int dataLength)
    {
        return echoAsync(InetAddresses.toInt(address), dataLength);
    }

    /** The non-blocking style: completes with the round-trip time; add {@code orTimeout} for a limit. */
    public CompletableFuture<Duration> echoAsync(final int address, final int dataLength)
    {
        if (dataLength < MIN_DATA_LENGTH || dataLength > MAX_DATA_LENGTH)
        {
            throw new IllegalArgumentException("echo data must be " + MIN_DATA_LENGTH + ".." + MAX_DATA_LENGTH
                + " bytes (8 carry the send time), not " + dataLength);
        }
        return service.echo(address, dataLength);
    }
}
