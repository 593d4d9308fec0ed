package io.tapstack.trace;

import io.tapstack.dev.FrameObserver;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * A capture bounded on disk, like {@code tcpdump -C SIZE -W N}: pcap files of at most {@code maxBytes} each. With
 * one file the capture stops when it is full (the first {@code maxBytes} are kept, later frames are counted in
 * {@link #framesNotWritten()}); with {@code N > 1} files it rotates, the next file replacing the oldest once all
 * {@code N} exist, so the last {@code N - 1} to {@code N} files' worth of frames is always on disk. Every file is a
 * whole pcap file (its own header) that Wireshark opens on its own.
 *
 * <p>A file is opened (or replaced) on the stack thread when the previous one is full: a rare pause, acceptable for
 * a lab capture. A file that cannot be opened or written stops the capture with a warning; the stack goes on.
 *
 * <p>Owned by the stack thread.
 */
public final class PcapFileSet implements FrameObserver, AutoCloseable
{
    private static final Logger LOGGER = LoggerFactory.getLogger(PcapFileSet.class);
    /** The smallest file: the file header, one record header and a full-sized Ethernet frame. */
    public static final long MIN_FILE_BYTES = PcapWriter.FILE_HEADER_LENGTH + PcapWriter.RECORD_HEADER_LENGTH + 1514;

    private final IntFunction<Path> fileName;
    private final long maxBytes;
    private final int files;
    private final int snapLength;
    private final long timeOffsetNs;
    private final int linkType;
    private PcapWriter current;
    private int index;
    private long filesOpened;
    private long framesWritten;
    private long framesNotWritten;
    private boolean stopped;

    /**
     * Opens the first file.
     *
     * @param fileName     the path of file {@code i}, {@code 0 <= i < files}
     * @param maxBytes     the most bytes one file holds, header included, at least {@link #MIN_FILE_BYTES}
     * @param files        1: stop when the file is full; more: rotate among that many files
     * @param snapLength   the bytes kept of each frame
     * @param timeOffsetNs added to every timestamp ({@link PcapWriter#timeOffsetNs})
     * @throws IOException when the first file cannot be created
     */
    public PcapFileSet(final IntFunction<Path> fileName, final long maxBytes, final int files, final int snapLength,
        final long timeOffsetNs) throws IOException
    {
        this(fileName, maxBytes, files, snapLength, timeOffsetNs, PcapWriter.LINKTYPE_ETHERNET);
    }

    /** As above, with the files' link type ({@link PcapWriter#LINKTYPE_RAW} for a stack on a TUN). */
    public PcapFileSet(final IntFunction<Path> fileName, final long maxBytes, final int files, final int snapLength,
        final long timeOffsetNs, final int linkType) throws IOException
    {
        if (maxBytes < MIN_FILE_BYTES)
        {
            throw new IllegalArgumentException("maxBytes must be at least " + MIN_FILE_BYTES + ", not " + maxBytes);
        }
        if (files < 1)
        {
            throw new IllegalArgumentException("files must be at least 1, not " + files);
        }
        this.fileName = fileName;
        this.maxBytes = maxBytes;
        this.files = files;
        this.snapLength = snapLength;
        this.timeOffsetNs = timeOffsetNs;
        this.linkType = linkType;
        this.current = open(0);
    }

    private PcapWriter open(final int i) throws IOException
    {
        final OutputStream out = Files.newOutputStream(fileName.apply(i));
        filesOpened++;
        return new PcapWriter(out, snapLength, linkType).timeOffsetNs(timeOffsetNs);
    }

    @Override
    public void onFrame(final boolean fromA, final DirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        if (stopped)
        {
            framesNotWritten++;
            return;
        }
        if (current.frames() > 0 && current.bytes() + current.recordLength(length) > maxBytes && !rotate())
        {
            framesNotWritten++;
            return;
        }
        current.onFrame(fromA, buffer, offset, length, nowNs);
        if (current.failed())
        {
            stop("writing " + fileName.apply(index) + " failed");
            framesNotWritten++;
            return;
        }
        framesWritten++;
    }

    /** The current file is full: the next one, or false when the capture stops here. */
    private boolean rotate()
    {
        if (files == 1)
        {
            stop(fileName.apply(0) + " is full (" + maxBytes + " bytes); more files would rotate");
            return false;
        }
        current.close();
        index = (index + 1) % files;
        try
        {
            current = open(index);
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            stop("cannot open " + fileName.apply(index) + ": " + ex);
            return false;
        }
    }

    private void stop(final String why)
    {
        stopped = true;
        LOGGER.warn("the capture stops after {} frames: {}", framesWritten, why);
    }

    @Override
    public void onTime(final long nowNs)
    {
        if (!stopped)
        {
            current.onTime(nowNs);
        }
    }

    @Override
    public long nextDeadlineNs()
    {
        return stopped ? Long.MAX_VALUE : current.nextDeadlineNs();
    }

    /** Frames written, over all files. */
    public long framesWritten()
    {
        return framesWritten;
    }

    /** Frames not written because the capture stopped (full, or a write failed). */
    public long framesNotWritten()
    {
        return framesNotWritten;
    }

    /** Files opened so far (the first included): more than the file count once the ring has turned. */
    public long filesOpened()
    {
        return filesOpened;
    }

    /** The index of the file being written. */
    public int currentIndex()
    {
        return index;
    }

    @Override
    public void close()
    {
        try
        {
            current.close();
        }
        catch (final RuntimeException ex)
        {
            LOGGER.warn("closing the capture failed: {}", ex.toString());
        }
    }
}
