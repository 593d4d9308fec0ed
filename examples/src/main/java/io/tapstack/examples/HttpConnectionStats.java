package io.tapstack.examples;

import io.tapstack.socket.SocketStack;
import io.tapstack.socket.TcpConnectionSnapshot;
import io.tapstack.socket.TcpConnections;
import io.tapstack.tcp.TcpInfo;
import io.tapstack.wire.Ipv4Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The live connections behind {@code /stats}: once a period (a second for the {@code http} command), while someone
 * looked at them in the last minute, it asks the socket API for a snapshot of at most {@code maxListed} TCP
 * connections (taken on the stack thread, so the stack's fields are read where they live), and keeps the last
 * {@code historyPoints} cwnd samples of each listed connection here, server side, so a page opened late still
 * draws the recent past. Both bounds show in the JSON. Any thread.
 */
final class HttpConnectionStats implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger("http");
    /** The http command lists at most this many connections; the JSON says how many there were. */
    static final int MAX_LISTED = 32;
    /** cwnd samples the http command keeps per connection: two minutes at one a second. */
    static final int HISTORY_POINTS = 120;
    static final long SAMPLE_PERIOD_MS = 1000;
    /** What a site with no stack behind it answers (an empty list). */
    static final String NONE_JSON = "{\"sampled_ms\": -1, \"period_ms\": 0, \"max_listed\": 0, "
        + "\"history_points\": 0, \"total\": 0, \"connections\": []}\n";
    /** Sampling stops this long after the last look, so an idle server's stack thread is left parked. */
    private static final long WATCHED_FOR_NS = 60_000_000_000L;

    private final SocketStack sockets;
    private final int maxListed;
    private final int historyPoints;
    private final long periodMs;
    private final long startNs = System.nanoTime();
    private final ScheduledExecutorService timer;
    /** When the JSON was last asked for; at first, long enough ago that nobody watches. */
    private volatile long lastViewedNs = System.nanoTime() - 2 * WATCHED_FOR_NS;
    // guarded by this
    private TcpConnections latest = new TcpConnections(List.of(), 0);
    private long latestAtMs = -1;
    private Map<Integer, History> histories = new HashMap<>();
    private boolean requestInFlight;

    /** One connection's cwnd over time: a ring of (ms since start, bytes). */
    private static final class History
    {
        final long[] timeMs;
        final int[] cwnd;
        int next;
        int size;

        History(final int points)
        {
            timeMs = new long[points];
            cwnd = new int[points];
        }

        void add(final long ms, final int value)
        {
            timeMs[next] = ms;
            cwnd[next] = value;
            next = (next + 1) % cwnd.length;
            size = Math.min(cwnd.length, size + 1);
        }
    }

    /** The http command's: {@link #MAX_LISTED} connections, {@link #HISTORY_POINTS} samples, one a second. */
    HttpConnectionStats(final SocketStack sockets)
    {
        this(sockets, MAX_LISTED, HISTORY_POINTS, SAMPLE_PERIOD_MS);
    }

    /**
     * @param maxListed connections listed at most, 1..4096
     * @param historyPoints cwnd samples kept per listed connection, at least 1
     * @param periodMs between samples while watched
     */
    HttpConnectionStats(final SocketStack sockets, final int maxListed, final int historyPoints, final long periodMs)
    {
        if (maxListed < 1 || maxListed > 4096 || historyPoints < 1 || periodMs < 1)
        {
            throw new IllegalArgumentException("maxListed 1..4096, historyPoints and periodMs at least 1");
        }
        this.sockets = sockets;
        this.maxListed = maxListed;
        this.historyPoints = historyPoints;
        this.periodMs = periodMs;
        this.timer = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread t = new Thread(r, "http-stats-sampler");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::sampleIfWatched, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    private void sampleIfWatched()
    {
        if (System.nanoTime() - lastViewedNs < WATCHED_FOR_NS)
        {
            sampleNow();
        }
    }

    private void sampleNow()
    {
        synchronized (this)
        {
            if (requestInFlight || sockets.isClosed())
            {
                return;
            }
            requestInFlight = true;
        }
        final long atMs = (System.nanoTime() - startNs) / 1_000_000L;
        try
        {
            sockets.tcpConnections(maxListed).whenComplete((result, ex) ->
            {
                if (ex != null)
                {
                    LOG.debug("connection snapshot failed: {}", ex.toString());
                }
                record(result, atMs);
            });
        }
        catch (final RuntimeException ex)
        {
            LOG.debug("connection snapshot not requested: {}", ex.toString());
            record(null, atMs);
        }
    }

    private synchronized void record(final TcpConnections result, final long atMs)
    {
        requestInFlight = false;
        if (result == null)
        {
            return;
        }
        final Map<Integer, History> kept = new HashMap<>();
        for (final TcpConnectionSnapshot c : result.connections())
        {
            History h = histories.get(c.socketId());
            if (h == null)
            {
                h = new History(historyPoints);
            }
            h.add(atMs, c.info().cwnd());
            kept.put(c.socketId(), h); // a connection no longer listed takes its history with it
        }
        histories = kept;
        latest = result;
        latestAtMs = atMs;
    }

    /** The JSON of {@code /stats/connections.json}; a look keeps the sampler going (the first starts it at once). */
    String json()
    {
        final boolean idle = System.nanoTime() - lastViewedNs >= WATCHED_FOR_NS;
        lastViewedNs = System.nanoTime();
        if (idle)
        {
            try
            {
                timer.execute(this::sampleNow); // at once: the first look need not wait a whole period
            }
            catch (final RejectedExecutionException ex)
            {
                LOG.debug("the sampler has stopped (the server is closing)");
            }
        }
        synchronized (this)
        {
            final StringBuilder sb = new StringBuilder(1024 + latest.connections().size() * 2048);
            sb.append("{\"sampled_ms\": ").append(latestAtMs).append(", \"period_ms\": ").append(periodMs)
                .append(", \"max_listed\": ").append(maxListed).append(", \"history_points\": ").append(historyPoints)
                .append(", \"total\": ").append(latest.total()).append(", \"connections\": [");
            boolean first = true;
            for (final TcpConnectionSnapshot c : latest.connections())
            {
                sb.append(first ? "\n  " : ",\n  ");
                first = false;
                appendConnection(sb, c, histories.get(c.socketId()));
            }
            return sb.append("\n]}\n").toString();
        }
    }

    private static void appendConnection(final StringBuilder sb, final TcpConnectionSnapshot c, final History h)
    {
        final TcpInfo i = c.info();
        sb.append("{\"id\": ").append(c.socketId())
            .append(", \"local\": \"").append(Ipv4Address.toString(c.localAddress())).append(':').append(c.localPort())
            .append("\", \"remote\": \"").append(Ipv4Address.toString(c.remoteAddress())).append(':')
            .append(c.remotePort()).append("\", \"state\": \"").append(i.state().name())
            .append("\", \"mss\": ").append(i.sendMss())
            .append(", \"cwnd\": ").append(i.cwnd())
            // before the first loss ssthresh is "infinite" (RFC 5681 §3.1): null, as ss leaves it out
            .append(", \"ssthresh\": ").append(i.ssthresh() == Integer.MAX_VALUE ? "null" : i.ssthresh())
            .append(", \"in_recovery\": ").append(i.inRecovery())
            .append(", \"srtt_us\": ").append(i.srttNs() / 1000)
            .append(", \"rttvar_us\": ").append(i.rttvarNs() / 1000)
            .append(", \"rto_ms\": ").append(i.rtoNs() / 1_000_000)
            .append(", \"bytes_in_flight\": ").append(i.bytesInFlight())
            .append(", \"peer_window\": ").append(i.peerWindow())
            .append(", \"receive_window\": ").append(i.receiveWindow())
            .append(", \"bytes_acked\": ").append(i.bytesAcked())
            .append(", \"bytes_received\": ").append(i.bytesReceived())
            .append(", \"retransmits\": ").append(i.retransmitsTotal())
            .append(", \"retransmits_timeout\": ").append(i.retransmitsTimeout())
            .append(", \"cwnd_history\": [");
        if (h != null)
        {
            for (int k = 0; k < h.size; k++)
            {
                final int at = (h.next - h.size + k + h.cwnd.length) % h.cwnd.length;
                sb.append(k == 0 ? "" : ", ").append('[').append(h.timeMs[at]).append(", ").append(h.cwnd[at])
                    .append(']');
            }
        }
        sb.append("]}");
    }

    @Override
    public void close()
    {
        timer.shutdownNow();
    }
}
