package io.tapstack.examples;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.GilbertElliott;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.dev.RateLimit;

import java.util.List;
import java.util.Locale;

/**
 * The link impairments the stack applies itself ({@link ImpairedDevice}), per direction. Each option's value is
 * for both directions, or for one with a prefix: {@code in:} (frames the stack receives) or {@code out:} (frames
 * it sends); give an option twice for different values each way ({@code --delay in:5 --delay out:20}), each
 * direction at most once.
 */
final class ImpairmentOptions
{
    private ImpairmentOptions()
    {
    }

    /** The longest --delay or --jitter: a minute. */
    static final int MAX_DELAY_MS = 60_000;
    /** How long a frame held back by --reorder waits for a next frame to overtake it. */
    static final long REORDER_HOLD_NS = 1_000_000L;
    /** The longest --rate latency=: a minute. */
    static final int MAX_LATENCY_MS = 60_000;

    private static final String DIR = "[DIR:]";
    private static final String RATE_FORM = "a rate 1kbit..100gbit like 10mbit, optionally followed by ,burst=BYTES "
        + "and ,limit=BYTES or ,latency=MS (BYTES like 32k or 1m)";

    /** The impairments of each direction. */
    record Impairments(Impairment in, Impairment out)
    {
        boolean isNone()
        {
            return in.isNone() && out.isNone();
        }
    }

    static Options declare(final Options options)
    {
        return options
            .option("loss", DIR + "P%", "drop this share of frames (seeded); DIR is in or out for one direction "
                + "(frames the stack receives or sends), else both: --loss in:2% --loss out:1%", "0%")
            .option("gemodel", DIR + "P[,R[,1-H[,1-K]]]", "Gilbert-Elliott burst loss as netem's loss gemodel: "
                + "chance of good to bad P, of bad to good R, of loss when bad 1-H, when good 1-K; left out, R is "
                + "100%, 1-H 100%, 1-K 0%", "none")
            .option("duplicate", DIR + "P%", "deliver this share of frames twice (seeded)", "0%")
            .option("corrupt", DIR + "P%", "flip one bit, anywhere in the frame, in this share of frames: the "
                + "checksums catch it (a flip in the Ethernet header is dropped by Ethernet, or unseen)", "0%")
            .option("reorder", DIR + "P%", "hold back this share of frames behind the next one", "0%")
            .option("delay", DIR + "MS", "delay every frame this many milliseconds", "0")
            .option("jitter", DIR + "MS", "add up to this many milliseconds of random delay (reorders too)", "0")
            .option("rate", DIR + "RATE[,burst=B][,limit=B|,latency=MS]", "a token bucket as Linux tbf before the "
                + "other impairments: RATE like 10mbit, bucket B bytes (default 1 ms of RATE, at least two "
                + "frames), queue B bytes or MS of waiting (default 50 ms); frames beyond it are dropped", "none");
    }

    /** Every impairment option, checked: a mistake is one {@link Options.UsageException} naming the option. */
    static Impairments impairments(final Options options)
    {
        final int maxFrame = StackOptions.mtu(options) + 14;
        Impairment in = Impairment.NONE;
        Impairment out = Impairment.NONE;
        for (final String name : List.of("loss", "gemodel", "duplicate", "corrupt", "reorder", "delay", "jitter",
            "rate"))
        {
            final String[] byDirection = byDirection(options, name);
            in = apply(in, name, byDirection[0], maxFrame);
            out = apply(out, name, byDirection[1], maxFrame);
        }
        return new Impairments(in, out);
    }

    /** The option's value for {in, out}: from the one value for both, or the in: and out: values. */
    private static String[] byDirection(final Options options, final String name)
    {
        final String[] values = new String[2];
        for (final String given : options.getAll(name))
        {
            final String lower = given.toLowerCase(Locale.ROOT);
            final int colon = given.indexOf(':');
            final boolean in = lower.startsWith("in:");
            final boolean out = lower.startsWith("out:");
            if (!in && !out && colon >= 0 && colon < 8 && given.substring(0, colon).matches("[A-Za-z]+"))
            {
                throw new Options.UsageException("--" + name + " takes in: or out: before its value for one "
                    + "direction, not '" + given.substring(0, colon + 1) + "'");
            }
            final String value = in ? given.substring(3) : out ? given.substring(4) : given;
            for (int d = 0; d < 2; d++)
            {
                if (d == 0 && out || d == 1 && in)
                {
                    continue;
                }
                if (values[d] != null)
                {
                    throw new Options.UsageException("--" + name + " is given twice for the " + (d == 0 ? "in" : "out")
                        + " direction (a value without in: or out: is for both)");
                }
                values[d] = value;
            }
        }
        return values;
    }

