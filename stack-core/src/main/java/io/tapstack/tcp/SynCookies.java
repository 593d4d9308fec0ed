package io.tapstack.tcp;

/**
 * SYN cookies (RFC 4987 §3.6): when a listener's half-open queue is full, the SYN-ACK's sequence number carries
 * what the connection needs instead of a queue entry, and the ACK that completes the handshake brings it back:
 * <pre>
 *  31      27 26  24 23                                    0
 * +----------+------+---------------------------------------+
 * | t mod 32 | MSS  |  H(key, addresses, ports, client ISN, t) |
 * +----------+------+---------------------------------------+
 * </pre>
 * t counts 64-second slots of the stack's time; a cookie is accepted for up to two slots after the one it was made
 * in (about two to three minutes, as Linux's), so a captured cookie does not stay valid. The MSS is one of eight
 * values, the largest not above the client's. The key is the stack's secret ({@link io.tapstack.time.Secrets}), so
 * an attacker cannot make a valid cookie without having received the SYN-ACK, and it rotates every 32 slots (34
 * minutes; the 5 bits of t wrap then anyway): two keys, one per parity of the period, so that a cookie made just
 * before a rotation is still checked with its own key. Runs once per SYN or ACK, allocation free (a new key is
 * drawn once per period). Owned by the stack thread.
 */
final class SynCookies
{
    /** One slot of the cookie's clock (RFC 4987 §3.6: "a slowly incrementing timestamp"). */
    static final long SLOT_NS = 64_000_000_000L;
    /** Slots after its own in which a cookie is still accepted. */
    static final int MAX_AGE_SLOTS = 2;
    /** The MSS values a cookie can carry (3 bits), ascending: common path MTUs minus 40 bytes of headers. */
    static final int[] MSS_TABLE = {216, 536, 1024, 1200, 1300, 1400, 1440, 1460};
    private static final int HASH_MASK = 0xFF_FFFF;

    /** Slots per key: a key is used for one period of 32 slots, then replaced. */
    static final int SLOTS_PER_KEY = 32;

    private final java.util.function.IntFunction<byte[]> freshKeys;
    /** The keys of even and odd periods: {@code keys[period & 1]}, tagged with the period it serves. */
    private final KeyedHash[] keys = new KeyedHash[2];

    /** @param freshKeys gives a new key of the given length (from the stack's secrets) for each period */
    SynCookies(final java.util.function.IntFunction<byte[]> freshKeys)
    {
        this.freshKeys = freshKeys;
        for (int parity = 0; parity < 2; parity++)
        {
            keys[parity] = new KeyedHash(freshKeys.apply(16));
            keys[parity].epoch = Long.MIN_VALUE;
        }
    }

    /** A fixed key that never rotates (tests). */
    SynCookies(final byte[] key)
    {
        this(length -> key.clone());
    }

    /** The sequence number of our SYN-ACK to a SYN with sequence number {@code clientIsn} and MSS {@code mss}. */
    int encode(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final int clientIsn, final int mss, final long nowNs)
    {
        final int slot = (int)Math.floorDiv(nowNs, SLOT_NS);
        int mssIndex = 0;
        while (mssIndex + 1 < MSS_TABLE.length && MSS_TABLE[mssIndex + 1] <= mss)
        {
            mssIndex++;
        }
        return ((slot & 31) << 27) | (mssIndex << 24)
            | (hash(localAddress, localPort, remoteAddress, remotePort, clientIsn, slot) & HASH_MASK);
    }

    /**
     * Checks the cookie an ACK brings back ({@code SEG.ACK - 1}) for the client ISN ({@code SEG.SEQ - 1}).
     *
     * @return the MSS the cookie carries, or -1 when it is not one of ours, or too old
     */
    int validate(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final int clientIsn, final int cookie, final long nowNs)
    {
        final int now = (int)Math.floorDiv(nowNs, SLOT_NS);
        final int slotBits = cookie >>> 27;
        for (int age = 0; age <= MAX_AGE_SLOTS; age++)
        {
            final int slot = now - age;
            if ((slot & 31) == slotBits)
            {
                final int expected = hash(localAddress, localPort, remoteAddress, remotePort, clientIsn, slot)
                    & HASH_MASK;
                return (cookie & HASH_MASK) == expected ? MSS_TABLE[(cookie >>> 24) & 7] : -1;
            }
        }
        return -1;
    }

    private int hash(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final int clientIsn, final int slot)
    {
        final long period = Math.floorDiv(slot, SLOTS_PER_KEY);
        final KeyedHash hash = keys[(int)(period & 1)];
        if (hash.epoch != period)
        {
            // the first use in a new period: this parity's key is two periods old, no cookie needs it any more
            hash.rekey(freshKeys.apply(16), period);
        }
        return hash.begin().putInt(localAddress).putShort(localPort).putInt(remoteAddress).putShort(remotePort)
            .putInt(clientIsn).putInt(slot).hash();
    }
}
