package io.tapstack.dev;

/**
 * Gilbert-Elliott burst loss, as netem's {@code loss gemodel p r 1-h 1-k}: a two-state Markov chain, good and
 * bad. For each frame the chain first moves (good to bad with {@code p}, bad to good with {@code r}), then the
 * frame is lost with the loss chance of the state it is in: {@code lossInBad} (netem's 1-h) or {@code lossInGood}
 * (netem's 1-k). The chain starts good.
 *
 * <p>In the long run the chain is bad for a share {@code p / (p + r)} of the frames, so the mean loss is
 * {@code p / (p + r) * lossInBad + r / (p + r) * lossInGood}; a stay in the bad state lasts {@code 1 / r} frames
 * on average, so with {@code lossInBad = 1} and {@code lossInGood = 0} losses come in bursts of {@code 1 / r}
 * frames on average, {@code 1 / p} frames apart on average between bursts' ends and the next burst. {@link #of}
 * takes netem's defaults for what is left out: {@code r = 1}, {@code 1-h = 1}, {@code 1-k = 0}.
 *
 * @param p          chance in [0, 1] of moving from good to bad
 * @param r          chance in [0, 1] of moving from bad to good
 * @param lossInBad  chance in [0, 1] that a frame is lost in the bad state (netem's 1-h)
 * @param lossInGood chance in [0, 1] that a frame is lost in the good state (netem's 1-k)
 */
public record GilbertElliott(double p, double r, double lossInBad, double lossInGood)
{
    /** No burst loss: the chain never leaves the good state, where nothing is lost. */
    public static final GilbertElliott NONE = new GilbertElliott(0, 1, 1, 0);

    public GilbertElliott
    {
        Impairment.requireProbability(p, "p");
        Impairment.requireProbability(r, "r");
        Impairment.requireProbability(lossInBad, "lossInBad (1-h)");
        Impairment.requireProbability(lossInGood, "lossInGood (1-k)");
    }

    /** Simple Gilbert with netem's defaults: each bad frame is lost, each good one passes. */
    public static GilbertElliott of(final double p, final double r)
    {
        return new GilbertElliott(p, r, 1, 0);
    }

    /** True when no frame can be lost: never bad, or lossless in both states. */
    public boolean isNone()
    {
        return lossInGood == 0 && (p == 0 || lossInBad == 0);
    }

    /** The long-run share of frames that meet the bad state, {@code p / (p + r)} (0 when both are 0). */
    public double badShare()
    {
        return p + r == 0 ? 0 : p / (p + r);
    }

    /** The long-run share of frames lost. */
    public double meanLoss()
    {
        final double bad = badShare();
        return bad * lossInBad + (1 - bad) * lossInGood;
    }
}
