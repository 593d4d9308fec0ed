package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 4987 §3.6: the cookie's layout, its MSS table and its two-slot lifetime; the options a cookie carries in its
 * SYN-ACK's TSval when the SYN had timestamps (RFC 7323 §3.2 echoes them in TSecr), bound to it by a tag in its hash.
 */
class SynCookiesTest
{
    private static final long T0 = 1_000 * SynCookies.SLOT_NS + 5_000_000_000L;
    private final SynCookies cookies =
        new SynCookies(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});

    private int make(final int mss, final long nowNs)
    {
        return cookies.encode(0x0A000002, 80, 0x0A000001, 40000, 0x1000_0000, mss, nowNs);
    }

    private int check(final int cookie, final long nowNs)
    {
        return cookies.validate(0x0A000002, 80, 0x0A000001, 40000, 0x1000_0000, cookie, nowNs);
    }

    private int makeWith(final int tsOptions, final long nowNs)
    {
        return cookies.encode(0x0A000002, 80, 0x0A000001, 40000, 0x1000_0000, 1460, tsOptions, nowNs);
    }

    private int checkWith(final int cookie, final int tsOptions, final long nowNs)
    {
        return cookies.validate(0x0A000002, 80, 0x0A000001, 40000, 0x1000_0000, cookie, tsOptions, nowNs);
    }

    @Test
    void theOptionsRoundTripThroughTheirFiveBits()
    {
        for (int shift = -1; shift <= 14; shift++)
        {
            for (final boolean sack : new boolean[] {false, true})
            {
                final int bits = SynCookies.tsOptions(shift, sack);
                assertTrue(bits >= 0 && bits < 32, "five bits: " + bits);
                assertEquals(shift, SynCookies.windowScaleOf(bits));
                assertEquals(sack, SynCookies.sackPermittedOf(bits));
            }
        }
        assertEquals(14, SynCookies.windowScaleOf(SynCookies.tsOptions(15, false)), "RFC 7323 §2.3: at most 14");
    }

    @Test
    void theSynAcksTsValCarriesTheOptionsInItsLowBitsAndIsNeverAheadOfTheClock()
    {
        for (final int clock : new int[] {0, 31, 32, 1_000_007, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 5})
        {
            for (int bits = 0; bits < 32; bits++)
            {
                final int tsVal = SynCookies.synAckTsVal(clock, bits);
                assertEquals(bits, SynCookies.tsOptionsOf(tsVal), "TSecr brings them back");
                final int behind = clock - tsVal;
                assertTrue(behind >= 0 && behind < 32, "clock " + clock + " bits " + bits + ": behind by " + behind);
            }
        }
    }

    @Test
    void aCookieWithOptionsValidatesOnlyWithTheOptionsItWasMadeWith()
    {
        final int options = SynCookies.tsOptions(7, true);
        final int cookie = makeWith(options, T0);
        assertEquals(1460, checkWith(cookie, options, T0));
        for (int other = 0; other < 32; other++)
        {
            if (other != options)
            {
                assertEquals(-1, checkWith(cookie, other, T0), "forged options " + other);
            }
        }
        assertEquals(-1, checkWith(cookie, SynCookies.NO_TIMESTAMPS, T0), "the ACK must bring timestamps back");
        assertEquals(-1, checkWith(make(1460, T0), options, T0), "a cookie made without timestamps takes none");
    }

    @Test
    void anAckWithoutTimestampsValidatesACookieMadeWithAnyOptionsOrNoneAndTellsWhich()
    {
        for (int options = SynCookies.NO_TIMESTAMPS; options < 32; options++)
        {
            final int cookie = makeWith(options, T0);
            assertEquals(1460, checkWith(cookie, SynCookies.ANY_OPTIONS, T0), "made with options " + options);
            assertEquals(options, cookies.lastTsOptions);
            assertEquals(-1, checkWith(cookie, SynCookies.ANY_OPTIONS, T0 + 3 * SynCookies.SLOT_NS), "expired");
        }
    }

    @Test
    void withAnyOptionsTheHashBelowTheTagMustStillMatchAndOnly33TagsOf64Pass()
    {
        final int cookie = makeWith(SynCookies.tsOptions(7, true), T0);
        for (int bit = 0; bit < 18; bit++)
        {
            assertEquals(-1, checkWith(cookie ^ (1 << bit), SynCookies.ANY_OPTIONS, T0), "hash bit " + bit);
        }
        assertEquals(-1, cookies.validate(0x0A000002, 80, 0x0A000001, 40001, 0x1000_0000, cookie,
            SynCookies.ANY_OPTIONS, T0), "port");
        int passing = 0;
        for (int tagBits = 0; tagBits < 64; tagBits++)
        {
            if (checkWith(cookie ^ (tagBits << 18), SynCookies.ANY_OPTIONS, T0) > 0)
            {
                passing++;
            }
        }
        assertEquals(33, passing, "no timestamps or one of the 32 option sets: 33 cookies in 2^24 pass, not more");
    }

    @Test
    void aCookieWithOptionsExpiresLikeAnyOther()
    {
        final int options = SynCookies.tsOptions(-1, true);
        final int cookie = makeWith(options, T0);
        assertEquals(1460, checkWith(cookie, options, T0 + 2 * SynCookies.SLOT_NS));
        assertEquals(-1, checkWith(cookie, options, T0 + 3 * SynCookies.SLOT_NS));
    }

    @Test
    void theTimestampOffsetIsTheSameWhenTheCookieIsMadeAndWhenItComesBackAcrossAKeyRotation()
    {
        final int[] drawn = {0};
        final SynCookies rotating = new SynCookies(length ->
        {
            drawn[0]++;
            final byte[] key = new byte[length];
            key[0] = (byte)drawn[0];
            return key;
        });
        final long lastSlotOfAPeriod = (64L * SynCookies.SLOTS_PER_KEY - 1) * SynCookies.SLOT_NS;
        final int cookie = rotating.encode(1, 80, 2, 40000, 7, 1460, 3, lastSlotOfAPeriod);
        final int atSyn = rotating.tsOffset(1, 80, 2, 40000, cookie, lastSlotOfAPeriod);
        final long later = lastSlotOfAPeriod + 2 * SynCookies.SLOT_NS;
        rotating.encode(1, 80, 2, 40000, 7, 1460, 3, later); // a new period's key is in use by now
        assertEquals(1460, rotating.validate(1, 80, 2, 40000, 7, cookie, 3, later));
        assertEquals(atSyn, rotating.tsOffset(1, 80, 2, 40000, cookie, later));
        assertTrue(atSyn != rotating.tsOffset(1, 80, 2, 40001, cookie, later), "another 4-tuple, another clock");
    }

    @Test
    void aCookieIsValidInItsSlotAndTheTwoAfterItThenNoMore()
    {
        final int cookie = make(1460, T0);
        assertEquals(1460, check(cookie, T0));
        assertEquals(1460, check(cookie, T0 + SynCookies.SLOT_NS));
        assertEquals(1460, check(cookie, T0 + 2 * SynCookies.SLOT_NS));
        assertEquals(-1, check(cookie, T0 + 3 * SynCookies.SLOT_NS));
        assertEquals(-1, check(cookie, T0 - SynCookies.SLOT_NS), "not before it was made");
    }

    @Test
    void theSlotSitsInTheTopFiveBitsAndTheMssIndexInTheNextThree()
    {
        final int cookie = make(1460, T0);
        assertEquals((int)(T0 / SynCookies.SLOT_NS) & 31, cookie >>> 27);
        assertEquals(7, (cookie >>> 24) & 7);
        assertEquals(0, (make(100, T0) >>> 24) & 7, "below the table: its smallest entry");
        assertEquals(216, check(make(100, T0), T0));
    }

    @Test
    void anyChangedBitOrFieldMakesItInvalid()
    {
        final int cookie = make(1460, T0);
        for (int bit = 0; bit < 24; bit++)
        {
            assertEquals(-1, check(cookie ^ (1 << bit), T0), "hash bit " + bit);
        }
        assertEquals(-1, cookies.validate(0x0A000002, 80, 0x0A000001, 40001, 0x1000_0000, cookie, T0), "port");
        assertEquals(-1, cookies.validate(0x0A000002, 80, 0x0A000001, 40000, 0x1000_0001, cookie, T0), "ISN");
    }

    @Test
    void theKeyRotatesEveryThirtyTwoSlotsWithoutBreakingACookieMadeJustBefore()
    {
        final int[] drawn = {0};
        final SynCookies rotating = new SynCookies(length ->
        {
            drawn[0]++;
            final byte[] key = new byte[length];
            key[0] = (byte)drawn[0]; // a different key each time
            return key;
        });
        final long lastSlotOfAPeriod = (64L * SynCookies.SLOTS_PER_KEY - 1) * SynCookies.SLOT_NS;
        final int cookie = rotating.encode(1, 80, 2, 40000, 7, 1460, lastSlotOfAPeriod);
        final int drawnBefore = drawn[0];
        // the next slot starts a new period, with a new key; the cookie of the old one still validates
        assertEquals(-1, rotating.validate(1, 80, 2, 40000, 7, cookie ^ 1, lastSlotOfAPeriod + SynCookies.SLOT_NS));
        assertEquals(1460, rotating.validate(1, 80, 2, 40000, 7, cookie, lastSlotOfAPeriod + SynCookies.SLOT_NS));
        rotating.encode(1, 80, 2, 40000, 7, 1460, lastSlotOfAPeriod + SynCookies.SLOT_NS);
        assertTrue(drawn[0] > drawnBefore, "a new key for the new period");
        // the same inputs 32 slots later give another cookie: the key is not the same
        final long samePositionNextPeriod = lastSlotOfAPeriod + SynCookies.SLOTS_PER_KEY * SynCookies.SLOT_NS;
        assertTrue(cookie != rotating.encode(1, 80, 2, 40000, 7, 1460, samePositionNextPeriod));
    }
}
