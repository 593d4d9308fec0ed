package io.tapstack.tcp;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.DigestException;

/**
 * A keyed hash of a connection's addresses and ports to 32 bits: SHA-256 over the fields and a secret key, the
 * "cryptographic hash function" that RFC 6528 §3 (ISNs) and RFC 6056 §3.3.3-3.3.4 (ephemeral ports) ask for. Its
 * buffers are allocated once; it runs once per connection, not per packet. Owned by the stack thread.
 */
final class KeyedHash
{
    private static final int MAX_INPUT = 32;

    private final MessageDigest digest;
    private final byte[] key;
    /** Which rotation period the key belongs to (for a key that rotates; 0 otherwise). */
    long epoch;
    private final byte[] input = new byte[MAX_INPUT];
    private final byte[] output = new byte[32];
    private int length;

    KeyedHash(final byte[] key)
    {
        try
        {
            digest = MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("the JDK must provide SHA-256", ex);
        }
        this.key = key.clone();
    }

    /** Replaces the key (same length) for a new rotation period. */
    void rekey(final byte[] newKey, final long newEpoch)
    {
        System.arraycopy(newKey, 0, key, 0, key.length);
        epoch = newEpoch;
    }

    KeyedHash begin()
    {
        length = 0;
        return this;
    }

    KeyedHash putInt(final int value)
    {
        input[length++] = (byte)(value >>> 24);
        input[length++] = (byte)(value >>> 16);
        input[length++] = (byte)(value >>> 8);
        input[length++] = (byte)value;
        return this;
    }

    KeyedHash putShort(final int value)
    {
        input[length++] = (byte)(value >>> 8);
        input[length++] = (byte)value;
        return this;
    }

    /** The first 32 bits of SHA-256(fields || key). */
    int hash()
    {
        digest.reset();
        digest.update(input, 0, length);
        digest.update(key);
        try
        {
            digest.digest(output, 0, output.length);
        }
        catch (final DigestException ex)
        {
            throw new IllegalStateException("SHA-256 did not fit 32 bytes", ex);
        }
        return ((output[0] & 0xFF) << 24) | ((output[1] & 0xFF) << 16) | ((output[2] & 0xFF) << 8)
            | (output[3] & 0xFF);
    }
}
