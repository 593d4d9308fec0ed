package io.tapstack.examples;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** The HTTP server's own counters, beside the stack's; any thread. */
final class HttpStats
{
    private final long startNs = System.nanoTime();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong openConnections = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bodyBytes = new AtomicLong();
    private final AtomicLong idleTimeouts = new AtomicLong();
    private final AtomicLong headerTimeouts = new AtomicLong();
    /** Responses by status class: index 1 for 1xx .. 5 for 5xx. */
    private final AtomicLongArray byClass = new AtomicLongArray(6);

    void connectionOpened()
    {
        connections.incrementAndGet();
        openConnections.incrementAndGet();
    }

    void connectionClosed()
    {
        openConnections.decrementAndGet();
    }

    void idleTimeout()
    {
        idleTimeouts.incrementAndGet();
    }

    /** A request head did not arrive whole within the header timeout (a 408). */
    void headerTimeout()
    {
        headerTimeouts.incrementAndGet();
    }

    void responded(final int status, final long bodyBytesSent)
    {
        requests.incrementAndGet();
        byClass.incrementAndGet(Math.max(1, Math.min(5, status / 100)));
        bodyBytes.addAndGet(bodyBytesSent);
    }

    long uptimeMs()
    {
        return (System.nanoTime() - startNs) / 1_000_000L;
    }

    long requests()
    {
        return requests.get();
    }

    /** Snake-case names, as the JSON shows them. */
    Map<String, Long> snapshot()
    {
        final Map<String, Long> m = new LinkedHashMap<>();
        m.put("connections_total", connections.get());
        m.put("connections_open", openConnections.get());
        m.put("requests", requests.get());
        for (int c = 1; c <= 5; c++)
        {
            m.put("responses_" + c + "xx", byClass.get(c));
        }
        m.put("body_bytes_sent", bodyBytes.get());
        m.put("keep_alive_timeouts", idleTimeouts.get());
        m.put("header_timeouts", headerTimeouts.get());
        return m;
    }

    String summary()
    {
        return String.format("http: %d connections, %d requests, %d body bytes sent%n", connections.get(),
            requests.get(), bodyBytes.get());
    }
}
