package io.tapstack.dev;

/**
 * What an {@link ImpairedDevice} does to the frames of one direction, in the spirit of Linux netem: each frame
 * is dropped with {@code loss}; a frame that survives is delivered twice with {@code duplicate}; each copy is
 * delayed by {@code delayNs} plus a uniform jitter in [0, {@code jitterNs}] (jittered frames may overtake one
 * another, as with netem); finally, with {@code reorder}, a frame is held back until the next frame has gone
 * out ahead of it, or until {@code reorderHoldNs} have passed if no next frame comes.
 *
 * <p>Immutable; build with {@link #NONE} and the {@code with*} methods:
 * {@code Impairment.NONE.withLoss(0.05).withDelayNs(2_000_000, 500_000)}.
 *
 * @param loss          chance in [0, 1] that a frame is dropped
 * @param duplicate     chance in [0, 1] that a frame that was not dropped is delivered twice
 * @param reorder       chance in [0, 1] that a frame is held back behind the next one
 * @param reorderHoldNs how long a held frame waits for a next frame before it goes anyway (≥ 0)
 * @param delayNs       fixed extra delay of every frame (≥ 0)
 * @param jitterNs      extra random delay, uniform in [0, jitterNs] (≥ 0)
 */
public record Impairment(double loss, double duplicate, double reorder, long reorderHoldNs, long delayNs,
    long jitterNs)
{
    /** No impairment: frames pass untouched. */
    public static final Impairment NONE = new Impairment(0, 0, 0, 1_000_000L, 0, 0);

    public Impairment
    {
        requireProbability(loss, "loss");
        requireProbability(duplicate, "duplicate");
        requireProbability(reorder, "reorder");
        if (reorderHoldNs < 0 || delayNs < 0 || jitterNs < 0)
        {
            throw new IllegalArgumentException("reorderHoldNs, delayNs and jitterNs must be >= 0");
        }
    }

    public Impairment withLoss(final double loss)
    {
        return new Impairment(loss, duplicate, reorder, reorderHoldNs, delayNs, jitterNs);
    }

    public Impairment withDuplicate(final double duplicate)
    {
        return new Impairment(loss, duplicate, reorder, reorderHoldNs, delayNs, jitterNs);
    }

    public Impairment withReorder(final double reorder, final long holdNs)
    {
        return new Impairment(loss, duplicate, reorder, holdNs, delayNs, jitterNs);
    }

    public Impairment withDelayNs(final long delayNs, final long jitterNs)
    {
        return new Impairment(loss, duplicate, reorder, reorderHoldNs, delayNs, jitterNs);
    }

    /** True when frames pass untouched (no random draws are made). */
    public boolean isNone()
    {
        return loss == 0 && duplicate == 0 && reorder == 0 && delayNs == 0 && jitterNs == 0;
    }

    private static void requireProbability(final double p, final String name)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new IllegalArgumentException(name + " must be within [0, 1]: " + p);
        }
    }
}
