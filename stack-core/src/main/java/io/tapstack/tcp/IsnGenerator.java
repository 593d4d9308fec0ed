package io.tapstack.tcp;

import io.tapstack.time.RandomSource;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Initial sequence numbers per RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
 * where M is a timer ticking every 4 µs and F a keyed hash (SHA-256 of the 4-tuple and a random 128-bit secret,
 * from the JDK). Off the per-packet path: it runs once per connection. Owned by the stack thread.
 */
final class IsnGenerator
{
    private final MessageDigest digest;
    private final byte[] secret = new byte[16];
    private final ByteBuffer input = ByteBuffer.allocate(12 + 16);

    IsnGenerator(final RandomSource random)
    {
        try
        {
            digest = MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("the JDK must provide SHA-256", ex);
        }
        for (int i = 0; i < secret.length; i++)
        {
            secret[i] = (byte)random.nextInt();
        }
    }

    int isn(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final long nowNs)
    {
        input.clear();
        input.putInt(localAddress).putShort((short)localPort).putInt(remoteAddress).putShort((short)remotePort)
            .put(secret);
        digest.reset();
        digest.update(input.array(), 0, input.position());
        final byte[] hash = digest.digest();
        final int f = ((hash[0] & 0xFF) << 24) | ((hash[1] & 0xFF) << 16) | ((hash[2] & 0xFF) << 8) | (hash[3] & 0xFF);
        return (int)(nowNs / 4_000L) + f;
    }
}
