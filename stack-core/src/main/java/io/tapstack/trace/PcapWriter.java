package io.tapstack.trace;

import io.tapstack.dev.FrameObserver;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes frames to a classic libpcap file (magic 0xa1b23c4d: nanosecond timestamps, {@link #LINKTYPE_ETHERNET} or,
 * for a stack on a TUN, {@link #LINKTYPE_RAW}) that Wireshark and tcpdump open. Timestamps are the stack's clock (simulated time in simulations). A teaching and
 * debugging tool: it copies each frame into a buffered stream, so it is not for the fast path of a benchmark.
 * What it buffers reaches the file at most {@link #FLUSH_INTERVAL_NS} (stack time) after the frame, so Wireshark or
 * {@code tshark -r} can follow a capture while the stack runs.
 *
 * <p>Offloads: a capture sits between the stack and its device ({@link CaptureDevice}), so on a TAP with offloads it
 * shows the TCP segments the stack sends at their MSS, as the kernel cuts them and the peer receives them (the
 * device glues them into super-frames after the capture), and the kernel's super-frames the stack receives as they
 * came, up to 64 KiB each, as tcpdump shows GRO's on a Linux interface. The TCP checksum field of both then holds
 * only the pseudo-header's partial sum (virtio-net NEEDS_CSUM: the device offloads the checksum of every segment the
 * stack sends, and the kernel leaves its super-frames' partial), which Wireshark's checksum validation, off by
 * default, would flag, as it flags tcpdump's captures of a Linux host's own sent segments. A
 * {@link io.tapstack.dev.MemoryLink#offloading} link's observer sees the super-frames both ways, partial, and the
 * segments sent alone with their checksums completed by the link.
 *
 * <p>A capture that cannot be written (a full disk, a pipe whose reader went away) stops with one warning in the
 * log, and the stack goes on: writing never throws out of {@link #onFrame}. {@link #failed()} says so.
 */
public final class PcapWriter implements FrameObserver, AutoCloseable
{
    private static final int MAGIC_NANOSECONDS = 0xA1B2_3C4D;
    /** Ethernet II frames: a stack on a TAP or the in-memory link. */
    public static final int LINKTYPE_ETHERNET = 1;
    /**
     * Bare IP packets, the version in the first nibble: a stack on a TUN ({@code RAW_IP}). Not LINKTYPE_IPV4 (228):
     * a TUN also carries the kernel's IPv6, which a wire capture records, and 101 is what tcpdump writes for a TUN.
     */
    public static final int LINKTYPE_RAW = 101;
    private static final long NONE = Long.MAX_VALUE;
    private static final Logger LOGGER = LoggerFactory.getLogger(PcapWriter.class);
    /** A capture written while the stack runs reaches the file this soon after each frame. */
    public static final long FLUSH_INTERVAL_NS = 100_000_000L;

    private final OutputStream out;
    private final int snapLength;
    private final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    private byte[] copy = new byte[2048];
    private long frames;
    private long bytes;
    private boolean failed;
    private long timeOffsetNs;
    /** When the oldest frame not yet flushed was written; NONE when everything is flushed. */
    private long unflushedSinceNs = NONE;

    public PcapWriter(final OutputStream out, final int snapLength)
    {
        this(out, snapLength, LINKTYPE_ETHERNET);
    }

    /** @param linkType what each frame is: {@link #LINKTYPE_ETHERNET} or {@link #LINKTYPE_RAW} */
    public PcapWriter(final OutputStream out, final int snapLength, final int linkType)
    {
        this.out = out instanceof BufferedOutputStream ? out : new BufferedOutputStream(out, 1 << 16);
        this.snapLength = snapLength;
        header.clear();
        header.putInt(MAGIC_NANOSECONDS).putShort((short)2).putShort((short)4).putInt(0).putInt(0)
            .putInt(snapLength).putInt(linkType);
        write(header.array(), FILE_HEADER_LENGTH);
    }

    /** The bytes of the file header that starts every pcap file. */
    public static final int FILE_HEADER_LENGTH = 24;
    /** The bytes of the header before each frame. */
    public static final int RECORD_HEADER_LENGTH = 16;

    /** Creates (or replaces) {@code file}. */
    public static PcapWriter create(final Path file) throws IOException
    {
        return new PcapWriter(Files.newOutputStream(file), 262_144); // tcpdump's default: a 64 KiB super-frame whole
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
        write(header.array(), RECORD_HEADER_LENGTH);
        if (copy.length < captured)
        {
            copy = new byte[captured];
        }
        buffer.getBytes(offset, copy, 0, captured);
        write(copy, captured);
        if (failed)
        {
            return;
        }
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

    /** Frames written so far. */
    public long frames()
    {
        return frames;
    }

    /** Bytes written so far, the file header included: the size of the file once flushed. */
    public long bytes()
    {
        return bytes;
    }

    /** The bytes a frame of {@code length} adds to the file. */
    public long recordLength(final int length)
    {
        return RECORD_HEADER_LENGTH + Math.min(length, snapLength);
    }

    /** Whether writing failed, so that the capture stopped. */
    public boolean failed()
    {
        return failed;
    }

    private void write(final byte[] data, final int length)
    {
        if (failed)
        {
            return;
        }
        try
        {
            out.write(data, 0, length);
            bytes += length;
        }
        catch (final IOException ex)
        {
            fail(ex);
        }
    }

    private void fail(final IOException ex)
    {
        failed = true;
        unflushedSinceNs = NONE;
        LOGGER.warn("the capture stops after {} frames: writing it failed: {}", frames, ex.toString());
    }

    public void flush()
    {
        unflushedSinceNs = NONE;
        if (failed)
        {
            return;
        }
        try
        {
            out.flush();
        }
        catch (final IOException ex)
        {
            fail(ex);
        }
    }

    @Override
    public void close()
    {
        flush();
        try
        {
            out.close();
        }
        catch (final IOException ex)
        {
            if (!failed)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
