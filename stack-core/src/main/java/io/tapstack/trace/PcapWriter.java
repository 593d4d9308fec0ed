package io.tapstack.trace;

import io.tapstack.dev.FrameObserver;
import org.agrona.DirectBuffer;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes frames to a classic libpcap file (magic 0xa1b23c4d: nanosecond timestamps, LINKTYPE_ETHERNET) that
 * Wireshark and tcpdump open. Timestamps are the stack's clock (simulated time in simulations). A teaching and
 * debugging tool: it copies each frame into a buffered stream, so it is not for the fast path of a benchmark.
 * What it buffers reaches the file at most {@link #FLUSH_INTERVAL_NS} (stack time) after the frame, so Wireshark or
 * {@code tshark -r} can follow a capture while the stack runs.
 */
public final class PcapWriter implements FrameObserver, AutoCloseable
{
    private static final int MAGIC_NANOSECONDS = 0xA1B2_3C4D;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final long NONE = Long.MAX_VALUE;
    /** A capture written while the stack runs reaches the file this soon after each frame. */
    public static final long FLUSH_INTERVAL_NS = 100_000_000L;

    private final OutputStream out;
    private final int snapLength;
    private final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    private byte[] copy = new byte[2048];
    private long frames;
    private long timeOffsetNs;
    /** When the oldest frame not yet flushed was written; NONE when everything is flushed. */
    private long unflushedSinceNs = NONE;

    public PcapWriter(final OutputStream out, final int snapLength)
    {
        this.out = out instanceof BufferedOutputStream ? out : new BufferedOutputStream(out, 1 << 16);
        this.snapLength = snapLength;
        header.clear();
        header.putInt(MAGIC_NANOSECONDS).putShort((short)2).putShort((short)4).putInt(0).putInt(0)
            .putInt(snapLength).putInt(LINKTYPE_ETHERNET);
        write(header.array(), 24);
    }

    /** Creates (or replaces) {@code file}. */
    public static PcapWriter create(final Path file) throws IOException
    {
        return new PcapWriter(Files.newOutputStream(file), 65535);
    }

    /**
     * Adds {@code offsetNs} to every timestamp: a stack clock counting from an arbitrary origin (System.nanoTime,
     * a simulation) becomes wall-clock time in Wireshark with the offset from that clock to the epoch.
     */
    public PcapWriter timeOffsetNs(final long offsetNs)
    {
        this.timeOffsetNs = offsetNs;
        return this;
    }

    @Override
    public void onFrame(final boolean fromA, final DirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        final int captured = Math.min(length, snapLength);
        final long timeNs = nowNs + timeOffsetNs;
        header.clear();
        header.putInt((int)(timeNs / 1_000_000_000L)).putInt((int)(timeNs % 1_000_000_000L)).putInt(captured)
            .putInt(length);
        write(header.array(), 16);
        if (copy.length < captured)
        {
            copy = new byte[captured];
        }
        buffer.getBytes(offset, copy, 0, captured);
        write(copy, captured);
        frames++;
        if (unflushedSinceNs == NONE)
        {
            unflushedSinceNs = nowNs;
        }
        onTime(nowNs);
    }

    @Override
    public void onTime(final long nowNs)
    {
        if (unflushedSinceNs != NONE && nowNs - unflushedSinceNs >= FLUSH_INTERVAL_NS)
        {
            flush();
        }
    }

    @Override
    public long nextDeadlineNs()
    {
        return unflushedSinceNs == NONE ? Long.MAX_VALUE : unflushedSinceNs + FLUSH_INTERVAL_NS;
    }

    public long frames()
    {
        return frames;
    }

    private void write(final byte[] bytes, final int length)
    {
        try
        {
            out.write(bytes, 0, length);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("writing the pcap file failed", ex);
        }
    }

    public void flush()
    {
        unflushedSinceNs = NONE;
        try
        {
            out.flush();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close()
    {
        try
        {
            out.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
