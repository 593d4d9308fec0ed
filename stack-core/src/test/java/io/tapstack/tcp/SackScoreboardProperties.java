package io.tapstack.tcp;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scoreboard (RFC 6675 §3-4) against a model: a set of SACKed sequence numbers. Operations are SACK blocks and
 * cumulative ACKs near the 2^32 wrap; without overflow the two agree octet for octet, with it the scoreboard holds
 * a subset of the model (forgetting is safe, RFC 2018 §8), and the invariants (sorted, disjoint, not touching,
 * bounded) always hold.
 */
class SackScoreboardProperties
{
    private static final int SPACE = 2_000;

    @Property(tries = 500, seed = "20261201")
    void agreesWithASetOfSackedRanges(
        @ForAll @Size(max = 60) final List<@IntRange(min = 0, max = SPACE * 4) Integer> ops,
        @ForAll @IntRange(min = 1, max = 8) final int bound,
        @ForAll final boolean nearWrap)
    {
        final int base = nearWrap ? -SPACE / 2 : 1_000;
        final SackScoreboard board = new SackScoreboard(bound);
        final BitSet model = new BitSet();
        int una = 0;
        for (final int op : ops)
        {
            if (op % 5 == 0)
            {
                // a cumulative ACK moves forward
                una = Math.min(SPACE, una + op % 97);
                board.trimBelow(base + una);
                model.clear(0, una);
            }
            else
            {
                final int left = una + op % (SPACE - una + 1);
                final int right = Math.min(SPACE, left + 1 + op / 7 % 300);
                if (left >= right)
                {
                    continue;
                }
                final int before = model.cardinality();
                final BitSet range = new BitSet();
                range.set(left, right);
                range.andNot(model);
                final int added = board.add(base + left, base + right);
                model.set(left, right);
                if (board.overflows() == 0)
                {
                    assertEquals(range.cardinality(), added, "newly SACKed bytes");
                }
                assertTrue(model.cardinality() >= before);
            }
            check(board, model, base, bound);
        }
    }

    private static void check(final SackScoreboard board, final BitSet model, final int base, final int bound)
    {
        assertTrue(board.count() <= bound, "bounded");
        int sum = 0;
        for (int i = 0; i < board.count(); i++)
        {
            final int l = board.left(i) - base;
            final int r = board.right(i) - base;
            assertTrue(l < r, "never empty");
            if (i > 0)
            {
                assertTrue(board.right(i - 1) - base < l, "sorted, disjoint, not touching");
            }
            sum += r - l;
        }
        assertEquals(sum, board.sackedBytes(), "sackedBytes");
        for (int s = 0; s < SPACE; s++)
        {
            final boolean held = board.isSacked(base + s);
            if (held)
            {
                assertTrue(model.get(s), "only what was SACKed: " + s);
            }
            else if (board.overflows() == 0)
            {
                assertFalse(model.get(s), "everything SACKed: " + s);
            }
        }
        if (board.overflows() == 0)
        {
            assertEquals(model.cardinality(), board.sackedBytes());
            assertEquals(model.get(0, 500).cardinality(), board.sackedBetween(base, base + 500));
        }
    }
}
