package io.tapstack.tap;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TAP descriptor and its settings on a real device. Interfaces made here in the root namespace are never
 * brought up and get no address, so no packet is sent there; the one brought up lives in a namespace of the
 * test's own.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TapDeviceInteropTest
{
    /** setns(2), for a test thread that configures an interface inside a namespace. */
    static final class NsCalls
    {
        static final int CLONE_NEWNET = 0x40000000;
        static final int O_RDONLY = 0;

        static
        {
            Native.register(NsCalls.class, Platform.C_LIBRARY_NAME);
        }

        static native int open(String path, int flags);

        static native int close(int fd);

        static native int setns(int fd, int nstype);
    }

    @BeforeEach
    void requireTap()
    {
        TapInteropSupport.assumeTapInterop();
    }

    private static String uniqueName()
    {
        return "tst" + TapInteropSupport.randomHex(8);
    }

    @Test
    void createsTheTapWithTheRequestedSettingsAndReadsTheKernelMac()
    {
        final String name = uniqueName();
        try (TapDevice tap = TapDevice.open(new TapConfig().name(name).mtu(9000).txQueueLength(5000)))
        {
            assertEquals(name, tap.name());
            assertEquals(TapDevice.Mode.TAP, tap.mode());
            assertTrue(tap.fd() >= 0);
            assertEquals(9000, tap.mtu());
            assertEquals(9000, tap.readMtu());
            assertEquals(5000, tap.txQueueLength());
            assertFalse(tap.isUp(), "never brought up in the root namespace");
            assertNotEquals(0L, tap.hardwareAddress());
            assertEquals(tap.hardwareAddress(), tap.readHardwareAddress());
            assertEquals(9014, new TapFrameDevice(tap).maxFrameLength());

            final Cmd.Result show = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "show", "dev", name);
            final String text = show.output().toLowerCase(Locale.ROOT);
            assertTrue(show.ok(), show::toString);
            assertTrue(text.contains("mtu 9000"), show::toString);
            assertTrue(text.contains("qlen 5000"), show::toString);
            assertTrue(text.contains("link/ether " + io.tapstack.wire.MacAddress.toString(tap.hardwareAddress())),
                show::toString);
        }
        final Cmd.Result gone = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "show", "dev", name);
        assertFalse(gone.ok(), () -> "the TAP should disappear with its last descriptor: " + gone);
    }

    @Test
    void kernelPicksTheNameWhenNoneIsGiven()
    {
        try (TapDevice tap = TapDevice.open(new TapConfig()))
        {
            assertTrue(tap.name().startsWith("tap"), tap.name());
        }
    }

    @Test
    void opensTunModeWhichCarriesNoEthernet()
    {
        final String name = uniqueName();
        try (TapDevice tun = TapDevice.open(new TapConfig().name(name).mode(TapDevice.Mode.TUN)))
        {
            assertEquals(TapDevice.Mode.TUN, tun.mode());
            assertEquals(0L, tun.hardwareAddress());
            final Cmd.Result show = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "show", "dev", name);
            assertTrue(show.output().contains("link/none"), show::toString);
            // a TUN without packet information carries a RAW_IP stack: each frame is the IP packet alone
            assertEquals(tun.mtu(), new TapFrameDevice(tun).maxFrameLength());
        }
        final String withInfo = uniqueName();
        try (TapDevice tun = TapDevice.open(new TapConfig().name(withInfo).mode(TapDevice.Mode.TUN)
            .packetInformation(true)))
        {
            // the 4-byte tun_pi in front of each packet is neither Ethernet nor IP
            assertThrows(IllegalArgumentException.class, () -> new TapFrameDevice(tun));
            assertThrows(IllegalArgumentException.class, () -> new TapIoThreads(tun));
        }
    }

    @Test
    void secondAttachToAnAttachedTapFailsWithEbusy()
    {
        final String name = uniqueName();
        try (TapDevice tap = TapDevice.open(name))
        {
            final TapException ex = assertThrows(TapException.class, () -> TapDevice.open(name));
            assertEquals(LibC.EBUSY, ex.errno(), ex.getMessage());
            assertTrue(ex.getMessage().contains(name) && ex.getMessage().contains("already attached"),
                ex.getMessage());
        }
    }

    @Test
    void wakeupReturnsABlockedPollAtOnceAndIsNotLost() throws Exception
    {
        try (TapDevice tap = TapDevice.open(uniqueName()))
        {
            final AtomicReference<Object> result = new AtomicReference<>();
            final long[] waitedNs = new long[1];
            final Thread poller = new Thread(() ->
            {
                final long start = System.nanoTime();
                try
                {
                    result.set(tap.poll(10_000));
                }
                catch (final Throwable ex)
                {
                    result.set(ex);
                }
                waitedNs[0] = System.nanoTime() - start;
            });
            poller.start();
            Thread.sleep(100);
            tap.wakeup();
            poller.join(2_000);
            assertFalse(poller.isAlive(), "poll still blocked after wakeup()");
            assertEquals(Boolean.FALSE, result.get());
            assertTrue(waitedNs[0] < TimeUnit.SECONDS.toNanos(2), "waited " + waitedNs[0] + " ns");

            // a wakeup with nobody polling makes the next poll return at once, and only that one
            tap.wakeup();
            long start = System.nanoTime();
            assertFalse(tap.poll(5_000));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));
            start = System.nanoTime();
            assertFalse(tap.poll(50));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(40), "drained: blocks again");
        }
    }

    @Test
    void closeReturnsABlockedPoll() throws Exception
    {
        final TapDevice tap = TapDevice.open(uniqueName());
        final AtomicReference<Object> result = new AtomicReference<>();
        final Thread poller = new Thread(() ->
        {
            try
            {
                result.set(tap.poll(10_000));
            }
            catch (final Throwable ex)
            {
                result.set(ex);
            }
        });
        poller.start();
        Thread.sleep(100);
        tap.close();
        poller.join(2_000);
        assertFalse(poller.isAlive(), "poll still blocked after close()");
        assertTrue(result.get() == Boolean.FALSE || result.get() instanceof TapException, String.valueOf(result));
        assertTrue(tap.isClosed());
        tap.close(); // idempotent
        tap.wakeup(); // harmless once closed
    }

    @Test
    void frameDeviceHasOneTransmitSlot()
    {
        try (TapDevice tap = TapDevice.open(uniqueName()))
        {
            final TapFrameDevice device = new TapFrameDevice(tap);
            assertEquals(1514, device.maxFrameLength());
            assertEquals(0, device.claim(60));
            assertEquals(-1, device.claim(60), "second claim before commit or abort");
            device.abort(0);
            assertEquals(-1, device.claim(1515), "larger than MTU + 14");
            assertEquals(0, device.claim(1514));
            device.abort(0);
            assertThrows(IllegalStateException.class, () -> device.commit(0));
        }
    }

    @Test
    void idlePathAllocatesNothing()
    {
        final com.sun.management.ThreadMXBean mx =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (TapDevice tap = TapDevice.open(uniqueName()))
        {
            final TapFrameDevice device = new TapFrameDevice(tap);
            final io.tapstack.dev.FrameHandler handler = (buffer, offset, length, nowNs) -> { };
            final Runnable round = () ->
            {
                for (int i = 0; i < 10_000; i++)
                {
                    device.awaitReadable(0);
                    device.receive(i, handler, 64);
                    if ((i & 127) == 0)
                    {
                        device.wakeup();
                    }
                }
            };
            round.run();
            final long tid = Thread.currentThread().getId();
            final long before = mx.getThreadAllocatedBytes(tid);
            round.run();
            final long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 10k poll+read rounds");
        }
    }

    @Test
    void configuresTheLinkFromAThreadInsideItsNamespaceAfterTheMove() throws Exception
    {
        final String name = uniqueName();
        try (Netns netns = Netns.create(); TapDevice tap = TapDevice.open(name))
        {
            final Cmd.Result move = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "set", name, "netns",
                netns.name);
            assertTrue(move.ok(), move::toString);

            // from the root namespace the interface is gone: the error says so
            final TapException notHere = assertThrows(TapException.class, tap::readMtu);
            assertEquals(LibC.ENODEV, notHere.errno(), notHere.getMessage());
            assertTrue(notHere.getMessage().contains("moved"), notHere.getMessage());

            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread inside = new Thread(() ->
            {
                final int nsFd = NsCalls.open("/var/run/netns/" + netns.name, NsCalls.O_RDONLY);
                try
                {
                    assertTrue(nsFd >= 0, "open netns file: errno " + Native.getLastError());
                    assertEquals(0, NsCalls.setns(nsFd, NsCalls.CLONE_NEWNET), "setns: errno " + Native.getLastError());
                    tap.mtu(1400);
                    tap.txQueueLength(2000);
                    tap.up(true);
                    assertTrue(tap.isUp());
                    assertEquals(1400, tap.readMtu());
                    assertEquals(2000, tap.txQueueLength());
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
                finally
                {
                    NsCalls.close(nsFd);
                }
            }, "in-" + netns.name);
            inside.start();
            inside.join(10_000);
            assertFalse(inside.isAlive());
            assertNull(failure.get(), () -> String.valueOf(failure.get()));

            final Cmd.Result show = netns.execOk("ip", "link", "show", "dev", name);
            final String text = show.output().toLowerCase(Locale.ROOT);
            assertTrue(text.contains("mtu 1400"), show::toString);
            assertTrue(text.contains("qlen 2000"), show::toString);
            assertTrue(text.contains("<broadcast,multicast,up"), show::toString);
        }
    }
}
