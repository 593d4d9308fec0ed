package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpOptions;

/**
 * How much the sender may send per ACK around fast recovery: the inputs of Proportional Rate Reduction (RFC 6937 §3:
 * DeliveredData for every ACK, pipe without SACK, which reduction bound) handed to
 * {@link CongestionControl#onRecoveryAck}, limited transmit before it (RFC 3042 §2), and the amount in flight the
 * sender compares cwnd with. Read RFC 6937 §3 and RFC 3042 §2 first.
 *
 * <p>Limited transmit without SACK: on each of the first two duplicate ACKs one segment of new data may go beyond
 * cwnd (cwnd itself unchanged), as long as FlightSize stays within cwnd + 2 * SMSS and the peer's window allows; the
 * sender does it by comparing cwnd with FlightSize less one SMSS per such duplicate, and leaves the data so sent out of
 * the FlightSize a loss halves (RFC 5681 §3.2 step 2) and of RecoverFS. With SACK, RFC 6675 §5 step (3.3)'s own rule
 * (cwnd against pipe, FlightSize less the SACKed bytes) sends within cwnd, and step (4.2) halves FlightSize as it is.
 *
 * <p>The sender calls {@link #beforeAck} and {@link #afterAck} around its processing of each acceptable ACK, and
 * {@link #onSent} for every segment of data it sends or resends; both pass on to {@link SpuriousRecoveryUndo}.
 * Without SACK, RFC 6937 §3 counts one SMSS delivered per duplicate ACK and, on a partial ACK, the advance of SND.UNA
 * less what the duplicates already counted; the same count, subtracted from FlightSize, is the estimate of pipe. At
 * most FlightSize is counted as delivered by duplicates (a receiver splitting its ACKs cannot make the sender send
 * more than it has in flight).
 *
 * <p>Which reduction bound (RFC 6937 §3): PRR-SSRB, one segment more than delivered per ACK, "when the ACK indicates
 * the recovery is in good progress without further losses", else PRR-CRB, strict packet conservation. Without SACK a
 * partial ACK shows a further loss (RFC 6582 §3.2 step 5: the next segment is missing too). With SACK a further loss
 * is not told apart from progress: RFC 6675's IsLost() marks holes as SACKs arrive, and a bound that reacts to every
 * such ACK kept pipe below ssthresh for the rest of the recovery (measured: SACK goodput at 5% loss fell by two thirds
 * in TcpSackSimulationTest, with twice the timeouts).
 *
 * <p>An ACK that delivers nothing (a window update, a lone D-SACK, a reordered or repeated ACK) takes no PRR step once
 * the recovery is under way: cwnd stays what the last step made it, so the segments RACK deems lost on such an ACK
 * are resent in place of what left pipe, as those its reordering timer finds are (RFC 9937 §6.2, PRR's revision of
 * RFC 6937, returns early when DeliveredData is 0, as Linux does). A step with nothing delivered would hold them back
 * until the next ACK, and when nothing else is in flight none comes (one of the four RTOs of a run over a TAP at 5%
 * loss). The ACK that begins a recovery takes its step even if it delivers nothing, as PRR-SSRB (the fast retransmit
 * and one segment), so that cwnd = ssthresh against a small pipe sends no burst (RFC 8985 §9.3).
 *
 * <p>Owned by the stack thread (one per sender); allocates nothing.
 */
final class RecoveryPacing
{
    private final TcpSender snd;
    private final StackCounters counters;
    /** {@link TcpConfig#prr()}: pace fast recovery with PRR; off, RFC 5681/6675's windows as they are. */
    private final boolean prr;
    /** {@link TcpConfig#limitedTransmit()}: RFC 3042 without SACK. */
    private final boolean limitedTransmit;
    /** RFC 3708 / RFC 3522 detection of spurious loss episodes. */
    final SpuriousRecoveryUndo undo;

    // --- what the sender looked like before the ACK being processed
    private int unaBefore;
    private int sackedBefore;
    private int dupAcksBefore;
    private boolean inRecoveryBefore;

