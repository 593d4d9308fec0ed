package io.tapstack.jmh;

import io.tapstack.wire.Checksum;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The Internet checksum (RFC 1071) over a range of random bytes: {@link Checksum#compute}, which reads 64 bits at
 * a time into a deferred-carry {@code long}, against a naive reference that reads one 16-bit word per step
 * (the loop in RFC 1071 §4.1), both in the same run, over a heap {@code byte[]} and a direct
 * {@link ByteBuffer}, each wrapped in an Agrona {@link UnsafeBuffer} as the stack sees frames.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class ChecksumBenchmark
{
    /** Bytes summed: a minimum frame, a standard MTU, a jumbo frame. */
    @Param({"64", "1500", "9000"})
    public int length;

    /** HEAP: UnsafeBuffer over a byte[]; DIRECT: UnsafeBuffer over a direct ByteBuffer. */
    @Param({"HEAP", "DIRECT"})
    public String memory;

    private UnsafeBuffer buffer;

    @Setup
    public void setUp()
    {
        buffer = "DIRECT".equals(memory)
            ? new UnsafeBuffer(ByteBuffer.allocateDirect(length))
            : new UnsafeBuffer(new byte[length]);
        final SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(i, (byte)random.nextInt(256));
        }
        final int fast = Checksum.compute(buffer, 0, length);
        final int naive = naiveChecksum(buffer, 0, length);
        if (fast != naive)
        {
            throw new IllegalStateException("Checksum.compute " + fast + " != naive " + naive);
        }
    }

    @Benchmark
    public int compute()
    {
        return Checksum.compute(buffer, 0, length);
    }

    @Benchmark
    public int naive()
    {
        return naiveChecksum(buffer, 0, length);
    }

    /**
     * The reference: one big-endian 16-bit word per step into a 32-bit accumulator (cannot overflow below
     * 128 KiB), odd byte padded on the right, folded and complemented at the end (RFC 1071 §4.1).
     */
    static int naiveChecksum(final DirectBuffer buffer, final int offset, final int length)
    {
        int sum = 0;
        final int end = offset + length;
        int i = offset;
        for (; i + 1 < end; i += 2)
        {
            sum += buffer.getShort(i, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        if (i < end)
        {
            sum += (buffer.getByte(i) & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }
}
