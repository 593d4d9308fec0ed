package io.tapstack.dev;

/**
 * What an {@link ImpairedDevice} does to the frames of one direction, in the spirit of Linux netem behind a tbf.
 * In order:
 * <ol>
 *   <li>{@code rate}: a token bucket with a bounded queue (see {@link RateLimit}); a frame waits there for its
 *       turn at the rate, or is dropped when the queue is full. The stages below see a frame as it leaves, so a
 *       frame lost on the way still took its time at the rate, as on a real bottleneck.</li>
 *   <li>{@code loss}: the frame is dropped with this chance;</li>
 *   <li>{@code gilbertElliott}: burst loss, a two-state chain that steps once for each frame random loss spared
 *       (see {@link GilbertElliott});</li>
 *   <li>{@code duplicate}: a surviving frame is delivered twice;</li>
 *   <li>{@code corrupt}: one bit of a copy, chosen uniformly among all the frame's bits (the Ethernet header
 *       included: this link has no frame check sequence), is flipped;</li>
 *   <li>{@code delayNs} plus a uniform jitter in [0, {@code jitterNs}] (jittered frames may overtake one
 *       another, as with netem);</li>
 *   <li>{@code reorder}: a frame is held back until the next frame has gone out ahead of it, or until
 *       {@code reorderHoldNs} have passed if no next frame comes.</li>
 * </ol>
 *
 * <p>Immutable; build with {@link #NONE} and the {@code with*} methods:
 * {@code Impairment.NONE.withLoss(0.05).withDelayNs(2_000_000, 500_000).withRate(RateLimit.of(10_000_000))}.
 *
 * @param loss           chance in [0, 1] that a frame is dropped
 * @param duplicate      chance in [0, 1] that a frame that was not dropped is delivered twice
 * @param reorder        chance in [0, 1] that a frame is held back behind the next one
 * @param reorderHoldNs  how long a held frame waits for a next frame before it goes anyway (≥ 0)
 * @param delayNs        fixed extra delay of every frame (≥ 0)
 * @param jitterNs       extra random delay, uniform in [0, jitterNs] (≥ 0)
 * @param corrupt        chance in [0, 1] that a delivered copy has one bit flipped
 * @param gilbertElliott burst loss, {@link GilbertElliott#NONE} for none
 * @param rate           the token bucket, {@link RateLimit#NONE} for none
 */
public record Impairment(double loss, double duplicate, double reorder, long reorderHoldNs, long delayNs,
    long jitterNs, double corrupt, GilbertElliott gilbertElliott, RateLimit rate)
{
    /** No impairment: frames pass untouched. */
    public static final Impairment NONE = new Impairment(0, 0, 0, 1_000_000L, 0, 0, 0, GilbertElliott.NONE,
        RateLimit.NONE);

    public Impairment
    {
        requireProbability(loss, "loss");
        requireProbability(duplicate, "duplicate");
        requireProbability(reorder, "reorder");
        requireProbability(corrupt, "corrupt");
        if (reorderHoldNs < 0 || delayNs < 0 || jitterNs < 0)
        {
            throw new IllegalArgumentException("reorderHoldNs, delayNs and jitterNs must be >= 0");
        }
        if (gilbertElliott == null || rate == null)
        {
            throw new IllegalArgumentException("gilbertElliott and rate must not be null: use their NONE");
        }
    }

    public Impairment withLoss(final double loss)
    {
        return new Impairment(loss, duplicate, reorder, reorderHoldNs, delayNs, jitterNs, corrupt, gilbertElliott,
            rate);
    }

    public Impairment withDuplicate(final double duplicate)
    {
        return new Impairment(loss, duplicate, reorder, reorderHoldNs, delayNs, jitterNs, corrupt, gilbertElliott,
            rate);
    }

    public Impairment withReorder(final double reorder, final long holdNs)
    {
        return new Impairment(loss, duplicate, reorder, holdNs, delayNs, jitterNs, corrupt, gilbertElliott, rate);
    }

    public Impairment withDelayNs(final long delayNs, final long jitterNs)
    {
        return new Impairment(loss, duplicate, reorder, reorderHoldNs, delayNs, jitterNs, corrupt, gilbertElliott,
            rate);
    }

    /** One flipped bit in this share of the copies delivered. */
    public Impairment withCorrupt(final double corrupt)
    {
        return new Impairment(loss, duplicate, reorder, reorderHoldNs, delayNs, jitterNs, corrupt, gilbertElliott,
            rate);
    }

    /** Burst loss by a Gilbert-Elliott chain, after (and besides) random {@link #loss}. */
    public Impairment withGilbertElliott(final GilbertElliott gilbertElliott)
    {
        return new Impairment(loss, duplicate, reorder, reorderHoldNs, delayNs, jitterNs, corrupt, gilbertElliott,
            rate);
    }

    /** A token bucket in front of the other impairments. */
    public Impairment withRate(final RateLimit rate)
    {
        return new Impairment(loss, duplicate, reorder, reorderHoldNs, delayNs, jitterNs, corrupt, gilbertElliott,
            rate);
    }

    /** True when frames pass untouched (no random draws are made). */
    public boolean isNone()
    {
        return loss == 0 && duplicate == 0 && reorder == 0 && delayNs == 0 && jitterNs == 0 && corrupt == 0
            && gilbertElliott.isNone() && rate.isNone();
    }

    static void requireProbability(final double p, final String name)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new IllegalArgumentException(name + " must be within [0, 1]: " + p);
        }
    }
}
