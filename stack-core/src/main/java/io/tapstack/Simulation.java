package io.tapstack;

import io.tapstack.dev.MemoryLink;
import io.tapstack.time.ManualClock;

import java.util.function.BooleanSupplier;

/**
 * Stacks joined by a {@link MemoryLink} in simulated time: each step runs every stack's duty cycle at the manual
 * clock's time, and when none had work the clock jumps to the earliest deadline of a stack or delivery on the
 * link. Minutes of TCP time run in milliseconds, the same way every time. What the test kit's two-stack
 * simulations and the {@code demo} command run on. Single-threaded.
 */
public final class Simulation
{
    private final ManualClock clock;
    private final MemoryLink link;
    private final NetStack[] stacks;

    public Simulation(final ManualClock clock, final MemoryLink link, final NetStack... stacks)
    {
        this.clock = clock;
        this.link = link;
        this.stacks = stacks.clone();
    }

    /** Runs until {@code done} holds or {@code maxNs} of simulated time pass; returns whether it holds. */
    public boolean runUntil(final BooleanSupplier done, final long maxNs)
    {
        final long endNs = clock.nanoTime() + maxNs;
        while (!done.getAsBoolean())
        {
            final long now = clock.nanoTime();
            int work = 0;
            for (final NetStack stack : stacks)
            {
                work += stack.doWork(now);
            }
            if (work > 0)
            {
                continue;
            }
            long next = link.nextDeliveryNs();
            for (final NetStack stack : stacks)
            {
                next = Math.min(next, stack.nextDeadlineNs());
            }
            if (next > endNs)
            {
                clock.setNs(endNs);
                for (final NetStack stack : stacks)
                {
                    stack.doWork(endNs);
                }
                return done.getAsBoolean();
            }
            clock.setNs(Math.max(next, now + 1));
        }
        return true;
    }
}
