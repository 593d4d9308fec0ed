package io.tapstack.examples;

import io.tapstack.dev.ForwardingDevice;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.ImpairmentLane;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the impairments ({@code --loss}, {@code --rate}, {@code --corrupt}...) did, per direction: the impaired
 * device keeps these counts itself, apart from the stack's counters, and a command prints them beside those at
 * stop and the http command shows them at {@code /stats}. {@code rx} is what the TAP received, on its way to the
 * stack; {@code tx} is what the stack sent, on its way to the TAP.
 *
 * <p>The counts are plain fields of the stack thread: read after the stack stopped they are exact; read while it
 * runs ({@code /stats}) each value is one the stack held a moment ago, which is all a monitoring page needs.
 */
final class ImpairmentCounts
{
    /** Each name's prefix, like the stack counters' layer prefix ({@code tcp_}, {@code ip_}). */
    static final String PREFIX = "impair_";

    private ImpairmentCounts()
    {
    }

    /** The impaired device in a chain of wrappers (capture outside impairment, say), or null when there is none. */
    static ImpairedDevice find(final FrameDevice device)
    {
        FrameDevice d = device;
        while (d instanceof ForwardingDevice)
        {
            if (d instanceof ImpairedDevice)
            {
                return (ImpairedDevice)d;
            }
            d = ((ForwardingDevice)d).wrapped();
        }
        return null;
    }

    /** Every count by name, received direction first ({@code impair_rx_dropped}, ...); empty without impairments. */
    static Map<String, Long> snapshot(final ImpairedDevice device)
    {
        final Map<String, Long> counts = new LinkedHashMap<>();
        if (device != null)
        {
            lane(counts, "rx_", device.receiveStats());
            lane(counts, "tx_", device.transmitStats());
        }
        return counts;
    }

    /**
     * The non-zero counts, one per line in the stack counters' layout; empty when the impairments did nothing
     * (or there are none).
     */
    static String describeNonZero(final ImpairedDevice device)
    {
        final StringBuilder sb = new StringBuilder();
        for (final Map.Entry<String, Long> e : snapshot(device).entrySet())
        {
            if (e.getValue() != 0)
            {
                sb.append(String.format(Locale.ROOT, "  %-32s %,d%n", e.getKey(), e.getValue()));
            }
        }
        return sb.toString();
    }

    private static void lane(final Map<String, Long> counts, final String direction, final ImpairmentLane lane)
    {
        final String p = PREFIX + direction;
        counts.put(p + "passed", lane.passed());
        counts.put(p + "dropped", lane.dropped());
        counts.put(p + "burst_dropped", lane.burstDropped());
        counts.put(p + "bad_state_frames", lane.badStateFrames());
        counts.put(p + "corrupted", lane.corrupted());
        counts.put(p + "rate_queued", lane.rateQueued());
        counts.put(p + "rate_dropped", lane.rateDropped());
        counts.put(p + "rate_oversize_dropped", lane.rateOversizeDropped());
        counts.put(p + "duplicated", lane.duplicated());
        counts.put(p + "delayed", lane.delayed());
        counts.put(p + "reordered", lane.reordered());
        counts.put(p + "overflowed", lane.overflowed());
        counts.put(p + "device_full", lane.deviceFull());
    }
}
