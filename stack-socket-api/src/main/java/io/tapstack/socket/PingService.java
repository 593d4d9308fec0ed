package io.tapstack.socket;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The stack's echo requests in flight, by sequence number; replies complete them on the callback executor. */
final class PingService
{
    /** Our ICMP identifier: one per stack is enough, the sequence number tells requests apart. */
    static final int IDENTIFIER = 0x7470; // "tp"

    private final SocketStack owner;
    private final AtomicInteger sequences = new AtomicInteger();
    private final Map<Integer, CompletableFuture<Duration>> pending = new ConcurrentHashMap<>();

    PingService(final SocketStack owner)
    {
        this.owner = owner;
    }

    CompletableFuture<Duration> echo(final int address, final int dataLength)
    {
        final CompletableFuture<Duration> failed = owner.failIfClosed();
        if (failed != null)
        {
            return failed;
        }
        final java.net.NoRouteToHostException noRoute = owner.opens.noRouteTo(address);
        if (noRoute != null)
        {
            return CompletableFuture.failedFuture(noRoute);
        }
        final int sequence = sequences.incrementAndGet() & 0xFFFF;
        final CompletableFuture<Duration> reply = new CompletableFuture<>();
        pending.put(sequence, reply);
        reply.whenComplete((d, ex) -> pending.remove(sequence, reply));
        try
        {
            owner.send(SocketStack.PING, sequence, address, dataLength);
        }
        catch (final IOException ex)
        {
            reply.completeExceptionally(ex);
        }
        return reply;
    }

    // stack thread

    void onPingCommand(final int sequence, final int address, final int dataLength, final long nowNs)
    {
        if (!owner.netStack().ping(address, IDENTIFIER, sequence, dataLength, nowNs))
        {
            final CompletableFuture<Duration> reply = pending.get(sequence);
            if (reply != null)
            {
                owner.executor().execute(() -> reply.completeExceptionally(
                    new IOException("echo request could not be sent (no route, or the device is full)")));
            }
        }
    }

    void onEchoReply(final int source, final int identifier, final int sequence, final int payloadLength,
        final long rttNs)
    {
        if (identifier != IDENTIFIER)
        {
            return;
        }
        final CompletableFuture<Duration> reply = pending.get(sequence);
        if (reply != null)
        {
            owner.executor().execute(() -> reply.complete(Duration.ofNanos(Math.max(0, rttNs))));
        }
    }

    void stackClosed()
    {
        for (final CompletableFuture<Duration> reply : pending.values())
        {
            reply.completeExceptionally(new StackClosedException());
        }
    }
}
