package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;

/**
 * RACK's reordering-window multiplier and how D-SACKs move it (RFC 8985 §6.2 step 4, the first half of
 * RACK_update_reo_wnd()): each round trip in which the receiver reports a duplicate (RFC 2883 D-SACK: a
 * retransmission was spurious, the original was only late) widens the window by one quarter of min_RTT; after 16
 * recoveries without one it is back to a quarter. Read RFC 8985 §3.3.2 and §6.2 step 4 first. Owned by the stack
 * thread.
 */
final class RackReoWndMultiplier
{
    /** RFC 8985 §6.2 step 4: recoveries without a D-SACK after which the multiplier resets. */
    static final int PERSIST = 16;
    /** A bound on the multiplier (the window is capped by SRTT long before). */
    static final int MAX = 255;

    /** RACK.reo_wnd_mult. */
    private int multiplier = 1;
    /** RACK.reo_wnd_persist. */
    private int persist;
    /** RACK.dsack_round, valid when {@code roundOpen}: the SND.NXT of the round that saw the last D-SACK. */
    private int round;
    private boolean roundOpen;

    int multiplier()
    {
        return multiplier;
    }

    /**
     * An ACK arrived.
     *
     * @param sndUna SND.UNA after it
     * @param sndMax the highest sequence number sent (the RFC's SND.NXT)
     * @param dsack  whether it carried a D-SACK
     * @return true when it widened the window
     */
    boolean onAck(final int sndUna, final int sndMax, final boolean dsack)
    {
        if (roundOpen && SeqNum.ge(sndUna, round))
        {
            roundOpen = false;
        }
        if (roundOpen || !dsack)
        {
            return false;
        }
        // grow the reordering window once per round trip that sees a D-SACK
        round = sndMax;
        roundOpen = true;
        multiplier = Math.min(multiplier + 1, MAX);
        persist = PERSIST;
        return true;
    }

    /** Fast or RTO recovery ended: after {@link #PERSIST} of them without a D-SACK the multiplier is 1 again. */
    void onRecoveryEnd()
    {
        if (persist > 0)
        {
            persist--;
        }
        if (persist == 0)
        {
            multiplier = 1;
        }
    }
}
