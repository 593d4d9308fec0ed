package io.tapstack.trace;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpEventListener;
import io.tapstack.tcp.TcpInfo;
import io.tapstack.tcp.TcpState;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Writer;

/**
 * One connection's state over time as CSV, for charts and labs: a row every {@code intervalNs} of stack time
 * ({@link #onTime}, driven by whoever drives the stack), and a row at each event of the connection that changes
 * what a chart shows (a retransmission or a probe with its cause, a loss detected, a congestion-window reduction, a
 * state change, a new window from the peer), so a cwnd that halves between two ticks is still seen. Each row is a
 * {@link TcpInfo} snapshot; the columns are {@link #HEADER}:
 * <ul>
 *   <li>{@code time_s}: seconds since {@code originNs}, to the microsecond;</li>
 *   <li>{@code event}: {@code sample}, {@code retransmit}, {@code loss}, {@code congestion}, {@code state} or
 *       {@code window}; {@code cause}: the {@link TcpEventListener} reason (e.g. {@code fast-retransmit},
 *       {@code rack}, {@code tlp}, {@code rto}, {@code zero-window-probe}) or the new state;</li>
 *   <li>{@code cwnd}, {@code ssthresh} (empty while it is still "infinite", RFC 5681 §3.1), {@code bytes_in_flight},
 *       {@code peer_window}, {@code receive_window}, {@code bytes_acked}, {@code bytes_received} in bytes;</li>
 *   <li>{@code srtt_ms}, {@code rttvar_ms}, {@code rto_ms} (RFC 6298), {@code rto_backoffs};</li>
 *   <li>cumulative counts: {@code retrans_fast} (fast retransmit and recovery), {@code retrans_rack},
 *       {@code tlp}, {@code retrans_rto}, {@code retrans_syn}, {@code zero_window_probes}.</li>
 * </ul>
 * Events of other connections go to {@link #next}, if set (so a sampler can sit in front of another listener).
 *
 * <p>Writing a row allocates nothing (one reused {@link StringBuilder} copied into one reused {@code char[]}), as long
 * as the {@link Writer} does not. A writer that fails stops the sampler with a warning; the stack goes on. Nothing
 * here reads a clock.
 *
 * <p>Owned by the stack thread.
 */
public final class TcpSampler implements TcpEventListener, AutoCloseable
{
    /** The CSV's first line. */
    public static final String HEADER = "time_s,event,cause,state,cwnd,ssthresh,bytes_in_flight,peer_window,"
        + "receive_window,srtt_ms,rttvar_ms,rto_ms,rto_backoffs,bytes_acked,bytes_received,retrans_fast,retrans_rack,"
        + "tlp,retrans_rto,retrans_syn,zero_window_probes";
    /** The shortest sampling interval: 1 µs, the resolution of the time column. */
    public static final long MIN_INTERVAL_NS = 1_000L;

    private static final long NONE = Long.MAX_VALUE;

    private final Writer writer;
    private final long intervalNs;
    private final long originNs;
    private final TcpInfo info = new TcpInfo();
    private final StringBuilder line = new StringBuilder(256);
    private char[] chars = new char[256];
    private TcpConnection connection;
    private TcpEventListener next;
    private long nextSampleNs = NONE;
    private long rows;
    private boolean failed;

    /**
     * @param writer     where the rows go (the header is written now)
     * @param intervalNs time between two periodic rows, at least {@link #MIN_INTERVAL_NS}
     * @param originNs   the stack time that {@code time_s} counts from
     * @throws IllegalArgumentException if the interval is shorter than {@link #MIN_INTERVAL_NS}
     */
    public TcpSampler(final Writer writer, final long intervalNs, final long originNs)
    {
        if (intervalNs < MIN_INTERVAL_NS)
        {
            throw new IllegalArgumentException("sampling interval " + intervalNs + " ns is below "
                + MIN_INTERVAL_NS + " ns");
        }
        this.writer = writer;
        this.intervalNs = intervalNs;
        this.originNs = originNs;
        line.append(HEADER);
        writeLine();
    }

    /** Samples {@code connection} from now on (its first row at {@code nowNs}); the one before is forgotten. */
    public TcpSampler watch(final TcpConnection connection, final long nowNs)
    {
        this.connection = connection;
        this.nextSampleNs = nowNs;
        onTime(nowNs);
        return this;
    }

    /** Where events of other connections go (null: nowhere). */
    public TcpSampler next(final TcpEventListener next)
    {
        this.next = next;
        return this;
    }

    /** Writes the periodic row when it is due. */
    public void onTime(final long nowNs)
    {
        if (connection == null || nowNs < nextSampleNs)
        {
            return;
        }
        row("sample", "", nowNs);
        // the next tick on the grid of intervals from the origin: rows stay evenly spaced whenever onTime runs
        nextSampleNs = nowNs + intervalNs - Math.floorMod(nowNs - originNs, intervalNs);
        if (connection.state() == TcpState.CLOSED)
        {
            nextSampleNs = NONE; // a closed connection changes no more
        }
    }

    /** When the next periodic row is due ({@code Long.MAX_VALUE}: none). */
    public long nextDeadlineNs()
    {
        return connection == null ? NONE : nextSampleNs;
    }

    /** Rows written so far, the header not counted. */
    public long rows()
    {
        return rows;
    }

