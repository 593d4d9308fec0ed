package io.tapstack.socket;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool of given-back socket rings: reuse per size, its bound, a ring coming back as new, and the idle shrink. */
class RingPoolTest
{
    private static final int CAPACITY = 4096;
    private static final int BYTES = RingPool.bytesOf(CAPACITY);

    @Test
    void aRingGivenBackIsTakenAgainInsteadOfAllocated()
    {
        final RingPool pool = new RingPool(4L * BYTES);
        final OneToOneRingBuffer first = pool.take(CAPACITY);
        assertEquals(1, pool.allocated());
        assertTrue(pool.give(first));
        assertEquals(BYTES, pool.pooledBytes());

        assertSame(first, pool.take(CAPACITY));
        assertEquals(1, pool.allocated(), "no second allocation");
        assertEquals(1, pool.reused());
        assertEquals(0, pool.pooledBytes());
    }

    @Test
    void aRingServesOnlyItsOwnSize()
    {
        final RingPool pool = new RingPool(4L * RingPool.bytesOf(2 * CAPACITY));
        final OneToOneRingBuffer small = pool.take(CAPACITY);
        assertTrue(pool.give(small));
        final OneToOneRingBuffer large = pool.take(2 * CAPACITY);
        assertNotSame(small, large);
        assertEquals(2 * CAPACITY, large.capacity());
        assertEquals(2, pool.allocated());
        assertSame(small, pool.take(CAPACITY));
    }

    @Test
    void ringsBeyondTheBoundGoToTheCollector()
    {
        final RingPool pool = new RingPool(3L * BYTES);
        final List<OneToOneRingBuffer> rings = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            rings.add(pool.take(CAPACITY));
        }
        int kept = 0;
        for (final OneToOneRingBuffer ring : rings)
        {
            kept += pool.give(ring) ? 1 : 0;
        }
        assertEquals(3, kept);
        assertEquals(3L * BYTES, pool.pooledBytes());

        assertFalse(new RingPool(0).give(new RingPool(0).take(CAPACITY)), "a bound of 0 keeps nothing");
    }

    @Test
    void aRingComesBackResetWithNoStaleRecords()
    {
        final RingPool pool = new RingPool(4L * BYTES);
        final OneToOneRingBuffer ring = pool.take(CAPACITY);
        final UnsafeBuffer src = new UnsafeBuffer(new byte[500]);
        src.setMemory(0, 500, (byte)0x5A);
        // move head and tail past the wrap, then leave records unread (a closed socket's leftovers)
        for (int i = 0; i < 12; i++)
        {
            assertTrue(ring.write(1, src, 0, 500));
            assertEquals(1, ring.read((t, b, i2, l) -> { }, 1));
        }
        assertTrue(ring.write(1, src, 0, 500));
        assertTrue(ring.write(1, src, 0, 300));
        assertTrue(ring.size() > 0);

        assertTrue(pool.give(ring));
        final OneToOneRingBuffer again = pool.take(CAPACITY);
        assertSame(ring, again);
        assertEquals(0, again.size());
        assertEquals(0, again.producerPosition(), "tail reset");
        assertEquals(0, again.consumerPosition(), "head reset");
        assertEquals(0, again.buffer().getLong(0), "the first record header cleared");

        // new records, wrapping the ring twice, are the only ones a reader finds: no stale one among them
        final List<byte[]> got = new ArrayList<>();
        for (int n = 0; n < 40; n++)
        {
            final byte[] bytes = new byte[1 + (n * 97) % 500];
            Arrays.fill(bytes, (byte)(n + 1));
            assertTrue(again.write(7, new UnsafeBuffer(bytes), 0, bytes.length), "write " + n);
            got.clear();
            long before;
            do
            {
                // a read that meets the wrap's padding moves the head but returns 0: go on while the head moves
                before = again.consumerPosition();
                again.read((type, b, index, length) ->
                {
                    assertEquals(7, type);
                    final byte[] read = new byte[length];
                    b.getBytes(index, read);
                    got.add(read);
                }, 10);
            }
            while (again.consumerPosition() != before);
            assertEquals(1, got.size(), "records read after write " + n);
            assertArrayEquals(bytes, got.get(0), "record " + n);
        }
    }

    @Test
    void theIdleShrinkEmptiesAPoolNothingWasTakenFromSinceTheLastOne()
    {
        final RingPool pool = new RingPool(4L * BYTES);
        final OneToOneRingBuffer a = pool.take(CAPACITY);
        final OneToOneRingBuffer b = pool.take(CAPACITY);
        pool.give(a);
        pool.give(b);
        pool.take(CAPACITY);
        pool.give(a);
        assertEquals(0, pool.shrinkIfUnused(), "a ring was taken in this period: kept");
        assertEquals(2L * BYTES, pool.pooledBytes());
        assertEquals(2, pool.shrinkIfUnused(), "a whole period unused: emptied");
        assertEquals(0, pool.pooledBytes());
        pool.take(CAPACITY);
        assertEquals(3, pool.allocated(), "after the shrink a ring is allocated again");
    }
}
