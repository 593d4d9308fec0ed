package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 8985 §6.2 step 4: RACK.reo_wnd_mult, grown by D-SACK rounds, reset after 16 recoveries without one. */
class RackReoWndMultiplierTest
{
    private final RackReoWndMultiplier m = new RackReoWndMultiplier();

    @Test
    void rfc8985Section6p2Step4GrowsOncePerRoundThatSeesADsack()
    {
        assertEquals(1, m.multiplier());
        assertFalse(m.onAck(100, 1000, false));
        assertTrue(m.onAck(100, 1000, true)); // RACK.dsack_round = SND.NXT = 1000
        assertFalse(m.onAck(500, 1200, true), "the same round");
        assertEquals(2, m.multiplier());
        assertTrue(m.onAck(1000, 1400, true), "SND.UNA reached the round: a new one");
        assertEquals(3, m.multiplier());
    }

    @Test
    void rfc8985Section6p2Step4ResetsAfterSixteenRecoveriesWithoutADsack()
    {
        m.onAck(100, 1000, true);
        for (int i = 0; i < RackReoWndMultiplier.PERSIST - 1; i++)
        {
            m.onRecoveryEnd();
        }
        assertEquals(2, m.multiplier(), "after 15");
        m.onRecoveryEnd();
        assertEquals(1, m.multiplier(), "after 16");
    }

    @Test
    void aDsackStartsTheSixteenAgain()
    {
        m.onAck(100, 1000, true);
        for (int i = 0; i < 10; i++)
        {
            m.onRecoveryEnd();
        }
        m.onAck(1000, 2000, true);
        for (int i = 0; i < RackReoWndMultiplier.PERSIST - 1; i++)
        {
            m.onRecoveryEnd();
        }
        assertEquals(3, m.multiplier());
    }

    @Test
    void bounded()
    {
        for (int i = 0; i < 1000; i++)
        {
            m.onAck(i * 10, i * 10 + 5, true);
        }
        assertEquals(RackReoWndMultiplier.MAX, m.multiplier());
    }
}
