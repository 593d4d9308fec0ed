package io.tapstack.time;

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

/** The queue against a map of id to deadline: after any sequence of schedule, move, cancel and pop, both agree. */
class DeadlineQueueProperties
{
    record Op(int kind, int id, long deadline)
    {
    }

    @Property(tries = 300)
    void agreesWithAMapModel(@ForAll("ops") final List<Op> ops)
    {
        final DeadlineQueue queue = new DeadlineQueue(2);
        final Map<Integer, Long> model = new HashMap<>();
        for (final Op op : ops)
        {
            switch (op.kind())
            {
                case 0, 1 ->
                {
                    queue.schedule(op.id(), op.deadline());
                    model.put(op.id(), op.deadline());
                }
                case 2 ->
                {
                    queue.cancel(op.id());
                    model.remove(op.id());
                }
                default ->
                {
                    // pop the earliest: its deadline is the model's minimum
                    if (!queue.isEmpty())
                    {
                        final int id = queue.peekId();
                        assertEquals(min(model), queue.nextDeadlineNs());
                        assertEquals(model.get(id), queue.nextDeadlineNs());
                        queue.cancel(id);
                        model.remove(id);
                    }
                }
            }
            assertEquals(model.size(), queue.size());
            assertEquals(model.isEmpty() ? DeadlineQueue.NONE : min(model), queue.nextDeadlineNs());
            for (final Map.Entry<Integer, Long> e : model.entrySet())
            {
                assertTrue(queue.isScheduled(e.getKey()));
                assertEquals(e.getValue(), queue.deadlineNs(e.getKey()));
            }
        }
    }

    private static long min(final Map<Integer, Long> model)
    {
        return model.values().stream().mapToLong(Long::longValue).min().orElse(DeadlineQueue.NONE);
    }

    @Provide
    Arbitrary<List<Op>> ops()
    {
        final Arbitrary<Op> op = Combinators.combine(
            Arbitraries.integers().between(0, 3),
            Arbitraries.integers().between(0, 40),
            Arbitraries.longs().between(0, 1_000))
            .as(Op::new);
        return op.list().ofMaxSize(300);
    }
}
