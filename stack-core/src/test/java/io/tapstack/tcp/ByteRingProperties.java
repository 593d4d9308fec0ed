package io.tapstack.tcp;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ring under both TCP buffers against a plain array model, through random appends, reads, releases,
 * copies, writes past the held bytes, extensions, limit growth and disposal, over capacities small enough that every
 * sequence wraps around the array's end many times (the array itself grows lazily from 2 bytes, copying in ring
 * order). The model is the ring seen from the head: an array of the largest limit, offset 0 first; a release rotates
 * it left (the bytes past the held ones keep their ring positions, so their offsets shrink; the released ones are
 * not seen again). Misuse must throw {@link IndexOutOfBoundsException} and change nothing.
 */
class ByteRingProperties
{
    private static final int APPEND_ARRAY = 0;
    private static final int APPEND_BUFFER = 1;
    private static final int COPY_ARRAY = 2;
    private static final int COPY_BUFFER = 3;
    private static final int RELEASE = 4;
    private static final int READ = 5;
    private static final int PUT = 6;
    private static final int EXTEND = 7;
    private static final int BYTE_AT = 8;
    private static final int CLEAR = 9;
    private static final int GROW = 10;
    /** The largest limit a ring grows to here. */
    private static final int MAX_LIMIT = 80;
    /** Where the source and destination bytes sit in their buffers, so that offsets are exercised too. */
    private static final int OFFSET = 3;

    /** One operation: {@code a} is an offset or a count, {@code b} a length; both may be out of range. */
    record Step(int op, int a, int b)
    {
    }

    @Provide
    Arbitrary<List<Step>> steps()
    {
        final Arbitrary<Integer> common = Arbitraries.integers().between(APPEND_ARRAY, EXTEND);
        final Arbitrary<Integer> rare = Arbitraries.of(BYTE_AT, CLEAR, GROW);
        final Arbitrary<Step> step = Arbitraries.frequencyOf(Tuple.of(12, common), Tuple.of(1, rare)).flatMap(op ->
            Arbitraries.integers().between(-2, 70).flatMap(a ->
                Arbitraries.integers().between(-2, 70).map(b -> new Step(op, a, b))));
        return step.list().ofMinSize(1).ofMaxSize(200);
    }

