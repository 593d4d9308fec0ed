package io.tapstack.examples;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.dev.MemoryLink;
import io.tapstack.tap.TapInteropSupport;
import io.tapstack.time.ManualClock;
import io.tapstack.trace.CaptureDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.examples.ExampleProcess.STACK_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The impairments' own counts (kept on the impaired device, not in the stack's counters): found under a capture,
 * listed per direction with only the non-zero ones printed, and printed by a command as it stops.
 */
class ImpairmentCountsTest
{
    private static final int FRAMES = 200;

    @Test
    void listsEachDirectionsCountsAndPrintsOnlyTheNonZeroOnes()
    {
        final MemoryLink link = new MemoryLink(new ManualClock(0));
        final ImpairedDevice impaired = ImpairedDevice.builder(link.endA()).seed(7)
            .transmit(Impairment.NONE.withLoss(0.2)).build();
        for (int i = 0; i < FRAMES; i++)
        {
            final int offset = impaired.claim(60);
            impaired.commit(offset);
            link.endB().receive(0, (buffer, off, length, nowNs) -> { }, 16);
        }
        final long dropped = impaired.transmitStats().dropped();
        assertTrue(dropped > 10 && dropped < 80, "about a fifth of " + FRAMES + " lost: " + dropped);

        final Map<String, Long> counts = ImpairmentCounts.snapshot(impaired);
        assertEquals(dropped, counts.get("impair_tx_dropped"));
        assertEquals(FRAMES - dropped, counts.get("impair_tx_passed"));
        assertEquals(0L, counts.get("impair_rx_dropped"));
        assertEquals("impair_rx_passed", counts.keySet().iterator().next(), "received direction first");

        final String text = ImpairmentCounts.describeNonZero(impaired);
        assertEquals(String.format("  %-32s %,d%n  %-32s %,d%n", "impair_tx_passed", FRAMES - dropped,
            "impair_tx_dropped", dropped), text, "only the non-zero counts, in the stack counters' layout");
    }

    @Test
    void findsTheImpairmentsUnderACaptureAndNothingWithoutThem()
    {
        final MemoryLink link = new MemoryLink(new ManualClock(0));
        final ImpairedDevice impaired = new ImpairedDevice(link.endA(), 7, Impairment.NONE.withLoss(0.2));
        final FrameDevice captured = new CaptureDevice(impaired, (fromA, buffer, offset, length, nowNs) -> { });
        assertSame(impaired, ImpairmentCounts.find(captured));
        assertSame(impaired, ImpairmentCounts.find(impaired));
        assertNull(ImpairmentCounts.find(link.endA()));
        assertNull(ImpairmentCounts.find(new CaptureDevice(link.endA(), (fromA, buffer, offset, length, nowNs) -> { })));
        assertTrue(ImpairmentCounts.snapshot(null).isEmpty());
        assertEquals("", ImpairmentCounts.describeNonZero(null));
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aCommandWithLossPrintsTheImpairmentCountsAsItStops() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("ping", "iputils-ping");
        try (ExampleProcess echo = ExampleProcess.prepare())
        {
            echo.launch("echo", "--loss", "20%", "--seed", "7");
            echo.awaitOutput("listening on", Duration.ofSeconds(20));
            // 40 pings: each crosses the impairments both ways, and about a fifth of each direction is lost
            echo.sh(Duration.ofSeconds(30), "ping -c 40 -i 0.05 -W 1 " + STACK_IP);
            final String out = echo.stop();
            assertTrue(out.contains("impairments (rx: from the TAP to the stack, tx: from the stack to the TAP):"),
                () -> "no impairment counts at SIGTERM:\n" + out);
            final int impairments = out.indexOf("impairments (rx:");
            assertTrue(out.indexOf("counters of " + STACK_IP) < impairments, () -> "after the counters:\n" + out);
            final Matcher rx = Pattern.compile("impair_rx_dropped\\s+([0-9,]+)").matcher(out);
            final Matcher tx = Pattern.compile("impair_tx_dropped\\s+([0-9,]+)").matcher(out);
            assertTrue(rx.find() && tx.find(), () -> "losses both ways:\n" + out);
            assertTrue(Pattern.compile("impair_rx_passed\\s+[1-9]").matcher(out).find(), out);
            assertFalse(Pattern.compile("impair_\\w+\\s+0\\n").matcher(out).find(), () -> "a zero printed:\n" + out);
        }
    }
}