    private static Impairment apply(final Impairment impairment, final String name, final String value,
        final int maxFrame)
    {
        if (value == null)
        {
            return impairment;
        }
        return switch (name)
        {
            case "loss" -> impairment.withLoss(probability(name, value));
            case "duplicate" -> impairment.withDuplicate(probability(name, value));
            case "corrupt" -> impairment.withCorrupt(probability(name, value));
            case "reorder" -> impairment.withReorder(probability(name, value), REORDER_HOLD_NS);
            case "delay" -> impairment.withDelayNs(millisToNs(name, value), impairment.jitterNs());
            case "jitter" -> impairment.withDelayNs(impairment.delayNs(), millisToNs(name, value));
            case "gemodel" -> impairment.withGilbertElliott(gemodel(value));
            case "rate" -> impairment.withRate(rate(value, maxFrame));
            default -> throw new IllegalStateException(name);
        };
    }

    /** A probability from "2%" or "0.02". */
    private static double probability(final String name, final String text)
    {
        final double p = probabilityOrNaN(text);
        if (!(p >= 0 && p <= 1))
        {
            throw new Options.UsageException("--" + name + " must be a percentage 0%..100% like 2% or a fraction "
                + "like 0.02 (in: or out: before it for one direction), not '" + text + "'");
        }
        return p;
    }

