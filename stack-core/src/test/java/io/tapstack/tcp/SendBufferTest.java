package io.tapstack.tcp;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The send ring: back-pressure, wrap-around, copy-out by offset from SND.UNA, release on ACK. */
class SendBufferTest
{
    private static byte[] bytes(final int from, final int len)
    {
        final byte[] b = new byte[len];
        for (int i = 0; i < len; i++)
        {
            b[i] = (byte)(from + i);
        }
        return b;
    }

    @Test
    void appendTakesOnlyWhatFits()
    {
        final SendBuffer sb = new SendBuffer(10);
        assertEquals(6, sb.append(new UnsafeBuffer(bytes(0, 6)), 0, 6));
        assertEquals(4, sb.append(new UnsafeBuffer(bytes(6, 6)), 0, 6));
        assertEquals(0, sb.append(bytes(0, 3), 0, 3));
        assertEquals(10, sb.size());
        assertEquals(0, sb.free());
    }

    @Test
    void copyOutAcrossTheWrapReturnsBytesInOrder()
    {
        final SendBuffer sb = new SendBuffer(8);
        sb.append(bytes(0, 6), 0, 6);
        sb.release(5);                      // head at index 5
        assertEquals(7, sb.append(bytes(6, 7), 0, 7)); // bytes 6..12 wrap past the end of the array
        assertEquals(8, sb.size());
        final UnsafeBuffer out = new UnsafeBuffer(new byte[20]);
        out.setMemory(0, 20, (byte)0xA5);
        sb.copyOut(0, out, 2, 8);
        final byte[] got = new byte[8];
        out.getBytes(2, got);
        assertArrayEquals(bytes(5, 8), got);
        assertEquals((byte)0xA5, out.getByte(1));
        assertEquals((byte)0xA5, out.getByte(10));
        final byte[] mid = new byte[4];
        sb.copyOut(2, mid, 0, 4);
        assertArrayEquals(bytes(7, 4), mid);
    }

    @Test
    void releaseAdvancesSndUna()
    {
        final SendBuffer sb = new SendBuffer(16);
        sb.append(bytes(0, 10), 0, 10);
        sb.release(4);
        assertEquals(6, sb.size());
        assertEquals(10, sb.free());
        assertEquals((byte)4, sb.byteAt(0));
        sb.release(6);
        assertEquals(0, sb.size());
    }

    @Test
    void rejectsCopyOrReleaseOfBytesNotHeld()
    {
        final SendBuffer sb = new SendBuffer(16);
        sb.append(bytes(0, 10), 0, 10);
        assertThrows(IndexOutOfBoundsException.class, () -> sb.copyOut(5, new byte[10], 0, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> sb.copyOut(-1, new byte[10], 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> sb.release(11));
        assertThrows(IllegalArgumentException.class, () -> new SendBuffer(0));
    }

    /** One step: append (op 0), release (op 1) or copy-out check (op 2), with an amount. */
    record Step(int op, int amount, int offset)
    {
    }

    @Provide
    Arbitrary<List<Step>> steps()
    {
        return Arbitraries.integers().between(0, 2).flatMap(op -> Arbitraries.integers().between(0, 40)
            .flatMap(amount -> Arbitraries.integers().between(0, 40).map(off -> new Step(op, amount, off))))
            .list().ofMaxSize(60);
    }

    @Property
    void behavesLikeAQueueOfBytes(
        @ForAll @IntRange(min = 1, max = 37) final int capacity, @ForAll("steps") final List<Step> steps)
    {
        final SendBuffer sb = new SendBuffer(capacity);
        final List<Byte> model = new ArrayList<>();
        int next = 0;
        for (final Step s : steps)
        {
            switch (s.op())
            {
                case 0 ->
                {
                    final byte[] data = bytes(next, s.amount());
                    final int taken = sb.append(new UnsafeBuffer(data), 0, data.length);
                    assertEquals(Math.min(s.amount(), capacity - model.size()), taken);
                    for (int i = 0; i < taken; i++)
                    {
                        model.add(data[i]);
                    }
                    next += taken;
                }
                case 1 ->
                {
                    final int n = Math.min(s.amount(), model.size());
                    sb.release(n);
                    model.subList(0, n).clear();
                }
                default ->
                {
                    final int from = Math.min(s.offset(), model.size());
                    final int len = Math.min(s.amount(), model.size() - from);
                    final UnsafeBuffer out = new UnsafeBuffer(new byte[len + 2]);
                    sb.copyOut(from, out, 1, len);
                    for (int i = 0; i < len; i++)
                    {
                        assertEquals((byte)model.get(from + i), out.getByte(1 + i));
                    }
                }
            }
            assertEquals(model.size(), sb.size());
            assertEquals(capacity - model.size(), sb.free());
        }
    }
}