    /** Without SACK: bytes the duplicate ACKs since SND.UNA last moved are taken to have delivered (RFC 6937 §3). */
    private int dupAckDelivered;
    /** RFC 7661: the congestion control was in the non-validated phase after the last ACK. */
    private boolean nonValidated;
    /** Without SACK: new data sent after a duplicate ACK outside recovery since SND.UNA last moved (RFC 3042). */
    private int limitedTransmitBytes;

    RecoveryPacing(final TcpSender snd, final StackCounters counters, final TcpConfig config, final TcpTimestamps ts)
    {
        this.snd = snd;
        this.counters = counters;
        this.prr = config.prr();
        this.limitedTransmit = config.limitedTransmit();
        this.undo = new SpuriousRecoveryUndo(snd, counters, ts, config.undoSpuriousRecoveries());
    }

    /** An acceptable ACK is about to be processed. */
    void beforeAck()
    {
        unaBefore = snd.sndUna;
        dupAcksBefore = snd.dupAcks;
        sackedBefore = snd.sack.scoreboard.sackedBytes();
        inRecoveryBefore = snd.cc.inRecovery();
    }

    /**
     * The ACK ({@code ack}, {@code options}) was processed (the window, recovery and retransmissions it caused are
     * done); nothing sent yet.
     */
    void afterAck(final TcpOptions options, final int ack, final long nowNs)
    {
        undo.onAck(options, ack, nowNs);
        final CongestionControl cc = snd.cc;
        final boolean phase = cc.nonValidated();
        if (phase && !nonValidated)
        {
            counters.increment(Counter.TCP_CWND_NON_VALIDATED); // RFC 7661 §4.3
        }
        nonValidated = phase;
        final int smss = cc.smss();
        final int advance = SeqNum.gt(snd.sndUna, unaBefore) ? snd.sndUna - unaBefore : 0;
        final int deliveredData;
        if (snd.sack.enabled)
        {
            // RFC 6937 §3: DeliveredData = change_in(snd.una) + change_in(SACKd)
            deliveredData = advance + snd.sack.scoreboard.sackedBytes() - sackedBefore;
            dupAckDelivered = 0;
        }
        else
        {
            deliveredData = deliveredWithoutSack(advance, smss);
        }
        if (snd.dupAcks == 0 || cc.inRecovery())
        {
            limitedTransmitBytes = 0; // counted only until the loss they preceded is found (or proved absent)
        }
        if (!prr || !cc.inRecovery())
        {
            return;
        }
        final boolean began = !inRecoveryBefore;
        if (deliveredData <= 0 && !began)
        {
            return; // nothing delivered: no step; what was deemed lost is resent in its place (see above)
        }
        final int pipe = snd.sack.active ? snd.sack.pipe(smss) : pipeWithoutSack();
        // RFC 6937 §3: PRR-SSRB only when the ACK shows good progress without further losses
        final boolean conservative = !began && !snd.sack.enabled && advance > 0;
        counters.increment(Counter.TCP_PRR_ACKS);
        if (conservative && pipe <= cc.ssthresh())
        {
            counters.increment(Counter.TCP_PRR_CONSERVATIVE_ACKS);
        }
        cc.onRecoveryAck(deliveredData, pipe, conservative, nowNs);
    }

    /**
     * A recovery began without an ACK (RACK's reordering timer, RFC 8985 §6.2): RFC 6937 §3's step with DeliveredData =
     * 0 and PRR-SSRB (nothing shows a further loss), so the fast retransmit is followed by at most one segment until
     * ACKs arrive, where RFC 6675's cwnd = ssthresh against a pipe the timer just emptied would send a burst.
     */
    void onRecoveryWithoutAck(final long nowNs)
    {
        final CongestionControl cc = snd.cc;
        if (prr && cc.inRecovery())
        {
            cc.onRecoveryAck(0, snd.sack.pipe(cc.smss()), false, nowNs);
        }
    }

