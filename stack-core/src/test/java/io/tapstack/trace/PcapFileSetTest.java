package io.tapstack.trace;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Capped and rotating captures ({@link PcapFileSet}), and a capture whose writes fail ({@link PcapWriter}). */
class PcapFileSetTest
{
    private static final int FRAME = 1000;
    private static final long RECORD = PcapWriter.RECORD_HEADER_LENGTH + FRAME;
    /** Room for three frames in a file. */
    private static final long MAX = PcapWriter.FILE_HEADER_LENGTH + 3 * RECORD;

    @TempDir
    Path dir;

    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[FRAME]);

    private Path file(final int i)
    {
        return dir.resolve("cap." + i + ".pcap");
    }

    private void send(final PcapFileSet set, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            frame.putInt(0, i, java.nio.ByteOrder.BIG_ENDIAN);
            set.onFrame(true, frame, 0, FRAME, i * 1_000L);
        }
    }

    @Test
    void withOneFileTheCaptureKeepsTheFirstFramesAndStopsWhenFull() throws IOException
    {
        final PcapFileSet set = new PcapFileSet(this::file, MAX, 1, 65535, 0);
        send(set, 5);
        set.close();
        assertEquals(3, set.framesWritten());
        assertEquals(2, set.framesNotWritten());
        assertEquals(MAX, Files.size(file(0)), "full to the byte, never over");
        assertFalse(Files.exists(file(1)));
    }

    @Test
    void withSeveralFilesTheNextReplacesTheOldestLikeTcpdumpCW() throws IOException
    {
        final PcapFileSet set = new PcapFileSet(this::file, MAX, 3, 65535, 0);
        send(set, 10); // files 0, 1, 2 hold frames 0-2, 3-5, 6-8; frame 9 starts file 0 again
        set.close();
        assertEquals(10, set.framesWritten());
        assertEquals(0, set.framesNotWritten());
        assertEquals(4, set.filesOpened());
        assertEquals(0, set.currentIndex());
        assertEquals(PcapWriter.FILE_HEADER_LENGTH + RECORD, Files.size(file(0)), "replaced: only frame 9");
        assertEquals(MAX, Files.size(file(1)));
        assertEquals(MAX, Files.size(file(2)));
        // each file is a whole pcap: its own header, its first frame right after it
        final byte[] second = Files.readAllBytes(file(1));
        assertEquals(0xA1B2_3C4D, java.nio.ByteBuffer.wrap(second).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0));
        assertEquals(3, java.nio.ByteBuffer.wrap(second).getInt(PcapWriter.FILE_HEADER_LENGTH
            + PcapWriter.RECORD_HEADER_LENGTH), "file 1 starts with frame 3");
        assertFalse(Files.exists(file(3)));
    }

    @Test
    void refusesAFileSmallerThanOneFullFrame()
    {
        assertThrows(IllegalArgumentException.class, () -> new PcapFileSet(this::file, 1000, 2, 65535, 0));
        assertThrows(IllegalArgumentException.class, () -> new PcapFileSet(this::file, MAX, 0, 65535, 0));
    }

    @Test
    void aCaptureWhoseWritesFailStopsWithoutThrowingIntoTheStack()
    {
        final OutputStream broken = new OutputStream()
        {
            @Override
            public void write(final int b) throws IOException
            {
                throw new IOException("Broken pipe");
            }

            @Override
            public void write(final byte[] b, final int off, final int len) throws IOException
            {
                throw new IOException("Broken pipe");
            }
        };
        // the header fits in the buffer; the first flush fails
        final PcapWriter pcap = new PcapWriter(new java.io.BufferedOutputStream(broken, 64), 65535);
        pcap.onFrame(true, frame, 0, FRAME, 0);
        pcap.onFrame(true, frame, 0, FRAME, PcapWriter.FLUSH_INTERVAL_NS);
        pcap.flush();
        pcap.close();
        assertTrue(pcap.failed());
        assertEquals(Long.MAX_VALUE, pcap.nextDeadlineNs(), "no more wake-ups to flush");
    }
}
