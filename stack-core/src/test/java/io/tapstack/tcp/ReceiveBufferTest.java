package io.tapstack.tcp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The receive ring: back-pressure, wrap-around, read, peek, skip. */
class ReceiveBufferTest
{
    static byte[] bytes(final int from, final int len)
    {
        final byte[] b = new byte[len];
        for (int i = 0; i < len; i++)
        {
            b[i] = (byte)(from + i);
        }
        return b;
    }

    @Test
    void writeTakesOnlyWhatFitsAndFreeIsTheWindow()
    {
        final ReceiveBuffer rb = new ReceiveBuffer(10);
        assertEquals(10, rb.free());
        assertEquals(7, rb.write(new UnsafeBuffer(bytes(0, 7)), 0, 7));
        assertEquals(3, rb.free());
        assertEquals(3, rb.write(bytes(7, 5), 0, 5));
        assertEquals(0, rb.free());
        assertEquals(0, rb.write(bytes(0, 1), 0, 1));
    }

    @Test
    void readsInOrderAcrossTheWrap()
    {
        final ReceiveBuffer rb = new ReceiveBuffer(8);
        rb.write(bytes(0, 6), 0, 6);
        final byte[] first = new byte[5];
        assertEquals(5, rb.read(first, 0, 5));
        assertArrayEquals(bytes(0, 5), first);
        assertEquals(7, rb.write(new UnsafeBuffer(bytes(6, 7)), 0, 7));
        final UnsafeBuffer out = new UnsafeBuffer(new byte[12]);
        assertEquals(8, rb.peek(out, 2, 12));
        assertEquals(8, rb.size());
        assertEquals(8, rb.read(out, 2, 10));
        final byte[] got = new byte[8];
        out.getBytes(2, got);
        assertArrayEquals(bytes(5, 8), got);
        assertEquals(0, rb.size());
        assertEquals(0, rb.read(got, 0, 8));
    }

    @Test
    void skipConsumesWithoutCopying()
    {
        final ReceiveBuffer rb = new ReceiveBuffer(8);
        rb.write(bytes(0, 6), 0, 6);
        assertEquals(4, rb.skip(4));
        assertEquals(2, rb.skip(10));
        assertEquals(8, rb.free());
    }
}
