package io.tapstack.tcp;

/**
 * One connection's retransmissions and probes, counted by the rule that sent them (the {@link TcpEventListener}
 * reasons, grouped as a student reads a trace): fast recovery (RFC 5681 §3.2 fast retransmit, RFC 6582 partial
 * ACKs, RFC 6675 holes and the rescue retransmission), RACK (RFC 8985 §6.2), tail loss probes (RFC 8985 §7.3,
 * resent or new data), the retransmission timer (RFC 6298 §5.4), the SYN's timeout (RFC 6298 §5.7) and zero-window
 * probes (RFC 9293 §3.8.6.1). The stack-wide sums are {@code StackCounters}; these are what {@link TcpInfo} shows
 * per connection, like the {@code retrans} of {@code ss -ti}.
 *
 * <p>Owned by the stack thread. Counting allocates nothing (a switch on an interned constant).
 */
final class RetransmitCounts
{
    long fastRecovery;
    long rack;
    long tailLossProbes;
    long timeouts;
    long syn;
    long zeroWindowProbes;

    /** Counts one segment sent again (or probe) for {@code reason}, a {@link TcpEventListener} constant. */
    void count(final String reason)
    {
        switch (reason)
        {
            case TcpEventListener.RETRANSMIT_FAST, TcpEventListener.RETRANSMIT_PARTIAL_ACK,
                TcpEventListener.RETRANSMIT_SACK, TcpEventListener.RETRANSMIT_RESCUE -> fastRecovery++;
            case TcpEventListener.RETRANSMIT_RACK -> rack++;
            case TcpEventListener.RETRANSMIT_TLP, TcpEventListener.PROBE_TLP_NEW_DATA -> tailLossProbes++;
            case TcpEventListener.RETRANSMIT_RTO -> timeouts++;
            case TcpEventListener.RETRANSMIT_SYN -> syn++;
            case TcpEventListener.PROBE_ZERO_WINDOW -> zeroWindowProbes++;
            default ->
            {
                // a reason added to TcpEventListener without a column here: counted nowhere rather than wrongly
            }
        }
    }
}
