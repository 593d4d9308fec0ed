package io.tapstack.trace;

import io.tapstack.dev.FrameObserver;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;

import java.io.IOException;
import java.io.Writer;
import java.time.Instant;
import java.time.ZoneId;

/**
 * One line per frame in tcpdump's style: the time, {@code In} or {@code Out} (seen from the stack, as tcpdump
 * shows a Linux cooked capture), then what {@link FrameDescriber} says of the frame, e.g.
 * <pre>
 * 12:00:01.000250 Out IP 10.0.0.2.80 &gt; 10.0.0.1.41234: Flags [S.], seq 100, ack 3000000001, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
 * </pre>
 * Lines go to an slf4j logger (at info) or to a {@link Writer} (a file, standard output), which is flushed at most
 * {@link PcapWriter#FLUSH_INTERVAL_NS} (stack time) after each line so that a reader follows it live.
 *
 * <p>For labs and debugging: it builds a string per frame. A stack without a trace has no trace object at all, so
 * tracing costs nothing when it is off.
 *
 * <p>Owned by the stack thread.
 */
public final class FrameTrace implements FrameObserver, AutoCloseable
{
    /** How the time at the start of a line is written. */
    public enum TimeFormat
    {
        /** Seconds and microseconds since the epoch (or since the clock's origin), as {@code tcpdump -tt}. */
        SECONDS,
        /** The time of day with microseconds, {@code HH:MM:SS.uuuuuu}, as tcpdump's default. */
        TIME_OF_DAY
    }

    private static final long NONE = Long.MAX_VALUE;

    private final Logger logger;
    private final Writer writer;
    private final TimeFormat timeFormat;
    private final ZoneId zone;
    private final StringBuilder line = new StringBuilder(256);
    private long timeOffsetNs;
    private boolean rawIp;
    private long lines;
    private long unflushedSinceNs = NONE;
    private boolean failed;

    private FrameTrace(final Logger logger, final Writer writer, final TimeFormat timeFormat, final ZoneId zone)
    {
        this.logger = logger;
        this.writer = writer;
        this.timeFormat = timeFormat;
        this.zone = zone;
    }

    /** Lines to {@code logger} at info level. */
    public static FrameTrace toLogger(final Logger logger, final TimeFormat timeFormat, final ZoneId zone)
    {
        return new FrameTrace(logger, null, timeFormat, zone);
    }

    /** Lines to {@code writer}, one per frame, flushed within {@link PcapWriter#FLUSH_INTERVAL_NS}. */
    public static FrameTrace toWriter(final Writer writer, final TimeFormat timeFormat, final ZoneId zone)
    {
        return new FrameTrace(null, writer, timeFormat, zone);
    }

    /** Adds {@code offsetNs} to every time: the stack's clock becomes wall-clock time (as in {@link PcapWriter}). */
    public FrameTrace timeOffsetNs(final long offsetNs)
    {
        this.timeOffsetNs = offsetNs;
        return this;
    }

    /** Frames are bare IP packets (a stack on a TUN, LINKTYPE_RAW), not Ethernet frames. */
    public FrameTrace rawIp(final boolean rawIp)
    {
        this.rawIp = rawIp;
        return this;
    }

    @Override
    public void onFrame(final boolean fromA, final DirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        line.setLength(0);
        appendTime(nowNs + timeOffsetNs);
        line.append(fromA ? " Out " : " In ");
        if (rawIp)
        {
            FrameDescriber.describeRawIp(buffer, offset, length, line);
        }
        else
        {
            FrameDescriber.describe(buffer, offset, length, line);
        }
        lines++;
        if (logger != null)
        {
            logger.info("{}", line);
            return;
        }
        if (failed)
        {
            return;
        }
        try
        {
            writer.append(line).append('\n');
        }
        catch (final IOException ex)
        {
            fail(ex);
            return;
        }
        if (unflushedSinceNs == NONE)
        {
            unflushedSinceNs = nowNs;
        }
        onTime(nowNs);
    }

    private void appendTime(final long timeNs)
    {
        final long seconds = Math.floorDiv(timeNs, 1_000_000_000L);
        final long micros = Math.floorMod(timeNs, 1_000_000_000L) / 1_000;
        if (timeFormat == TimeFormat.SECONDS)
        {
            line.append(seconds).append('.');
        }
        else
        {
            final long local = seconds + zone.getRules().getOffset(Instant.ofEpochSecond(seconds)).getTotalSeconds();
            final long ofDay = Math.floorMod(local, 86_400L);
            twoDigits(ofDay / 3600);
            line.append(':');
            twoDigits(ofDay / 60 % 60);
            line.append(':');
            twoDigits(ofDay % 60);
            line.append('.');
        }
        final int start = line.length();
        line.append(micros);
        while (line.length() - start < 6)
        {
            line.insert(start, '0');
        }
    }

    private void twoDigits(final long value)
    {
        if (value < 10)
        {
            line.append('0');
        }
        line.append(value);
    }

    @Override
    public void onTime(final long nowNs)
    {
        if (unflushedSinceNs != NONE && nowNs - unflushedSinceNs >= PcapWriter.FLUSH_INTERVAL_NS)
        {
            flush();
        }
    }

    @Override
    public long nextDeadlineNs()
    {
        return unflushedSinceNs == NONE ? Long.MAX_VALUE : unflushedSinceNs + PcapWriter.FLUSH_INTERVAL_NS;
    }

    /** Lines written (or logged) so far. */
    public long lines()
    {
        return lines;
    }

    /** Writes out what is buffered. */
    public void flush()
    {
        unflushedSinceNs = NONE;
        if (writer != null && !failed)
        {
            try
            {
                writer.flush();
            }
            catch (final IOException ex)
            {
                fail(ex);
            }
        }
    }

    /** A trace that cannot be written (a full disk, a reader gone from the pipe) stops; the stack goes on. */
    private void fail(final IOException ex)
    {
        failed = true;
        unflushedSinceNs = NONE;
        org.slf4j.LoggerFactory.getLogger(FrameTrace.class).warn("the trace stops: writing it failed: {}",
            ex.toString());
    }

    @Override
    public void close()
    {
        flush();
        if (writer != null)
        {
            try
            {
                writer.close();
            }
            catch (final IOException ex)
            {
                // nothing more can be written anyway
            }
        }
    }
}
