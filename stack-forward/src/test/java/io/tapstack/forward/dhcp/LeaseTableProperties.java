package io.tapstack.forward.dhcp;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lease table under any sequence of offers, binds, releases, declines and time steps: no address is ever held
 * by two clients, no client holds two addresses, and the pool is only ever short of an address when every one
 * is held or declined.
 */
class LeaseTableProperties
{
    private static final int POOL = 6;
    private static final int CLIENTS = 9;

    record Op(int kind, int client, int requested, long stepNs)
    {
    }

    @Property(tries = 300)
    void anAddressHasOneHolderAndAClientOneAddress(@ForAll("ops") final List<Op> ops)
    {
        final LeaseTable table = new LeaseTable(0x0A000064, POOL);
        long now = 1_000_000_000L;
        for (final Op op : ops)
        {
            now += op.stepNs();
            final long mac = 0x0200_0000_0000L + op.client() + 1;
            switch (op.kind())
            {
                case 0, 1 ->
                {
                    final int slot = table.choose(mac, 0x0A000064 + op.requested(), now);
                    if (slot == LeaseTable.NONE)
                    {
                        for (int i = 0; i < POOL; i++)
                        {
                            final byte s = table.stateAt(i, now);
                            assertTrue(s != LeaseTable.FREE, "a free address was not chosen");
                        }
                    }
                    else if (op.kind() == 0)
                    {
                        table.offer(slot, mac, now + 30_000_000_000L);
                    }
                    else
                    {
                        table.bind(slot, mac, now + 600_000_000_000L);
                    }
                }
                case 2 ->
                {
                    final int slot = table.slotOfClient(mac);
                    if (slot != LeaseTable.NONE && table.isHeldBy(slot, mac, now))
                    {
                        table.release(slot, now);
                    }
                }
                default ->
                {
                    final int slot = table.slotOfClient(mac);
                    if (slot != LeaseTable.NONE && table.isHeldBy(slot, mac, now))
                    {
                        table.decline(slot, now + 100_000_000_000L);
                    }
                }
            }
            final Map<Long, Integer> held = new HashMap<>();
            for (int slot = 0; slot < POOL; slot++)
            {
                final byte s = table.stateAt(slot, now);
                if (s == LeaseTable.OFFERED || s == LeaseTable.BOUND)
                {
                    final Integer before = held.put(table.holder(slot), slot);
                    assertEquals(null, before, "a client holds two addresses");
                    assertEquals(slot, table.slotOfClient(table.holder(slot)));
                }
            }
            assertEquals(held.size(), table.inUse(now));
        }
    }

    @Provide
    Arbitrary<List<Op>> ops()
    {
        final Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 3),
            Arbitraries.integers().between(0, CLIENTS - 1), Arbitraries.integers().between(-1, POOL),
            Arbitraries.of(0L, 1_000_000_000L, 31_000_000_000L, 700_000_000_000L)).as(Op::new);
        return op.list().ofMaxSize(60);
    }
}