    /** RFC 6937 §3 without SACK: one SMSS per duplicate ACK; a cumulative ACK less what the duplicates counted. */
    private int deliveredWithoutSack(final int advance, final int smss)
    {
        if (advance > 0)
        {
            // the retransmitted segment at the old SND.UNA was not among what the duplicates reported
            final int counted = Math.min(dupAckDelivered, Math.max(advance - smss, 0));
            dupAckDelivered = Math.min(dupAckDelivered - counted, flightSize());
            return advance - counted;
        }
        if (snd.dupAcks > dupAcksBefore)
        {
            final int delivered = Math.max(Math.min(smss, flightSize() - dupAckDelivered), 0);
            dupAckDelivered += delivered;
            return delivered;
        }
        return 0;
    }

    /** Without SACK, what is in the network: FlightSize less what the duplicate ACKs say has left it. */
    private int pipeWithoutSack()
    {
        return Math.max(flightSize() - dupAckDelivered, 0);
    }

    private int flightSize()
    {
        return snd.sndMax - snd.sndUna;
    }

    /**
     * What the sender compares cwnd with, without SACK ({@code inFlight} = SND.NXT - SND.UNA): during a recovery PRR
     * paces, the estimate of pipe its window was made for; on the first two duplicate ACKs, {@code inFlight} less an
     * SMSS for each (RFC 3042 §2); otherwise {@code inFlight}.
     */
    int flightWithoutSack(final int inFlight)
    {
        final CongestionControl cc = snd.cc;
        if (snd.sndNxt != snd.sndMax)
        {
            return inFlight; // going back after a timeout: neither applies
        }
        if (cc.inRecovery())
        {
            return prr ? pipeWithoutSack() : inFlight;
        }
        if (limitedTransmit && snd.dupAcks > 0 && snd.dupAcks < SackRecovery.DUP_THRESH)
        {
            // RFC 3042 §2: previously unsent data only (SND.NXT = SND.MAX), FlightSize <= cwnd + 2 * SMSS
            return inFlight - snd.dupAcks * cc.smss();
        }
        return inFlight;
    }

    /**
     * The FlightSize a loss found now is measured by (RFC 5681 §3.2 step 2, equation 4; RFC 6937 RecoverFS): what is
     * outstanding less what limited transmit added since the first duplicate ACK; with SACK, never more than cwnd.
     * FlightSize counts what the peer SACKed, which has left the network: a recovery that follows another at once cut
     * from the data the last one sent, most of it SACKed, and ssthresh grew from one recovery to the next (from 36 to
     * 660 KB in ten, TcpSackSimulationTest at 10% loss). Linux cuts cwnd; RFC 9438 §4.6 allows cwnd where the window
     * cannot exceed what is used, which min(FlightSize, cwnd) ensures (RFC 5681 §3.1's concern). It also leaves out,
     * as RFC 5681 §3.2 step 2 does for RFC 3042's, what RFC 6675 §5 step (3.3) sent for SACKed data.
     */
    int lossFlightSize()
    {
        final int flight = Math.max(flightSize() - limitedTransmitBytes, 0);
        // RFC 9438 §4.6 (cwnd, with RFC 7661) for CUBIC; NewReno departs from RFC 6675 (4.2) only downward
        return snd.sack.enabled ? Math.min(flight, snd.cc.cwnd()) : flight;
    }

    /**
     * {@code bytes} of data (and FIN) from {@code seq} went out; {@code retransmission}: below SND.MAX; {@code probe}:
     * a tail loss probe that resent data (RFC 8985 §7.3).
     */
    void onSent(final int seq, final int bytes, final boolean retransmission, final boolean probe, final long nowNs)
    {
        final CongestionControl cc = snd.cc;
        cc.onDataSent(bytes, retransmission); // RFC 6937 §3: prr_out counts every segment, RACK's and probes too
        if (retransmission)
        {
            undo.onRetransmission(seq, bytes, probe, nowNs);
        }
        if (!retransmission && snd.dupAcks > 0 && !cc.inRecovery() && !snd.sack.enabled)
        {
            limitedTransmitBytes += bytes; // RFC 3042 §2: sent for a duplicate ACK, beyond cwnd
            counters.increment(Counter.TCP_LIMITED_TRANSMITS);
        }
    }
}
