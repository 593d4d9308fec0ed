package io.tapstack.socket;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Design rule 3 through the socket API: once a blocking transfer runs, the stack thread (both stacks, the
 * command ring, the pumps between TCP and the rings, the wake-ups of blocked threads) allocates nothing per
 * segment. Measured with the JVM's per-thread allocation counter over 16 MB.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketZeroAllocationTest
{
    @Test
    void theStackThreadAllocatesNothingPerSegmentInASteadyTransfer() throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (MemoryStacks s = new MemoryStacks())
        {
            final TcpServerSocket listener = s.b.listen(9);
            final TcpSocket client = s.a.connect(B_IP, 9, Duration.ofSeconds(5));
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            final byte[] chunk = new byte[16 * 1024];
            final Thread writer = new Thread(() ->
            {
                try
                {
                    final OutputStream out = client.getOutputStream();
                    for (int i = 0; i < 2048; i++)
                    {
                        out.write(chunk);
                    }
                    client.shutdownOutput();
                }
                catch (final Exception ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            writer.start();
            final InputStream in = server.getInputStream();
            final byte[] buffer = new byte[64 * 1024];
            final long stackThread = s.runner.threadId();
            long total = 0;
            long before = -1;
            long after = -1;
            long measured = 0;
            int n;
            while ((n = in.read(buffer)) > 0)
            {
                total += n;
                // from 8 MB (warmed up) to 24 MB (before the end: closing runs code, and loads classes, once)
                if (before < 0 && total >= 8L << 20)
                {
                    before = threads.getThreadAllocatedBytes(stackThread) - buffersGrown(s);
                    measured = total;
                }
                if (after < 0 && total >= 24L << 20)
                {
                    after = threads.getThreadAllocatedBytes(stackThread) - buffersGrown(s);
                    measured = total - measured;
                }
            }
            writer.join();
            assertTrue(total == 32L << 20, "received " + total);
            // 16 MB are about 11,500 segments each way: a byte per segment would be 11 KB. TCP's buffers may still be
            // growing (autotuning, send buffers following cwnd): a growth allocates its new array, rarely, and is
            // not an allocation per segment, so those bytes are left out (a growth's 16-byte header fits the slack)
            final long allocated = after - before;
            assertTrue(allocated < 4096, "the stack thread allocated " + allocated + " bytes while "
                + measured + " bytes went through");
        }
    }

    /** Bytes of buffer arrays both stacks allocated so far (buffer growth). */
    private static long buffersGrown(final MemoryStacks s)
    {
        return s.a.counters().get(Counter.TCP_MEMORY_ALLOCATED_BYTES)
            + s.b.counters().get(Counter.TCP_MEMORY_ALLOCATED_BYTES);
    }
}