    @Override
    public void onStateChange(final TcpConnection c, final TcpState from, final TcpState to, final long nowNs)
    {
        if (c == connection)
        {
            row("state", to.name(), nowNs);
            if (to == TcpState.CLOSED)
            {
                nextSampleNs = NONE;
            }
        }
        else if (next != null)
        {
            next.onStateChange(c, from, to, nowNs);
        }
    }

    @Override
    public void onRetransmit(final TcpConnection c, final int seq, final int length, final String reason,
        final long nowNs)
    {
        if (c == connection)
        {
            row("retransmit", reason, nowNs);
        }
        else if (next != null)
        {
            next.onRetransmit(c, seq, length, reason, nowNs);
        }
    }

    @Override
    public void onLossDetected(final TcpConnection c, final int seq, final int length, final String reason,
        final long nowNs)
    {
        if (c == connection)
        {
            row("loss", reason, nowNs);
        }
        else if (next != null)
        {
            next.onLossDetected(c, seq, length, reason, nowNs);
        }
    }

    @Override
    public void onCongestionChange(final TcpConnection c, final String reason, final int cwnd, final int ssthresh,
        final long nowNs)
    {
        if (c == connection)
        {
            row("congestion", reason, nowNs);
        }
        else if (next != null)
        {
            next.onCongestionChange(c, reason, cwnd, ssthresh, nowNs);
        }
    }

    @Override
    public void onSendWindow(final TcpConnection c, final int window, final long nowNs)
    {
        if (c == connection)
        {
            row("window", "", nowNs);
        }
        else if (next != null)
        {
            next.onSendWindow(c, window, nowNs);
        }
    }

    @Override
    public void onRtoChange(final TcpConnection c, final long rtoNs, final long nowNs)
    {
        if (c != connection && next != null)
        {
            next.onRtoChange(c, rtoNs, nowNs);
        }
    }

    @Override
    public void onBufferGrowth(final TcpConnection c, final boolean receive, final int capacity, final long nowNs)
    {
        if (c != connection && next != null)
        {
            next.onBufferGrowth(c, receive, capacity, nowNs);
        }
    }

    @Override
    public void onBufferRelease(final TcpConnection c, final boolean receive, final int bytes, final long nowNs)
    {
        if (c != connection && next != null)
        {
            next.onBufferRelease(c, receive, bytes, nowNs);
        }
    }

    @Override
    public void onSackCompressedAck(final TcpConnection c, final int heldSegments, final String reason,
        final long nowNs)
    {
        if (c != connection && next != null)
        {
            next.onSackCompressedAck(c, heldSegments, reason, nowNs);
        }
    }

    private void row(final String event, final String cause, final long nowNs)
    {
        if (failed)
        {
            return;
        }
        final TcpInfo s = info.capture(connection, nowNs);
        line.setLength(0);
        appendFixed(nowNs - originNs, 1_000_000_000L, 6);
        line.append(',').append(event).append(',').append(cause).append(',').append(s.state().name());
        line.append(',').append(s.cwnd()).append(',');
        if (s.ssthresh() != Integer.MAX_VALUE)
        {
            line.append(s.ssthresh());
        }
        line.append(',').append(s.bytesInFlight()).append(',').append(s.peerWindow())
            .append(',').append(s.receiveWindow()).append(',');
        appendFixed(s.srttNs(), 1_000_000L, 3);
        line.append(',');
        appendFixed(s.rttvarNs(), 1_000_000L, 3);
        line.append(',');
        appendFixed(s.rtoNs(), 1_000_000L, 3);
        line.append(',').append(s.rtoBackoffs()).append(',').append(s.bytesAcked()).append(',')
            .append(s.bytesReceived()).append(',').append(s.retransmitsFastRecovery()).append(',')
            .append(s.retransmitsRack()).append(',').append(s.tailLossProbes()).append(',')
            .append(s.retransmitsTimeout()).append(',').append(s.retransmitsSyn()).append(',')
            .append(s.zeroWindowProbes());
        rows++;
        writeLine();
    }

    /** {@code value / unit} with {@code digits} decimals, truncated, e.g. 1.250000 (no floating point, no garbage). */
    private void appendFixed(final long value, final long unit, final int digits)
    {
        if (value < 0)
        {
            line.append('-');
        }
        final long magnitude = Math.abs(value);
        line.append(magnitude / unit).append('.');
        final int start = line.length();
        line.append(magnitude % unit / (unit / pow10(digits)));
        while (line.length() - start < digits)
        {
            line.insert(start, '0');
        }
    }

    private static long pow10(final int digits)
    {
        long p = 1;
        for (int i = 0; i < digits; i++)
        {
            p *= 10;
        }
        return p;
    }

    private void writeLine()
    {
        line.append('\n');
        final int length = line.length();
        if (chars.length < length)
        {
            chars = new char[Math.max(length, 2 * chars.length)];
        }
        line.getChars(0, length, chars, 0);
        try
        {
            writer.write(chars, 0, length);
        }
        catch (final IOException ex)
        {
            failed = true;
            LoggerFactory.getLogger(TcpSampler.class).warn("the TCP samples stop: writing them failed: {}",
                ex.toString());
        }
    }

    /** Writes out what the writer holds and closes it. */
    @Override
    public void close() throws IOException
    {
        writer.close();
    }
}