    private static double probabilityOrNaN(final String text)
    {
        final String t = text.trim();
        try
        {
            return t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1)) / 100.0
                : Double.parseDouble(t);
        }
        catch (final NumberFormatException ex)
        {
            return Double.NaN;
        }
    }

    private static long millisToNs(final String name, final String text)
    {
        final double ms = millis(text);
        if (!(ms >= 0 && ms <= MAX_DELAY_MS))
        {
            throw new Options.UsageException("--" + name + " must be milliseconds 0.." + MAX_DELAY_MS
                + " like 5 or 0.5 (in: or out: before it for one direction), not '" + text + "'");
        }
        return (long)(ms * 1_000_000L);
    }

    private static double millis(final String text)
    {
        try
        {
            final String t = text.trim();
            return Double.parseDouble(t.endsWith("ms") ? t.substring(0, t.length() - 2) : t);
        }
        catch (final NumberFormatException ex)
        {
            return Double.NaN;
        }
    }

    /** --gemodel: none, or P[,R[,1-H[,1-K]]] with netem's defaults for what is left out. */
    private static GilbertElliott gemodel(final String text)
    {
        if ("none".equals(text))
        {
            return GilbertElliott.NONE;
        }
        final String[] parts = text.split(",", -1);
        final double[] values = {Double.NaN, 1, 1, 0};
        boolean ok = parts.length <= 4;
        for (int i = 0; ok && i < parts.length; i++)
        {
            values[i] = probabilityOrNaN(parts[i]);
            ok = values[i] >= 0 && values[i] <= 1;
        }
        if (!ok)
        {
            throw new Options.UsageException("--gemodel must be none or P[,R[,1-H[,1-K]]], percentages or fractions "
                + "like 1%,30% or 1%,30%,100%,0% (in: or out: before it for one direction), not '" + text + "'");
        }
        return new GilbertElliott(values[0], values[1], values[2], values[3]);
    }

    /** --rate: none, or RATE[,burst=BYTES][,limit=BYTES|,latency=MS]. */
    static RateLimit rate(final String text, final int maxFrame)
    {
        if ("none".equals(text))
        {
            return RateLimit.NONE;
        }
        final String what = "--rate must be none or " + RATE_FORM + " (in: or out: before it for one direction), not '"
            + text + "'";
        final String[] parts = text.split(",", -1);
        final long bitsPerSecond = bitsPerSecond(parts[0]);
        if (bitsPerSecond < RateLimit.MIN_BITS_PER_SECOND || bitsPerSecond > RateLimit.MAX_BITS_PER_SECOND)
        {
            throw new Options.UsageException(what);
        }
        long burst = -1;
        long limit = -1;
        long latencyNs = -1;
        for (int i = 1; i < parts.length; i++)
        {
            final String part = parts[i].trim().toLowerCase(Locale.ROOT);
            if (part.startsWith("burst=") && burst < 0)
            {
                burst = bytes(part.substring(6));
            }
            else if (part.startsWith("limit=") && limit < 0 && latencyNs < 0)
            {
                limit = bytes(part.substring(6));
            }
            else if (part.startsWith("latency=") && limit < 0 && latencyNs < 0)
            {
                final double ms = millis(part.substring(8));
                latencyNs = ms >= 0 && ms <= MAX_LATENCY_MS ? (long)(ms * 1_000_000L) : -2;
            }
            else
            {
                throw new Options.UsageException(what);
            }
            if (burst == -2 || limit == -2 || latencyNs == -2)
            {
                throw new Options.UsageException(what);
            }
        }
        if (burst >= 0 && (burst < maxFrame || burst > RateLimit.MAX_BURST_BYTES))
        {
            throw new Options.UsageException("--rate burst= must hold a whole frame, " + maxFrame + ".."
                + RateLimit.MAX_BURST_BYTES + " bytes at this MTU, not " + burst);
        }
        if (limit >= 0 && (limit < maxFrame || limit > RateLimit.MAX_LIMIT_BYTES))
        {
            throw new Options.UsageException("--rate limit= must hold a whole frame, " + maxFrame + ".."
                + RateLimit.MAX_LIMIT_BYTES + " bytes at this MTU, not " + limit);
        }
        RateLimit rate = RateLimit.of(bitsPerSecond);
        rate = rate.withBurst(burst >= 0 ? (int)burst : Math.max(rate.burstBytes(), 2 * maxFrame));
        if (latencyNs >= 0 || limit < 0)
        {
            try
            {
                rate = rate.withLatencyNs(latencyNs >= 0 ? latencyNs : RateLimit.DEFAULT_LATENCY_NS);
            }
            catch (final IllegalArgumentException ex)
            {
                if (latencyNs >= 0)
                {
                    throw new Options.UsageException("--rate latency= asks for a queue of more than "
                        + RateLimit.MAX_LIMIT_BYTES + " bytes at this rate: use a shorter latency or limit=");
                }
                rate = rate.withLimit(RateLimit.MAX_LIMIT_BYTES);
            }
        }
        else
        {
            rate = rate.withLimit((int)limit);
        }
        return rate;
    }

    /** Bits per second from a number and tc's unit: bit, kbit, mbit or gbit (powers of 1000); -1 if not that. */
    private static long bitsPerSecond(final String text)
    {
        final String t = text.trim().toLowerCase(Locale.ROOT);
        final long unit;
        final String number;
        if (t.endsWith("gbit"))
        {
            unit = 1_000_000_000L;
            number = t.substring(0, t.length() - 4);
        }
        else if (t.endsWith("mbit"))
        {
            unit = 1_000_000L;
            number = t.substring(0, t.length() - 4);
        }
        else if (t.endsWith("kbit"))
        {
            unit = 1_000L;
            number = t.substring(0, t.length() - 4);
        }
        else if (t.endsWith("bit"))
        {
            unit = 1;
            number = t.substring(0, t.length() - 3);
        }
        else
        {
            return -1;
        }
        try
        {
            final double value = Double.parseDouble(number) * unit;
            return value >= 1 && value <= Long.MAX_VALUE / 2 ? (long)value : -1;
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /** Bytes from a whole number with an optional b, k/kb (KiB) or m/mb (MiB); -2 if not that. */
    private static long bytes(final String text)
    {
        final String t = text.trim();
        long unit = 1;
        String number = t;
        if (t.endsWith("kb") || t.endsWith("mb"))
        {
            unit = t.charAt(t.length() - 2) == 'k' ? 1024 : 1024 * 1024;
            number = t.substring(0, t.length() - 2);
        }
        else if (t.endsWith("k") || t.endsWith("m"))
        {
            unit = t.endsWith("k") ? 1024 : 1024 * 1024;
            number = t.substring(0, t.length() - 1);
        }
        else if (t.endsWith("b"))
        {
            number = t.substring(0, t.length() - 1);
        }
        if (!number.matches("[0-9]{1,10}"))
        {
            return -2;
        }
        return Long.parseLong(number) * unit;
    }

    /** Wraps {@code device} in the impairments the options ask for, seeded; the device itself if none. */
    static FrameDevice impair(final Options options, final FrameDevice device, final long seed)
    {
        final Impairments impairments = impairments(options);
        if (impairments.isNone())
        {
            return device;
        }
        return ImpairedDevice.builder(device).seed(seed).receive(impairments.in()).transmit(impairments.out())
            .build();
    }
}
