package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receive-buffer autotuning's growth rule, one rule per test, in manual time: rounds of one receiver RTT, growth to
 * the power of two above twice a round's bytes when a round delivered more than half the buffer, never beyond the
 * maximum or the scaled window, never under memory pressure, and the receiver's RTT from timestamps or from the
 * time a window takes to arrive.
 */
class ReceiveBufferTunerTest
{
    private static final long MS = 1_000_000L;
    private static final int KIB = 1024;
    private static final int MAX_SCALED = 65_535 << 7;

    private final StackCounters counters = new StackCounters();
    private final TcpTimestamps ts = new TcpTimestamps(0);
    private TcpMemory memory = new TcpMemory(1L << 40, 1L << 40, counters);
    private ReceiveBuffer buffer = new ReceiveBuffer(64 * KIB, 4096 * KIB, memory);
    private ReceiveBufferTuner tuner = new ReceiveBufferTuner(buffer, ts, counters);
    private long now = 1_000 * MS;

    /** Timestamps on; a segment arrives echoing a TSval of ours from {@code rttNs} ago. */
    private void rttSampleFromTimestamps(final long rttNs)
    {
        ts.enabled = true;
        tuner.onDataArrived(0, ts.tsVal(now - rttNs), now);
    }

    @Test
    void noGrowthBeforeARoundTripSample()
    {
        tuner.onConsumed(0, MAX_SCALED, now);
        now += 100 * MS;
        assertFalse(tuner.onConsumed(64 * KIB, MAX_SCALED, now));
        assertEquals(64 * KIB, buffer.capacity());
    }

    @Test
    void aRoundThatDeliveredMoreThanHalfTheBufferGrowsItToThePowerOfTwoAboveTwiceItsBytes()
    {
        rttSampleFromTimestamps(10 * MS);
        assertFalse(tuner.onConsumed(0, MAX_SCALED, now)); // the first round starts
        now += 4 * MS;
        assertFalse(tuner.onConsumed(30 * KIB, MAX_SCALED, now), "the round is not over");
        now += 6 * MS;
        assertTrue(tuner.onConsumed(10 * KIB, MAX_SCALED, now));
        assertEquals(128 * KIB, buffer.capacity(), "2 x 40 KiB = 80 KiB, in a power-of-two step");
        assertEquals(1, counters.get(Counter.TCP_RCVBUF_GROWTHS));
        // the next round starts afresh: 40 KiB more is no longer more than half of 128 KiB
        now += 10 * MS;
        assertFalse(tuner.onConsumed(40 * KIB, MAX_SCALED, now));
        assertEquals(128 * KIB, buffer.capacity());
        now += 10 * MS;
        assertTrue(tuner.onConsumed(100 * KIB, MAX_SCALED, now));
        assertEquals(256 * KIB, buffer.capacity());
    }

    @Test
    void aRoundOfHalfTheBufferOrLessLeavesItAlone()
    {
        rttSampleFromTimestamps(10 * MS);
        tuner.onConsumed(0, MAX_SCALED, now);
        now += 10 * MS;
        assertFalse(tuner.onConsumed(32 * KIB, MAX_SCALED, now));
        assertEquals(64 * KIB, buffer.capacity());
    }

    @Test
    void aRoundThatRanLongCountsItsBytesPerRoundTrip()
    {
        rttSampleFromTimestamps(10 * MS);
        tuner.onConsumed(0, MAX_SCALED, now);
        now += 40 * MS; // the application read late: 60 KiB over four round trips is 15 KiB per round trip
        assertFalse(tuner.onConsumed(60 * KIB, MAX_SCALED, now));
        assertEquals(64 * KIB, buffer.capacity());
    }

    @Test
    void neverBeyondTheMaximumNorTheWindowTheScaleCanAnnounce()
    {
        rttSampleFromTimestamps(10 * MS);
        tuner.onConsumed(0, MAX_SCALED, now);
        now += 10 * MS;
        assertTrue(tuner.onConsumed(100_000 * KIB, 65_535 << 2, now));
        assertEquals(65_535 << 2, buffer.capacity(), "shift 2 announces at most 262,140 bytes");
        for (int i = 0; i < 5; i++)
        {
            now += 10 * MS;
            tuner.onConsumed(100_000 * KIB, MAX_SCALED, now);
        }
        assertEquals(4096 * KIB, buffer.capacity(), "the configured maximum");
        assertEquals(4096 * KIB, buffer.maxCapacity());
    }

    @Test
    void noGrowthUnderMemoryPressureAndTheCapacityNeverShrinks()
    {
        memory = new TcpMemory(8 * KIB, 16 * KIB, counters);
        buffer = new ReceiveBuffer(64 * KIB, 4096 * KIB, memory);
        tuner = new ReceiveBufferTuner(buffer, ts, counters);
        rttSampleFromTimestamps(10 * MS);
        tuner.onConsumed(0, MAX_SCALED, now);
        now += 10 * MS;
        assertTrue(tuner.onConsumed(60 * KIB, MAX_SCALED, now));
        assertEquals(128 * KIB, buffer.capacity());
        // bytes arrive and stay unread: the array grows to hold them and the stack is under pressure
        final byte[] data = new byte[100 * KIB];
        assertEquals(data.length, buffer.write(data, 0, data.length));
        assertTrue(memory.underPressure());
        assertEquals(1, counters.get(Counter.TCP_MEMORY_PRESSURE));
        assertEquals(128 * KIB, counters.get(Counter.TCP_MEMORY_BYTES));
        now += 10 * MS;
        assertFalse(tuner.onConsumed(100 * KIB, MAX_SCALED, now), "no growth under pressure");
        assertEquals(128 * KIB, buffer.capacity(), "nor any shrinking: the window offered stays");
        assertEquals(28 * KIB, buffer.free());
    }

    @Test
    void withTimestampsTheRoundTripIsSmoothedAndTakenOncePerEcho()
    {
        rttSampleFromTimestamps(10 * MS);
        assertEquals(10 * MS, tuner.rttNs());
        final int echo = ts.tsVal(now - 18 * MS);
        tuner.onDataArrived(0, echo, now);
        assertEquals(11 * MS, tuner.rttNs(), "10 + (18 - 10) / 8");
        now += 5 * MS;
        tuner.onDataArrived(0, echo, now); // the same echo again: no second sample
        assertEquals(11 * MS, tuner.rttNs());
    }

    @Test
    void withoutTimestampsTheRoundTripIsTheShortestTimeAWindowTookToArrive()
    {
        int rcvNxt = 5000;
        tuner.onDataArrived(rcvNxt, 0, now); // starts a measurement: past the 64 KiB we could offer now
        now += 6 * MS;
        rcvNxt += 60 * KIB;
        tuner.onDataArrived(rcvNxt, 0, now);
        assertEquals(0, tuner.rttNs(), "the window did not arrive yet");
        now += 6 * MS;
        rcvNxt += 5 * KIB;
        tuner.onDataArrived(rcvNxt, 0, now);
        assertEquals(12 * MS, tuner.rttNs());
        now += 20 * MS;
        rcvNxt += 65 * KIB;
        tuner.onDataArrived(rcvNxt, 0, now);
        assertEquals(12 * MS, tuner.rttNs(), "a slower window does not raise it");
        now += 9 * MS;
        rcvNxt += 65 * KIB;
        tuner.onDataArrived(rcvNxt, 0, now);
        assertEquals(9 * MS, tuner.rttNs(), "a faster one lowers it");
    }
}
