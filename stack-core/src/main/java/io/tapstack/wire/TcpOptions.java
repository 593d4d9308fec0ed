package io.tapstack.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * One reusable holder for the TCP options of a segment: MSS (RFC 9293 §3.2), window scale and timestamps
 * (RFC 7323), SACK-permitted and SACK blocks (RFC 2018). {@link #parse} never throws: an option whose length
 * overruns the header, or a known option with the wrong length, makes the verdict {@link Verdict#MALFORMED}.
 * Unknown options are skipped by their length (RFC 9293 §3.2, RFC 1122 §4.2.2.5).
 */
public final class TcpOptions
{
    public static final int KIND_END = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WINDOW_SCALE = 3;
    public static final int KIND_SACK_PERMITTED = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMPS = 8;
    public static final int MAX_SACK_BLOCKS = 4;

    /** What {@link #parse} found. */
    public enum Verdict
    {
        OK, MALFORMED
    }

    public int mss = -1;
    public int windowScale = -1;
    public boolean sackPermitted;
    public boolean hasTimestamps;
    public int tsVal;
    public int tsEcr;
    public int sackBlockCount;
    public final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    public final int[] sackRight = new int[MAX_SACK_BLOCKS];

    public void clear()
    {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        hasTimestamps = false;
        tsVal = 0;
        tsEcr = 0;
        sackBlockCount = 0;
    }

    /** Parses {@code length} bytes of options at {@code offset}. */
    public Verdict parse(final DirectBuffer buffer, final int offset, final int length)
    {
        clear();
        int i = offset;
        final int end = offset + length;
        while (i < end)
        {
            final int kind = buffer.getByte(i) & 0xFF;
            if (kind == KIND_END)
            {
                break;
            }
            if (kind == KIND_NOP)
            {
                i++;
                continue;
            }
            if (i + 1 >= end)
            {
                return Verdict.MALFORMED;
            }
            final int optionLength = buffer.getByte(i + 1) & 0xFF;
            if (optionLength < 2 || i + optionLength > end)
            {
                return Verdict.MALFORMED;
            }
            switch (kind)
            {
                case KIND_MSS:
                    if (optionLength != 4)
                    {
                        return Verdict.MALFORMED;
                    }
                    mss = buffer.getShort(i + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                    break;
                case KIND_WINDOW_SCALE:
                    if (optionLength != 3)
                    {
                        return Verdict.MALFORMED;
                    }
                    // RFC 7323 §2.3: a shift above 14 is used as 14
                    windowScale = Math.min(14, buffer.getByte(i + 2) & 0xFF);
                    break;
                case KIND_SACK_PERMITTED:
                    if (optionLength != 2)
                    {
                        return Verdict.MALFORMED;
                    }
                    sackPermitted = true;
                    break;
                case KIND_SACK:
                    if ((optionLength - 2) % 8 != 0 || optionLength == 2)
                    {
                        return Verdict.MALFORMED;
                    }
                    for (int b = i + 2; b < i + optionLength && sackBlockCount < MAX_SACK_BLOCKS; b += 8)
                    {
                        sackLeft[sackBlockCount] = buffer.getInt(b, ByteOrder.BIG_ENDIAN);
                        sackRight[sackBlockCount] = buffer.getInt(b + 4, ByteOrder.BIG_ENDIAN);
                        sackBlockCount++;
                    }
                    break;
                case KIND_TIMESTAMPS:
                    if (optionLength != 10)
                    {
                        return Verdict.MALFORMED;
                    }
                    hasTimestamps = true;
                    tsVal = buffer.getInt(i + 2, ByteOrder.BIG_ENDIAN);
                    tsEcr = buffer.getInt(i + 6, ByteOrder.BIG_ENDIAN);
                    break;
                default:
                    break;
            }
            i += optionLength;
        }
        return Verdict.OK;
    }

    /**
     * The bytes {@link #write} puts down for the options set in this holder (MSS, SACK-permitted, timestamps, window
     * scale, the first {@link #sackBlockCount} SACK blocks): always a multiple of 4, so the header length stays whole
     * 32-bit words.
     */
    public int writeLength()
    {
        return (mss > 0 ? 4 : 0) + (hasTimestamps ? 12 : 0) + (sackPermitted && !hasTimestamps ? 4 : 0)
            + (windowScale >= 0 ? 4 : 0) + (sackBlockCount > 0 ? 4 + 8 * sackBlockCount : 0);
    }

    /**
     * Writes the options set in this holder at {@code offset}, in Linux's order and padding (NOPs keep each option's
     * 32-bit fields aligned): MSS; SACK-permitted folded in front of the timestamps where Linux puts NOP NOP (or
     * NOP NOP SACK-permitted without timestamps); NOP window scale; NOP NOP SACK blocks. Returns
     * {@link #writeLength()}.
     */
    public int write(final MutableDirectBuffer buffer, final int offset)
    {
        int i = offset;
        if (mss > 0)
        {
            i += writeMss(buffer, i, mss);
        }
        if (hasTimestamps)
        {
            i += writeTimestamps(buffer, i, tsVal, tsEcr);
            if (sackPermitted)
            {
                // RFC 2018 §2 (2 bytes) in the place of the NOP NOP before the timestamps, as Linux writes them
                buffer.putByte(i - 12, (byte)KIND_SACK_PERMITTED);
                buffer.putByte(i - 11, (byte)2);
            }
        }
        else if (sackPermitted)
        {
            buffer.putByte(i, (byte)KIND_NOP);
            buffer.putByte(i + 1, (byte)KIND_NOP);
            buffer.putByte(i + 2, (byte)KIND_SACK_PERMITTED);
            buffer.putByte(i + 3, (byte)2);
            i += 4;
        }
        if (windowScale >= 0)
        {
            i += writeWindowScale(buffer, i, windowScale);
        }
        if (sackBlockCount > 0)
        {
            i += writeSack(buffer, i, sackLeft, sackRight, sackBlockCount);
        }
        return i - offset;
    }

    /**
     * Writes NOP NOP and a SACK option (RFC 2018 §3) with {@code count} blocks (left edge, right edge: one past the
     * last byte): 4 + 8 · count bytes; returns the bytes written.
     */
    public static int writeSack(final MutableDirectBuffer buffer, final int offset, final int[] lefts,
        final int[] rights, final int count)
    {
        buffer.putByte(offset, (byte)KIND_NOP);
        buffer.putByte(offset + 1, (byte)KIND_NOP);
        buffer.putByte(offset + 2, (byte)KIND_SACK);
        buffer.putByte(offset + 3, (byte)(2 + 8 * count));
        int i = offset + 4;
        for (int b = 0; b < count; b++)
        {
            buffer.putInt(i, lefts[b], ByteOrder.BIG_ENDIAN);
            buffer.putInt(i + 4, rights[b], ByteOrder.BIG_ENDIAN);
            i += 8;
        }
        return i - offset;
    }

    /** Writes NOP NOP and a timestamps option (RFC 7323 §3.2, 10 bytes): 12 bytes; returns the bytes written. */
    public static int writeTimestamps(final MutableDirectBuffer buffer, final int offset, final int tsVal,
        final int tsEcr)
    {
        buffer.putByte(offset, (byte)KIND_NOP);
        buffer.putByte(offset + 1, (byte)KIND_NOP);
        buffer.putByte(offset + 2, (byte)KIND_TIMESTAMPS);
        buffer.putByte(offset + 3, (byte)10);
        buffer.putInt(offset + 4, tsVal, ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + 8, tsEcr, ByteOrder.BIG_ENDIAN);
        return 12;
    }

    /** Writes NOP and a window scale option (RFC 7323 §2.2, 3 bytes): 4 bytes; returns the bytes written. */
    public static int writeWindowScale(final MutableDirectBuffer buffer, final int offset, final int shift)
    {
        buffer.putByte(offset, (byte)KIND_NOP);
        buffer.putByte(offset + 1, (byte)KIND_WINDOW_SCALE);
        buffer.putByte(offset + 2, (byte)3);
        buffer.putByte(offset + 3, (byte)shift);
        return 4;
    }

    /** Writes an MSS option (4 bytes) at {@code offset}; returns the bytes written. */
    public static int writeMss(final MutableDirectBuffer buffer, final int offset, final int mss)
    {
        buffer.putByte(offset, (byte)KIND_MSS);
        buffer.putByte(offset + 1, (byte)4);
        buffer.putShort(offset + 2, (short)mss, ByteOrder.BIG_ENDIAN);
        return 4;
    }
}
