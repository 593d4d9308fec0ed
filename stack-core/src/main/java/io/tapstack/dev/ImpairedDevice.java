package io.tapstack.dev;

import io.tapstack.time.RandomSource;
import org.agrona.MutableDirectBuffer;

/**
 * Wraps a device and impairs both directions with seeded randomness: loss and duplication, each a
 * probability per frame and per direction. The same seed gives the same impairments for the same frames.
 * Counts what it did.
 */
public final class ImpairedDevice implements FrameDevice, FrameHandler
{
    private final FrameDevice inner;
    private final RandomSource random;
    private final double lossProbability;
    private final double duplicateProbability;
    private FrameHandler downstream;
    private long framesDropped;
    private long framesDuplicated;

    /**
     * @param lossProbability      chance in [0, 1] that a frame, received or sent, is dropped
     * @param duplicateProbability chance in [0, 1] that a frame that was not dropped is delivered twice
     */
    public ImpairedDevice(final FrameDevice inner, final long seed, final double lossProbability,
        final double duplicateProbability)
    {
        if (lossProbability < 0 || lossProbability > 1 || duplicateProbability < 0 || duplicateProbability > 1)
        {
            throw new IllegalArgumentException("probabilities must be within [0, 1]");
        }
        this.inner = inner;
        this.random = new RandomSource(seed);
        this.lossProbability = lossProbability;
        this.duplicateProbability = duplicateProbability;
    }

    @Override
    public int receive(final long nowNs, final FrameHandler handler, final int limit)
    {
        downstream = handler;
        try
        {
            return inner.receive(nowNs, this, limit);
        }
        finally
        {
            downstream = null;
        }
    }

    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        if (roll(lossProbability))
        {
            framesDropped++;
            return;
        }
        downstream.onFrame(buffer, offset, length, nowNs);
        if (roll(duplicateProbability))
        {
            framesDuplicated++;
            downstream.onFrame(buffer, offset, length, nowNs);
        }
    }

    private int claimedLength;

    @Override
    public int claim(final int length)
    {
        claimedLength = length;
        return inner.claim(length);
    }

    @Override
    public MutableDirectBuffer transmitBuffer()
    {
        return inner.transmitBuffer();
    }

    @Override
    public void commit(final int offset)
    {
        if (roll(lossProbability))
        {
            framesDropped++;
            inner.abort(offset);
            return;
        }
        if (roll(duplicateProbability))
        {
            // the original goes first; its bytes stay readable until the next claim, and a device with a
            // single transmit slot hands back the same offset, making the copy a no-op
            final MutableDirectBuffer buffer = inner.transmitBuffer();
            inner.commit(offset);
            final int copy = inner.claim(claimedLength);
            if (copy >= 0)
            {
                inner.transmitBuffer().putBytes(copy, buffer, offset, claimedLength);
                inner.commit(copy);
                framesDuplicated++;
            }
            return;
        }
        inner.commit(offset);
    }

    @Override
    public void abort(final int offset)
    {
        inner.abort(offset);
    }

    @Override
    public int maxFrameLength()
    {
        return inner.maxFrameLength();
    }

    @Override
    public long nextDeadlineNs()
    {
        return inner.nextDeadlineNs();
    }

    @Override
    public void close()
    {
        inner.close();
    }

    public long framesDropped()
    {
        return framesDropped;
    }

    public long framesDuplicated()
    {
        return framesDuplicated;
    }

    private boolean roll(final double probability)
    {
        return probability > 0 && random.nextDouble() < probability;
    }
}
