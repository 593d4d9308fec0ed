package io.tapstack.socket;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpInfo;
import org.agrona.collections.Int2ObjectHashMap;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Snapshots of a socket API's TCP connections for monitoring (the {@code http} example's {@code /stats} page): a
 * request goes to the stack thread as a command, which captures each connection's {@link TcpInfo} there (its
 * fields are the stack thread's), at most {@code max} of them, and the list comes back on the callback executor.
 * Reads only; allocates per request (a list and one holder per connection listed), never per packet.
 */
final class TcpConnectionSnapshots
{
    /** Cap on {@code max}: a request lists at most this many connections however many there are. */
    static final int MAX_LISTED = 4096;

    private final SocketStack owner;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<TcpConnections>> pending = new ConcurrentHashMap<>();

    TcpConnectionSnapshots(final SocketStack owner)
    {
        this.owner = owner;
    }

    CompletableFuture<TcpConnections> request(final int max)
    {
        if (max < 1 || max > MAX_LISTED)
        {
            throw new IllegalArgumentException("max must be 1.." + MAX_LISTED + ", not " + max);
        }
        final CompletableFuture<TcpConnections> failed = owner.failIfClosed();
        if (failed != null)
        {
            return failed;
        }
        final int id = ids.incrementAndGet();
        final CompletableFuture<TcpConnections> result = new CompletableFuture<>();
        pending.put(id, result);
        result.whenComplete((r, ex) -> pending.remove(id, result));
        try
        {
            owner.send(SocketStack.TCP_SNAPSHOT, id, max, 0);
        }
        catch (final IOException ex)
        {
            result.completeExceptionally(ex);
        }
        return result;
    }

    /** The stack closed: requests still waiting fail. */
    void stackClosed()
    {
        for (final CompletableFuture<TcpConnections> r : pending.values())
        {
            r.completeExceptionally(new StackClosedException());
        }
    }

    // stack thread

    void onCommand(final int id, final int max, final Int2ObjectHashMap<TcpSocketPump> connections, final long nowNs)
    {
        final CompletableFuture<TcpConnections> result = pending.get(id);
        if (result == null)
        {
            return;
        }
        final List<TcpConnectionSnapshot> listed = new ArrayList<>(Math.min(max, connections.size()));
        int total = 0;
        for (final TcpSocketPump pump : connections.values())
        {
            final TcpConnection tcp = pump.tcp();
            if (tcp == null)
            {
                continue; // a connect still waiting for ARP or its route: no TCP state yet
            }
            total++;
            if (listed.size() < max)
            {
                listed.add(new TcpConnectionSnapshot(pump.socket().id(), tcp.localAddress(), tcp.localPort(),
                    tcp.remoteAddress(), tcp.remotePort(), new TcpInfo().capture(tcp, nowNs)));
            }
        }
        listed.sort((a, b) -> Integer.compare(a.socketId(), b.socketId()));
        final TcpConnections r = new TcpConnections(Collections.unmodifiableList(listed), total);
        owner.executor().execute(() -> result.complete(r));
    }
}
