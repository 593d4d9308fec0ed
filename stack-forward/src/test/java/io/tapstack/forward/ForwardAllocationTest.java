package io.tapstack.forward;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.function.BooleanSupplier;

import static io.tapstack.forward.GuestRig.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The relay's steady state allocates nothing per segment: bytes echoed through the engine (guest stack, gateway
 * stack, engine and selector all on the test thread; the echo server on its own) after a warm-up.
 */
class ForwardAllocationTest
{
    /** Writes a pattern forever and counts what comes back, keeping none of it. */
    private static final class Pump implements TcpHandler
    {
        private final byte[] chunk = new byte[16384];
        long echoed;

        @Override
        public void onConnected(final TcpConnection c)
        {
            onWritable(c);
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            while (c.write(chunk, 0, chunk.length) > 0)
            {
                // fill the send buffer
            }
        }

        @Override
        public void onReadable(final TcpConnection c)
        {
            int n;
            while ((n = c.read(chunk, 0, chunk.length)) > 0)
            {
                echoed += n;
            }
        }
    }

    @Test
    void relayingAllocatesNothingPerSegment() throws IOException
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (HostEchoServer echo = new HostEchoServer(); GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY)))
        {
            final Pump pump = new Pump();
            rig.guest.tcp().connect(GATEWAY, echo.port(), pump, rig.now());
            final long[] target = {16L << 20};
            final BooleanSupplier done = () -> pump.echoed >= target[0];
            assertTrue(rig.runUntil(done, 60_000), "warm-up");
            target[0] = pump.echoed + (8L << 20);
            final long before = threads.getCurrentThreadAllocatedBytes();
            assertTrue(rig.runUntil(done, 60_000));
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            System.out.printf("relay allocated %d bytes for 8 MiB each way%n", allocated);
            // one allocation per segment (about 12,000 of them each way here) would be hundreds of KB
            assertTrue(allocated < 32 * 1024, "allocated " + allocated + " bytes relaying 8 MiB each way");
        }
    }
}
