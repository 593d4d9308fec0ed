package io.tapstack.time;

import java.util.SplittableRandom;

/**
 * The stack's only source of randomness, seeded so that a run can be repeated exactly. Owned by the stack
 * thread.
 */
public final class RandomSource
{
    private final SplittableRandom random;

    public RandomSource(final long seed)
    {
        this.random = new SplittableRandom(seed);
    }

    public int nextInt()
    {
        return random.nextInt();
    }

    /** Uniform in [0, bound). */
    public int nextInt(final int bound)
    {
        return random.nextInt(bound);
    }

    public long nextLong()
    {
        return random.nextLong();
    }

    /** Uniform in [0, 1). */
    public double nextDouble()
    {
        return random.nextDouble();
    }

    /** An independent source derived from this one (for a device or a component with its own stream). */
    public RandomSource split()
    {
        return new RandomSource(random.nextLong());
    }
}
