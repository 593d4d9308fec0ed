package io.tapstack.jmh;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;

/**
 * One frame's read(2) and write(2) through each JNA call style a TAP's I/O could use, on descriptors the benchmark
 * opens itself: {@code /dev/zero} for read (the kernel copies {@code length} bytes out, as from a TAP) and
 * {@code /dev/null} for write (the kernel takes the call and copies nothing). No TAP, no root, no network. The
 * syscall's own cost is in every figure; the differences between styles are the JNA binding's.
 *
 * <ul>
 * <li>{@code direct*}: {@link Native#register} (JNA's direct mapping: a JNI stub per method, no proxy) with the
 *   buffer as a {@code long} address (what {@code stack-tap}'s {@code LibC} does), a {@link Pointer}
 *   ({@link Memory} held across calls), a direct {@link ByteBuffer} held across calls, or a {@code byte[]}
 *   (JNA copies the array to native memory and back on each call);</li>
 * <li>{@code interface*}: the classic {@link Library} interface through {@link Native#load} (a reflective proxy,
 *   arguments boxed into an {@code Object[]} per call), with the same buffers, and with a {@link Memory}
 *   allocated per call;</li>
 * <li>{@code jdkFileChannel}: for scale, the JDK's own JNI path, {@link FileChannel#read} into a direct buffer.</li>
 * </ul>
 * Run with {@code -prof gc}: the interface styles allocate per call, the direct ones with an address, Pointer or
 * ByteBuffer do not.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class JnaCallStyleBenchmark
{
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;

    /** Bytes per call: a full frame at MTU 1500 (and its Ethernet header). */
    @Param({"1514"})
    public int length;

    private int zeroFd = -1;
    private int nullFd = -1;
    private Memory memory;
    private long address;
    private ByteBuffer direct;
    private byte[] array;
    private RandomAccessFile zeroFile;
    private FileChannel zeroChannel;

    /** Direct mapping, every argument a primitive: today's {@code LibC}. */
    static final class DirectAddress
    {
        static
        {
            Native.register(DirectAddress.class, Platform.C_LIBRARY_NAME);
        }

        static native int open(String path, int flags);

        static native int close(int fd);

        static native long read(int fd, long buf, long count);

        static native long write(int fd, long buf, long count);
    }

    /** Direct mapping with a Pointer argument. */
    static final class DirectPointer
    {
        static
        {
            Native.register(DirectPointer.class, Platform.C_LIBRARY_NAME);
        }

        static native long read(int fd, Pointer buf, long count);

        static native long write(int fd, Pointer buf, long count);
    }

    /** Direct mapping with a direct ByteBuffer argument. */
    static final class DirectByteBuffer
    {
        static
        {
            Native.register(DirectByteBuffer.class, Platform.C_LIBRARY_NAME);
        }

        static native long read(int fd, ByteBuffer buf, long count);

        static native long write(int fd, ByteBuffer buf, long count);
    }

    /** Direct mapping with a Java array argument (copied in and out by JNA). */
    static final class DirectArray
    {
        static
        {
            Native.register(DirectArray.class, Platform.C_LIBRARY_NAME);
        }

        static native long read(int fd, byte[] buf, long count);

        static native long write(int fd, byte[] buf, long count);
    }

    /** The interface style: one proxy for all, overloads by argument type. */
    public interface C extends Library
    {
        C INSTANCE = Native.load(Platform.C_LIBRARY_NAME, C.class);

        long read(int fd, long buf, long count);

        long write(int fd, long buf, long count);

        long read(int fd, Pointer buf, long count);

        long write(int fd, Pointer buf, long count);

        long read(int fd, byte[] buf, long count);

        long write(int fd, byte[] buf, long count);
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        zeroFd = DirectAddress.open("/dev/zero", O_RDONLY);
        nullFd = DirectAddress.open("/dev/null", O_WRONLY);
        if (zeroFd < 0 || nullFd < 0)
        {
            throw new IllegalStateException("cannot open /dev/zero or /dev/null: errno " + Native.getLastError());
        }
        memory = new Memory(length);
        address = Pointer.nativeValue(memory);
        direct = ByteBuffer.allocateDirect(length);
        array = new byte[length];
        zeroFile = new RandomAccessFile("/dev/zero", "r");
        zeroChannel = zeroFile.getChannel();
        // every style must really move the bytes, or the comparison means nothing
        check(DirectAddress.read(zeroFd, address, length), "directAddress read");
        check(DirectPointer.read(zeroFd, memory, length), "directPointer read");
        check(DirectByteBuffer.read(zeroFd, direct, length), "directByteBuffer read");
        check(DirectArray.read(zeroFd, array, length), "directArray read");
        check(C.INSTANCE.read(zeroFd, address, length), "interfaceAddress read");
        check(C.INSTANCE.write(nullFd, memory, length), "interfacePointer write");
    }

    private void check(final long n, final String what)
    {
        if (n != length)
        {
            throw new IllegalStateException(what + " returned " + n + ", errno " + Native.getLastError());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        DirectAddress.close(zeroFd);
        DirectAddress.close(nullFd);
        zeroChannel.close();
        zeroFile.close();
        memory.close();
    }

    @Benchmark
    public long readDirectAddress()
    {
        return DirectAddress.read(zeroFd, address, length);
    }

    @Benchmark
    public long writeDirectAddress()
    {
        return DirectAddress.write(nullFd, address, length);
    }

    @Benchmark
    public long readDirectPointerHeld()
    {
        return DirectPointer.read(zeroFd, memory, length);
    }

    @Benchmark
    public long writeDirectPointerHeld()
    {
        return DirectPointer.write(nullFd, memory, length);
    }

    @Benchmark
    public long readDirectByteBufferHeld()
    {
        return DirectByteBuffer.read(zeroFd, direct, length);
    }

    @Benchmark
    public long writeDirectByteBufferHeld()
    {
        return DirectByteBuffer.write(nullFd, direct, length);
    }

    @Benchmark
    public long readDirectByteArray()
    {
        return DirectArray.read(zeroFd, array, length);
    }

    @Benchmark
    public long writeDirectByteArray()
    {
        return DirectArray.write(nullFd, array, length);
    }

    @Benchmark
    public long readInterfaceAddress()
    {
        return C.INSTANCE.read(zeroFd, address, length);
    }

    @Benchmark
    public long writeInterfaceAddress()
    {
        return C.INSTANCE.write(nullFd, address, length);
    }

    @Benchmark
    public long readInterfacePointerHeld()
    {
        return C.INSTANCE.read(zeroFd, memory, length);
    }

    @Benchmark
    public long writeInterfacePointerHeld()
    {
        return C.INSTANCE.write(nullFd, memory, length);
    }

    @Benchmark
    public long readInterfaceMemoryPerCall()
    {
        try (Memory perCall = new Memory(length))
        {
            return C.INSTANCE.read(zeroFd, perCall, length);
        }
    }

    @Benchmark
    public long readInterfaceByteArray()
    {
        return C.INSTANCE.read(zeroFd, array, length);
    }

    @Benchmark
    public long readJdkFileChannel() throws IOException
    {
        direct.clear();
        return zeroChannel.read(direct);
    }
}
