package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;

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
 * drawn once per period).
 *
 * <p>The options a SYN asked for do not fit in the sequence number. When the SYN carried timestamps, our SYN-ACK's
 * TSval carries them in its low {@value #TS_OPTION_BITS} bits, as Linux does (RFC 4987 §3.6 names the lost options as
 * the cookies' cost; RFC 7323 §3.2 has the client echo TSval in TSecr): the window scale the client offered (4 bits,
 * 15 for none) and SACK-permitted (1 bit). Those bits are bound to the cookie: a tag naming them (0 for a cookie
 * without timestamps, 1 to 32 for the options) is XORed into the top {@value #TAG_BITS} bits of its hash, so an ACK
 * whose TSecr brings back other options than the SYN-ACK sent fails like a forged cookie. An ACK that brings back no
 * timestamps at all cannot say which options its SYN-ACK carried: it is checked against the hash's other bits and
 * any valid tag ({@link #ANY_OPTIONS}), as Linux accepts such an ACK (the connection then has the MSS alone), at the
 * price of 33 cookies in 2^24 being valid for it instead of one. Without timestamps in the SYN the cookie carries the
 * MSS alone. Owned by the stack thread.
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
    /** The SYN carried no timestamps: the cookie keeps no options but the MSS. */
    static final int NO_TIMESTAMPS = -1;
    /** For {@link #validate}: the ACK brought back no timestamps, so the cookie may have been made with any options. */
    static final int ANY_OPTIONS = -2;
    /** Top bits of the cookie's hash that carry the options' tag. */
    private static final int TAG_BITS = 6;
    private static final int TAG_SHIFT = 24 - TAG_BITS;
    /** Low bits of the SYN-ACK's TSval that carry the options (Linux uses 6, with ECN, which we do not offer). */
    static final int TS_OPTION_BITS = 5;
    private static final int TS_OPTION_MASK = (1 << TS_OPTION_BITS) - 1;
    /** The window-scale field's value when the client offered no window scale option. */
    private static final int NO_WINDOW_SCALE = 15;
    private static final int SACK_PERMITTED_BIT = 1 << 4;
    /** Tags the input of the timestamp-offset hash, so that it never equals a cookie's hash. */
    private static final int TS_OFFSET_TAG = 0x5453_4F46;

    /** Slots per key: a key is used for one period of 32 slots, then replaced. */
    static final int SLOTS_PER_KEY = 32;

    /**
     * The options the last cookie {@link #validate validated} was made with, read from its tag ({@link #NO_TIMESTAMPS}
     * or {@link #tsOptions}): with {@link #ANY_OPTIONS}, what the ACK's missing timestamps would have brought back.
     */
    int lastTsOptions = NO_TIMESTAMPS;
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

    /**
     * The options a cookie carries in its SYN-ACK's TSval: the window scale the client's SYN offered ({@code -1} for
     * none; at most 14, RFC 7323 §2.3) and its SACK-permitted option, as far as our configuration uses them.
     */
    static int tsOptions(final int windowScale, final boolean sackPermitted)
    {
        return (windowScale < 0 ? NO_WINDOW_SCALE : Math.min(windowScale, 14)) | (sackPermitted ? SACK_PERMITTED_BIT
            : 0);
    }

    /** The client's window scale shift that {@code tsOptions} carries, or -1 when it offered none. */
    static int windowScaleOf(final int tsOptions)
    {
        final int shift = tsOptions & 0xF;
        return shift == NO_WINDOW_SCALE ? -1 : shift;
    }

    static boolean sackPermittedOf(final int tsOptions)
    {
        return (tsOptions & SACK_PERMITTED_BIT) != 0;
    }

    /** The options an ACK brings back in its TSecr (the echo of our SYN-ACK's TSval, RFC 7323 §3.2). */
    static int tsOptionsOf(final int tsEcr)
    {
        return tsEcr & TS_OPTION_MASK;
    }

    /**
     * The TSval of a cookie's SYN-ACK: our timestamp clock ({@code clock}) with its low bits replaced by the options,
     * never ahead of the clock (Linux's cookie_init_timestamp), so no RTT measured from it is ever negative.
     */
    static int synAckTsVal(final int clock, final int tsOptions)
    {
        final int tsVal = (clock & ~TS_OPTION_MASK) | tsOptions;
        return SeqNum.gt(tsVal, clock) ? tsVal - (1 << TS_OPTION_BITS) : tsVal;
    }

    /** The sequence number of our SYN-ACK to a SYN without timestamps (the cookie carries the MSS alone). */
    int encode(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final int clientIsn, final int mss, final long nowNs)
    {
        return encode(localAddress, localPort, remoteAddress, remotePort, clientIsn, mss, NO_TIMESTAMPS, nowNs);
    }

    /**
     * The sequence number of our SYN-ACK to a SYN with sequence number {@code clientIsn} and MSS {@code mss};
     * {@code tsOptions} ({@link #tsOptions}, or {@link #NO_TIMESTAMPS}) is bound to it by its {@link #tag}.
     */
    int encode(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final int clientIsn, final int mss, final int tsOptions, final long nowNs)
    {
        final int slot = (int)Math.floorDiv(nowNs, SLOT_NS);
        int mssIndex = 0;
        while (mssIndex + 1 < MSS_TABLE.length && MSS_TABLE[mssIndex + 1] <= mss)
        {
            mssIndex++;
        }
        return ((slot & 31) << 27) | (mssIndex << 24)
            | ((hash(localAddress, localPort, remoteAddress, remotePort, clientIsn, slot) ^ tag(tsOptions)) & HASH_MASK);
    }

    /** The options' tag XORed into a cookie's hash: 0 without timestamps, else 1 to 32 in the top bits. */
    private static int tag(final int tsOptions)
    {
        return tsOptions == NO_TIMESTAMPS ? 0 : (tsOptions + 1) << TAG_SHIFT;
    }

    /** Checks a cookie made without timestamps ({@link #NO_TIMESTAMPS}); see the method below. */
    int validate(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final int clientIsn, final int cookie, final long nowNs)
    {
        return validate(localAddress, localPort, remoteAddress, remotePort, clientIsn, cookie, NO_TIMESTAMPS, nowNs);
    }

    /**
     * Checks the cookie an ACK brings back ({@code SEG.ACK - 1}) for the client ISN ({@code SEG.SEQ - 1}) and the
     * options its TSecr brings back ({@link #tsOptionsOf}; {@link #NO_TIMESTAMPS} when timestamps are off, so no
     * SYN-ACK carried options; {@link #ANY_OPTIONS} for an ACK without timestamps when a SYN-ACK may have).
     *
     * @return the MSS the cookie carries, or -1 when it is not one of ours (or the options are not those it was made
     *     with), or too old
     */
    int validate(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final int clientIsn, final int cookie, final int tsOptions, final long nowNs)
    {
        final int slot = slotOf(cookie, nowNs);
        if (slot == Integer.MIN_VALUE)
        {
            return -1;
        }
        final int tagged = (cookie ^ hash(localAddress, localPort, remoteAddress, remotePort, clientIsn, slot))
            & HASH_MASK;
        final boolean valid = tsOptions == ANY_OPTIONS
            ? (tagged & ((1 << TAG_SHIFT) - 1)) == 0 && (tagged >>> TAG_SHIFT) <= TS_OPTION_MASK + 1
            : tagged == tag(tsOptions);
        if (!valid)
        {
            return -1;
        }
        lastTsOptions = (tagged >>> TAG_SHIFT) - 1;
        return MSS_TABLE[(cookie >>> 24) & 7];
    }

    /**
     * The offset of the timestamp clock (RFC 7323 §5.4) of the connection a cookie makes: its SYN-ACK's TSval and the
     * connection's later segments must come from one clock, and nothing is kept in between, so the offset is a keyed
     * hash of the 4-tuple under the key of the cookie's period (unpredictable from outside, RFC 7323 §7.1).
     *
     * @param cookie a cookie made at, or validated at, {@code nowNs}
     */
    int tsOffset(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final int cookie, final long nowNs)
    {
        final int slot = slotOf(cookie, nowNs);
        final KeyedHash hash = keyOf(slot == Integer.MIN_VALUE ? Math.floorDiv(nowNs, SLOT_NS) : slot);
        return hash.begin().putInt(TS_OFFSET_TAG).putInt(localAddress).putShort(localPort).putInt(remoteAddress)
            .putShort(remotePort).hash();
    }

    /** The slot a cookie was made in, if within its lifetime at {@code nowNs}; else {@link Integer#MIN_VALUE}. */
    private static int slotOf(final int cookie, final long nowNs)
    {
        final int now = (int)Math.floorDiv(nowNs, SLOT_NS);
        final int slotBits = cookie >>> 27;
        for (int age = 0; age <= MAX_AGE_SLOTS; age++)
        {
            final int slot = now - age;
            if ((slot & 31) == slotBits)
            {
                return slot;
            }
        }
        return Integer.MIN_VALUE;
    }

    private int hash(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final int clientIsn, final int slot)
    {
        return keyOf(slot).begin().putInt(localAddress).putShort(localPort).putInt(remoteAddress)
            .putShort(remotePort).putInt(clientIsn).putInt(slot).hash();
    }

    /** The key of the period {@code slot} belongs to. */
    private KeyedHash keyOf(final long slot)
    {
        final long period = Math.floorDiv(slot, SLOTS_PER_KEY);
        final KeyedHash hash = keys[(int)(period & 1)];
        if (hash.epoch != period)
        {
            // the first use in a new period: this parity's key is two periods old, no cookie needs it any more
            hash.rekey(freshKeys.apply(16), period);
        }
        return hash;
    }
}
