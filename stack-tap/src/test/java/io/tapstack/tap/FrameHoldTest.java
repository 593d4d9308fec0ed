package io.tapstack.tap;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.MemoryLink;
import io.tapstack.time.ManualClock;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a server's start-up relies on: held frames stay in the device, sent ones pass, and release lets them in. */
class FrameHoldTest
{
    private final MemoryLink link = new MemoryLink(new ManualClock(0));
    private final FrameDevice peer = link.endB();

    @Test
    void holdsReceivedFramesUntilReleasedThenDeliversThemAll()
    {
        final FrameHold hold = new FrameHold(link.endA(), true);
        send(peer, 60);
        send(peer, 61);
        final int[] seen = {0};
        assertEquals(0, hold.receive(0, (buffer, offset, length, nowNs) -> seen[0]++, 16));
        assertEquals(0, seen[0], "nothing read while held");
        assertTrue(hold.isHeld());

        hold.release();
        assertFalse(hold.isHeld());
        assertEquals(2, hold.receive(0, (buffer, offset, length, nowNs) -> seen[0] += length, 16));
        assertEquals(121, seen[0], "both frames, kept in the device meanwhile");
        hold.release(); // idempotent
        assertFalse(hold.isHeld());
    }

    @Test
    void sendsWhileHolding()
    {
        final FrameHold hold = new FrameHold(link.endA(), true);
        send(hold, 64);
        final int[] length = {0};
        assertEquals(1, peer.receive(0, (buffer, offset, len, nowNs) -> length[0] = len, 16));
        assertEquals(64, length[0]);
    }

    @Test
    void aHoldNotAskedForPassesEverything()
    {
        final FrameHold hold = new FrameHold(link.endA(), false);
        send(peer, 60);
        assertFalse(hold.isHeld());
        assertEquals(1, hold.receive(0, (buffer, offset, length, nowNs) -> { }, 16));
    }

    private static void send(final FrameDevice device, final int length)
    {
        final int offset = device.claim(length);
        assertTrue(offset >= 0);
        device.commit(offset);
    }
}
