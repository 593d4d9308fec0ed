package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TIME-WAIT table: its index finds every record and no other through any sequence of additions and removals,
 * it stays within its bound, and what one record costs ({@link TimeWaitTable#bytesPerRecord()}).
 */
class TimeWaitTableTest
{
    private static final long SECOND = 1_000_000_000L;

    /** A key with few distinct hash homes, so that the index's runs collide and deletions must move entries. */
    private static long key(final int n)
    {
        return TcpConnectionTable.key(80, 0x0A000000 + (n % 7), 40000 + n);
    }

    @Property(tries = 300, seed = "20261210")
    void theIndexAgreesWithAMapThroughAdditionsExpiriesAndRemovals(
        @ForAll @Size(max = 400) final List<@IntRange(min = 0, max = 199) Integer> operations)
    {
        final TcpConfig config = new TcpConfig().maxTimeWait(64);
        final TimeWaitTable table = new TimeWaitTable(config, new StackCounters());
        final Map<Long, Integer> model = new HashMap<>();
        long now = 0;
        for (final int op : operations)
        {
            final long key = key(op % 100);
            final int slot = table.find(key);
            if (op < 100)
            {
                if (slot < 0)
                {
                    final int added = table.add(key, op, null, now + (op % 13) * SECOND, now);
                    table.sequenceSpace(added, op, op + 1, 1000, 1000, 1000);
                    model.put(key, op);
                }
            }
            else if (slot >= 0)
            {
                table.end(slot, now);
                model.remove(key);
            }
            now += SECOND / 2;
            table.expire(now);
            model.keySet().removeIf(k -> table.find(k) < 0); // what the table expired or dropped for room
            for (int n = 0; n < 100; n++)
            {
                final int found = table.find(key(n));
                final Integer value = model.get(key(n));
                assertEquals(value != null, found >= 0, "key " + n);
                if (value != null)
                {
                    assertEquals(key(n), table.key(found));
                    assertEquals(value + 1, table.rcvNxt(found));
                }
            }
            assertEquals(model.size(), table.size());
            assertTrue(table.size() <= 64);
        }
    }

    @Test
    void aFullTableDropsTheRecordWhoseWaitEndsFirst()
    {
        final StackCounters counters = new StackCounters();
        final TimeWaitTable table = new TimeWaitTable(new TcpConfig().maxTimeWait(2), counters);
        table.add(key(1), 1, null, 30 * SECOND, 0);
        table.add(key(2), 2, null, 10 * SECOND, 0); // a FIN restarted another's wait: not the order of entry
        table.add(key(3), 3, null, 60 * SECOND, 0);
        assertTrue(table.find(key(2)) < 0, "the one ending first went");
        assertTrue(table.find(key(1)) >= 0 && table.find(key(3)) >= 0);
        assertEquals(1, counters.get(Counter.TCP_TIME_WAIT_OVERFLOWS));
        assertEquals(-1, new TimeWaitTable(new TcpConfig().maxTimeWait(0), counters).add(key(4), 4, null, 1, 0),
            "a bound of 0 keeps nothing");
    }

    /**
     * Bytes per TIME-WAIT record: {@link TimeWaitTable#bytesPerRecord()} counts the columns, the index at its worst
     * and the deadline queue; growing to 65,536 records allocates at most twice that (the arrays double), and a
     * table that has grown allocates nothing more per record. A connection in TIME-WAIT used to keep its whole
     * {@link TcpConnection}, with 64 KiB send and receive buffers by default.
     */
    @Test
    void aRecordCostsUnderOneHundredBytesAndNoAllocationOnceTheTableHasGrown()
    {
        final int records = 65_536;
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final TimeWaitTable table = new TimeWaitTable(new TcpConfig().maxTimeWait(records), new StackCounters());
        final long before = threads.getCurrentThreadAllocatedBytes();
        fill(table, records);
        final long growing = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(records, table.size());
        assertTrue(TimeWaitTable.bytesPerRecord() < 100, "bytes per record: " + TimeWaitTable.bytesPerRecord());
        assertTrue(growing <= 2L * records * TimeWaitTable.bytesPerRecord() + 65_536,
            "growing to " + records + " records allocated " + growing + " bytes");
        table.expire(Long.MAX_VALUE - 1);
        assertEquals(0, table.size());
        fill(table, records); // warm
        table.expire(Long.MAX_VALUE - 1);
        final long again = threads.getCurrentThreadAllocatedBytes();
        fill(table, records);
        final long refilling = threads.getCurrentThreadAllocatedBytes() - again;
        assertTrue(refilling < 1024, "refilling allocated " + refilling + " bytes");
    }

    private static void fill(final TimeWaitTable table, final int records)
    {
        for (int i = 0; i < records; i++)
        {
            final int slot = table.add(TcpConnectionTable.key(80, 0x0A000000 + i, 40000 + (i & 0x3FFF)), i, null,
                60 * SECOND + i, 0);
            table.sequenceSpace(slot, i, i, 65535, 65535, 65535);
        }
    }
}