    @Property(tries = 1000)
    void behavesLikeAnArrayRotatedOnRelease(
        @ForAll @IntRange(min = 1, max = 48) final int capacity,
        @ForAll("steps") final List<Step> steps)
    {
        final ByteRing ring = new ByteRing(capacity, TcpMemory.unlimited(), 2);
        // the model covers the largest limit the ring may grow to; offsets past the limit are never known
        final byte[] model = new byte[MAX_LIMIT];
        // whether the model knows the byte at each offset: bytes never written (or lost to clear) are unknown
        final boolean[] known = new boolean[MAX_LIMIT];
        int limit = capacity;
        int size = 0;
        byte next = 1;

        for (final Step s : steps)
        {
            final int a = s.a();
            final int b = s.b();
            switch (s.op())
            {
                case APPEND_ARRAY:
                case APPEND_BUFFER:
                {
                    final byte[] src = new byte[OFFSET + Math.max(b, 0)];
                    for (int i = OFFSET; i < src.length; i++)
                    {
                        src[i] = next++;
                    }
                    final int n = s.op() == APPEND_ARRAY ? ring.append(src, OFFSET, b) :
                        ring.append(new UnsafeBuffer(src), OFFSET, b);
                    final int expected = Math.min(Math.max(b, 0), limit - size);
                    assertEquals(expected, n);
                    System.arraycopy(src, OFFSET, model, size, n);
                    Arrays.fill(known, size, size + n, true);
                    size += n;
                    break;
                }
                case COPY_ARRAY:
                case COPY_BUFFER:
                {
                    final boolean held = a >= 0 && b >= 0 && a + b <= size;
                    final byte[] dst = new byte[OFFSET + Math.max(b, 0)];
                    if (!held)
                    {
                        assertThrows(IndexOutOfBoundsException.class, () -> copyOut(ring, s.op(), a, dst, b));
                        break;
                    }
                    copyOut(ring, s.op(), a, dst, b);
                    for (int i = 0; i < b; i++)
                    {
                        if (known[a + i])
                        {
                            assertEquals(model[a + i], dst[OFFSET + i], "byte at offset " + (a + i));
                        }
                    }
                    break;
                }
                case RELEASE:
                case READ:
                {
                    final int n = s.op() == READ ? Math.min(Math.max(b, 0), size) : a;
                    if (n < 0 || n > size)
                    {
                        assertThrows(IndexOutOfBoundsException.class, () -> ring.release(n));
                        break;
                    }
                    if (s.op() == READ)
                    {
                        final byte[] dst = new byte[n];
                        ring.copyOut(0, dst, 0, n);
                        assertKnownEqual(model, known, 0, dst);
                    }
                    ring.release(n);
                    rotateLeft(model, n);
                    rotateLeft(known, n);
                    // what was released is gone: the ring does not promise to show it again past the end
                    Arrays.fill(known, MAX_LIMIT - n, MAX_LIMIT, false);
                    size -= n;
                    break;
                }
                case PUT:
                {
                    final byte[] src = new byte[OFFSET + Math.max(b, 0)];
                    for (int i = OFFSET; i < src.length; i++)
                    {
                        src[i] = next++;
                    }
                    if (a < 0 || b < 0 || a + b > limit)
                    {
                        assertThrows(IndexOutOfBoundsException.class,
                            () -> ring.put(a, new UnsafeBuffer(src), OFFSET, b));
                        break;
                    }
                    ring.put(a, new UnsafeBuffer(src), OFFSET, b);
                    System.arraycopy(src, OFFSET, model, a, b);
                    Arrays.fill(known, a, a + b, true);
                    break;
                }
                case EXTEND:
                {
                    if (a < 0 || a > limit - size)
                    {
                        assertThrows(IndexOutOfBoundsException.class, () -> ring.extend(a));
                        break;
                    }
                    ring.extend(a);
                    size += a;
                    break;
                }
                case BYTE_AT:
                {
                    if (a < 0 || a >= size)
                    {
                        assertThrows(IndexOutOfBoundsException.class, () -> ring.byteAt(a));
                    }
                    else if (known[a])
                    {
                        assertEquals(model[a], ring.byteAt(a));
                    }
                    break;
                }
                case CLEAR:
                {
                    if (a % 2 == 0)
                    {
                        ring.clear();
                    }
                    else
                    {
                        ring.dispose(); // gives the array back: the next write allocates again
                        assertEquals(0, ring.allocated());
                    }
                    size = 0;
                    Arrays.fill(known, false);
                    break;
                }
                case GROW:
                {
                    // the limit only grows; the array grows later, when a write needs it
                    final int target = Math.min(MAX_LIMIT, limit + Math.max(a, 0));
                    ring.growLimit(target);
                    limit = Math.max(limit, target);
                    break;
                }
                default:
                    throw new AssertionError(s);
            }

            assertEquals(size, ring.size());
            assertEquals(limit - size, ring.free());
            assertEquals(size == 0, ring.isEmpty());
            assertEquals(limit, ring.capacity());
            assertTrue(ring.allocated() <= limit, "the array never exceeds the limit");
            // everything held, read in one go across the wrap, matches the model
            final byte[] all = new byte[size];
            ring.copyOut(0, all, 0, size);
            assertKnownEqual(model, known, 0, all);
        }
        assertTrue(ring.size() <= limit);
    }

    private static void copyOut(final ByteRing ring, final int op, final int from, final byte[] dst, final int len)
    {
        if (op == COPY_ARRAY)
        {
            ring.copyOut(from, dst, OFFSET, len);
        }
        else
        {
            ring.copyOut(from, new UnsafeBuffer(dst), OFFSET, len);
        }
    }

    private static void assertKnownEqual(final byte[] model, final boolean[] known, final int from, final byte[] got)
    {
        final byte[] expected = got.clone();
        for (int i = 0; i < got.length; i++)
        {
            if (known[from + i])
            {
                expected[i] = model[from + i];
            }
        }
        assertArrayEquals(expected, got);
    }

    private static void rotateLeft(final byte[] a, final int n)
    {
        final byte[] copy = a.clone();
        for (int i = 0; i < a.length; i++)
        {
            a[i] = copy[(i + n) % a.length];
        }
    }

    private static void rotateLeft(final boolean[] a, final int n)
    {
        final boolean[] copy = a.clone();
        for (int i = 0; i < a.length; i++)
        {
            a[i] = copy[(i + n) % a.length];
        }
    }
}
