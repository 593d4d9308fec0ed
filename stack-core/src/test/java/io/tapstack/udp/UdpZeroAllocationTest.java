package io.tapstack.udp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameHandler;
import io.tapstack.testkit.SingleStack;
import io.tapstack.time.ManualClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static io.tapstack.udp.UdpFrames.fromPeer;
import static io.tapstack.udp.UdpFrames.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Style rule 3 for UDP: receiving a datagram (validate, queue, handler, receive) and sending one back (checksum,
 * transmit slot) allocates nothing in steady state, measured per thread over 10k datagrams.
 */
class UdpZeroAllocationTest
{
    private static final int PORT = 7;

    private final UnsafeBuffer data = new UnsafeBuffer(new byte[2048]);
    /** The stack's clock, read by the echo server for the time of its send. */
    private ManualClock clock;
    private long replies;
    private final FrameHandler countReplies = (buffer, offset, length, now) -> replies++;
    private final UdpHandler echo = this::echo;

    /** An echo server on the stack thread: take each datagram out and send it back to its sender. */
    private void echo(final UdpEndpoint endpoint)
    {
        final int length = endpoint.receive(data, 0, data.capacity());
        if (length >= 0)
        {
            endpoint.send(endpoint.lastRemoteAddress(), endpoint.lastRemotePort(), data, 0, length, clock.nanoTime());
        }
    }

    @Test
    void udpReceiveAndSendAllocateNothingPer10kDatagrams()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final SingleStack s = new SingleStack();
        clock = s.clock;
        s.step();
        s.sent();
        s.learnPeer();
        s.stack.udp().bind(PORT, echo);
        final byte[] small = fromPeer(40000, PORT, pattern(56, 1));
        final byte[] big = fromPeer(40001, PORT, pattern(1400, 2));

        s.exchange(small, big, 20_000, countReplies); // warm up: JIT, lazily built structures
        final long before = threads.getCurrentThreadAllocatedBytes();
        s.exchange(small, big, 10_000, countReplies);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertEquals(30_000, replies);
        assertEquals(30_000, s.stack.counters().get(Counter.UDP_TX));
        // a few bytes of slack for the measurement itself; one allocation per datagram would be >= 160 KB
        assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 10,000 datagrams echoed");
    }
}
