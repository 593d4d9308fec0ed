package io.tapstack.tcp;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RACK's per-segment records (RFC 8985 §6.1) against a model that keeps, for every byte sent and not cumulatively
 * acknowledged, when it was last sent and whether it was ever sent again. Operations are transmissions (new data,
 * retransmissions of any range below the top, some running past it), cumulative ACKs and state changes, near the
 * 2^32 wrap and with small bounds. The records always cover exactly the bytes outstanding, sorted and disjoint, within
 * the bound, and keep the counts of their states; until the bound makes them merge, they agree with the model byte for
 * byte; after, they are conservative: never an earlier time than a byte's last transmission, never "not retransmitted"
 * for a byte sent again.
 */
class RackSegmentsProperties
{
    private static final int SPACE = 3_000;

    @Property(tries = 500, seed = "20261203")
    void agreesWithTheTransmissionTimeOfEachByte(
        @ForAll @Size(max = 80) final List<@IntRange(min = 0, max = 1 << 20) Integer> ops,
        @ForAll @IntRange(min = 2, max = 24) final int capacity,
        @ForAll final boolean nearWrap)
    {
        final int base = nearWrap ? -SPACE / 2 : 7;
        final RackSegments records = new RackSegments(capacity);
        final long[] sentAt = new long[SPACE + 200];
        final boolean[] resent = new boolean[SPACE + 200];
        int una = 0;
        int top = 0;
        long now = 1_000;
        for (final int op : ops)
        {
            now += 1 + op % 3;
            final int kind = op % 7;
            if (kind == 0)
            {
                una = Math.min(top, una + op / 7 % 400);
                records.trimBelow(base + una);
            }
            else if (kind == 1 && records.count() > 0)
            {
                // what RACK does to a record: SACKed, deemed lost, its retransmission lost; never "not resent"
                final int i = op / 7 % records.count();
                records.setFlags(i, records.flags(i) & RackSegments.RETRANSMITTED
                    | op / 97 % 16 & ~RackSegments.RETRANSMITTED);
            }
            else
            {
                final int length = 1 + op / 7 % 150;
                final int from = kind <= 3 || top == una ? top : una + op / 1013 % (top - una);
                final int to = Math.min(SPACE, from + length);
                if (from >= to)
                {
                    continue;
                }
                records.onSent(base + from, base + to, now);
                for (int b = from; b < to; b++)
                {
                    resent[b] |= b < top;
                    sentAt[b] = now;
                }
                top = Math.max(top, to);
            }
            check(records, base, una, top, sentAt, resent);
        }
    }

    private static void check(final RackSegments records, final int base, final int una, final int top,
        final long[] sentAt, final boolean[] resent)
    {
        assertTrue(records.count() <= records.capacity(), "bounded");
        int expectedStart = una;
        int sacked = 0;
        int awaiting = 0;
        for (int i = 0; i < records.count(); i++)
        {
            final int start = records.start(i) - base;
            final int end = records.end(i) - base;
            assertEquals(expectedStart, start, "contiguous from SND.UNA, sorted, disjoint");
            assertTrue(start < end, "never empty");
            expectedStart = end;
            final int f = records.flags(i);
            sacked += (f & RackSegments.SACKED) != 0 ? 1 : 0;
            awaiting += RackSegments.awaitsRetransmission(f) ? 1 : 0;
            for (int b = start; b < end; b++)
            {
                final boolean retransmitted = (f & RackSegments.RETRANSMITTED) != 0;
                if (records.merges() == 0)
                {
                    assertEquals(sentAt[b], records.xmitTs(i), "the byte's last transmission");
                    assertEquals(resent[b], retransmitted, "the byte was sent again");
                }
                else
                {
                    assertTrue(records.xmitTs(i) >= sentAt[b], "never earlier than the byte's last transmission");
                    assertTrue(retransmitted || !resent[b], "a byte sent again is marked so");
                }
            }
        }
        assertEquals(top, expectedStart, "covers up to SND.MAX");
        assertEquals(sacked, records.sacked(), "SACKed records counted");
        assertEquals(awaiting, records.awaitingRetransmission(), "records awaiting retransmission counted");
    }
}
