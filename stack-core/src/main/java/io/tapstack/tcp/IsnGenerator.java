package io.tapstack.tcp;

/**
 * Initial sequence numbers per RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
 * where M is a timer ticking every 4 µs and F a keyed hash ({@link KeyedHash}: SHA-256 of the 4-tuple and a
 * 128-bit secret key). The key comes from {@link io.tapstack.time.Secrets}: unpredictable unless a test asks
 * otherwise, so one instance's ISNs say nothing about another's. Runs once per connection. Owned by the stack
 * thread.
 */
final class IsnGenerator
{
    private final KeyedHash f;

    IsnGenerator(final byte[] secretKey)
    {
        this.f = new KeyedHash(secretKey);
    }

    int isn(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final long nowNs)
    {
        final int hash = f.begin().putInt(localAddress).putShort(localPort).putInt(remoteAddress)
            .putShort(remotePort).hash();
        return (int)(nowNs / 4_000L) + hash;
    }
}
