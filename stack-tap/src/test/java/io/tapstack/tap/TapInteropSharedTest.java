package io.tapstack.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SHARED mode: the stack thread reads and writes the TAP itself through {@link TapFrameDevice}. */
class TapInteropSharedTest extends TapInteropChecks
{
    private TapFrameDevice frameDevice;

    @Override
    WaitableFrameDevice attach(final TapDevice tap)
    {
        frameDevice = new TapFrameDevice(tap);
        assertEquals(1514, frameDevice.maxFrameLength());
        return frameDevice;
    }

    @Override
    java.util.List<Thread> deviceThreads()
    {
        return java.util.List.of(loop.thread()); // the device's reads and writes run on the stack thread
    }

    @Override
    void detach()
    {
        // nothing to stop: the TAP is closed by the base class
    }

    @Override
    void assertDeviceHealthy()
    {
        assertTrue(frameDevice.framesReceived() > 0, "frames received");
        assertTrue(frameDevice.framesTransmitted() > 0, "frames transmitted");
        assertEquals(0, frameDevice.transmitErrors(), "frames the kernel refused");
    }
}
