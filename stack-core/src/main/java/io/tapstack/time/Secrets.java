package io.tapstack.time;

import java.security.SecureRandom;

/**
 * Where the stack's secrets come from: the keys of its keyed hashes (RFC 6528 initial sequence numbers, RFC 6056
 * ephemeral ports) and the randomness an off-path attacker must not predict. By default they come from
 * {@link SecureRandom} when the stack starts, so no two instances share them, whatever their seeds; only a test or a
 * lab that must repeat a run exactly asks for keys derived from its seed ({@link #repeatable}), and such a stack
 * does not belong on a network. Read RFC 6528 §3 and RFC 6056 §3.3 first. Used at start and once per connection,
 * never per packet. Owned by the stack thread.
 */
public final class Secrets
{
    private final SecureRandom secure;
    private final RandomSource seeded;

    private Secrets(final SecureRandom secure, final RandomSource seeded)
    {
        this.secure = secure;
        this.seeded = seeded;
    }

    /** Secrets from the platform's {@link SecureRandom}: the default. */
    public static Secrets unpredictable()
    {
        return new Secrets(new SecureRandom(), null);
    }

    /** Secrets derived from {@code seed}: the same for every run with that seed. For tests and labs only. */
    public static Secrets repeatable(final long seed)
    {
        return new Secrets(null, new RandomSource(seed));
    }

    public boolean isRepeatable()
    {
        return seeded != null;
    }

    /** {@code length} bytes of fresh key material. */
    public byte[] key(final int length)
    {
        final byte[] key = new byte[length];
        if (secure != null)
        {
            secure.nextBytes(key);
        }
        else
        {
            for (int i = 0; i < length; i++)
            {
                key[i] = (byte)seeded.nextInt();
            }
        }
        return key;
    }

    /** A random stream whose seed is drawn from these secrets (unpredictable unless they are repeatable). */
    public RandomSource randomSource()
    {
        return new RandomSource(secure != null ? secure.nextLong() : seeded.nextLong());
    }
}
