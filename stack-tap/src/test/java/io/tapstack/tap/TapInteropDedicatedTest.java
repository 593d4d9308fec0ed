package io.tapstack.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DEDICATED mode: reader and writer threads move frames through rings; the stack sees a {@link RingFrameDevice}. */
class TapInteropDedicatedTest extends TapInteropChecks
{
    private TapIoThreads io;

    @Override
    WaitableFrameDevice attach(final TapDevice tap)
    {
        io = new TapIoThreads(tap).start();
        assertEquals(1514, io.device().maxFrameLength());
        return io.device();
    }

    @Override
    java.util.List<Thread> deviceThreads()
    {
        return java.util.List.of(io.readerThread(), io.writerThread());
    }

    @Override
    void detach()
    {
        if (io != null)
        {
            io.close();
            assertNull(io.failure(), "an I/O thread failed");
        }
    }

    @Override
    void assertDeviceHealthy()
    {
        assertTrue(io.isRunning(), "I/O threads running");
        assertNull(io.failure(), "an I/O thread failed");
        assertTrue(io.framesRead() > 0, "frames read");
        assertTrue(io.framesWritten() > 0, "frames written");
        assertEquals(0, io.writeErrors(), "frames the kernel refused");
    }
}
