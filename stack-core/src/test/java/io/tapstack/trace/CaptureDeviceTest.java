package io.tapstack.trace;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.MemoryLink;
import io.tapstack.time.ManualClock;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CaptureDevice} on one end of a zero-latency {@link MemoryLink} in manual time: it shows each frame once,
 * in the order the stack sees and sends them, stamped with the time of the latest receive call (it holds no clock).
 */
class CaptureDeviceTest
{
    private static final int FRAME = 64;

    private final ManualClock clock = new ManualClock(1_000_000L);
    private final MemoryLink link = new MemoryLink(clock, 0, 64, 1514);
    private final FrameDevice far = link.endB();
    private final List<String> seen = new ArrayList<>();
    private final CaptureDevice capture = new CaptureDevice(link.endA(),
        (fromA, buffer, offset, length, nowNs) -> seen.add((fromA ? "out " : "in ") + buffer.getInt(offset + 14)
            + " at " + nowNs));

    private static void put(final FrameDevice device, final int seq)
    {
        final int offset = device.claim(FRAME);
        assertTrue(offset >= 0, "device full");
        final MutableDirectBuffer b = device.transmitBuffer();
        b.setMemory(offset, FRAME, (byte)0xA5);
        b.putInt(offset + 14, seq);
        device.commit(offset);
    }

    @Test
    void stampsReceivedAndSentFramesWithTheTimeOfTheLatestReceiveCall()
    {
        final List<Integer> delivered = new ArrayList<>();
        clock.setNs(2_000_000L);
        put(far, 1);
        assertEquals(1, capture.receive(2_000_000L, (b, o, l, t) -> delivered.add(b.getInt(o + 14)), 8));
        put(capture, 2);
        clock.setNs(5_000_000L);
        // sent later in the same duty cycle: still the duty cycle's time, not the clock's
        put(capture, 3);
        assertEquals(0, capture.receive(7_000_000L, (b, o, l, t) -> delivered.add(b.getInt(o + 14)), 8));
        put(capture, 4);

        assertEquals(List.of(1), delivered);
        assertEquals(List.of("in 1 at 2000000", "out 2 at 2000000", "out 3 at 2000000", "out 4 at 7000000"), seen);
        final int[] reached = new int[1];
        far.receive(7_000_000L, (b, o, l, t) -> reached[0]++, 8);
        assertEquals(3, reached[0], "the sent frames went on to the wrapped device");
    }

    @Test
    void anAbortedFrameIsNotShown()
    {
        capture.receive(3_000L, (b, o, l, t) -> { }, 8);
        final int offset = capture.claim(FRAME);
        capture.abort(offset);
        put(capture, 9);
        assertEquals(List.of("out 9 at 3000"), seen);
    }

    @Test
    void aPcapReachesItsFileWithinTheFlushIntervalOfEachFrameSoWiresharkCanFollowIt()
    {
        final java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        final PcapWriter pcap = new PcapWriter(file, 65535);
        final CaptureDevice live = new CaptureDevice(link.endA(), pcap);
        assertEquals(Long.MAX_VALUE, live.nextDeadlineNs(), "nothing to flush yet");
        live.onTime(2_000_000L);
        put(live, 1);
        assertEquals(0, file.size(), "buffered");
        assertEquals(2_000_000L + PcapWriter.FLUSH_INTERVAL_NS, live.nextDeadlineNs(), "the stack wakes to flush");
        live.onTime(2_000_000L + PcapWriter.FLUSH_INTERVAL_NS - 1);
        assertEquals(0, file.size());
        live.onTime(2_000_000L + PcapWriter.FLUSH_INTERVAL_NS);
        assertEquals(24 + 16 + FRAME, file.size(), "the header and the frame are in the file");
        assertEquals(Long.MAX_VALUE, live.nextDeadlineNs());
    }
}
