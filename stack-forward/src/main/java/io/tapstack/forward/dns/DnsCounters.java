package io.tapstack.forward.dns;

import io.tapstack.EnumCounters;

/**
 * What the DNS forwarder did and dropped, by reason. Written only by the stack thread (a plain read and a release
 * store), readable from any thread, as {@code StackCounters}.
 */
public final class DnsCounters extends EnumCounters<DnsCounters.Counter>
{
    /** Every counter the forwarder keeps. */
    public enum Counter
    {
        /** Queries read from the guest over UDP, and over TCP. */
        DNS_UDP_QUERIES_RX, DNS_TCP_QUERIES_RX,
        /** Dropped: shorter than a header; a response sent to us; longer than the query buffer. */
        DNS_DROP_TOO_SHORT, DNS_DROP_NOT_A_QUERY, DNS_DROP_TOO_LONG,
        /** Answered FORMERR (not one well-formed question) or NOTIMP (an opcode other than QUERY) by us. */
        DNS_FORMERR_TX, DNS_NOTIMP_TX,
        /** A UDP query the guest sent again while the first was outstanding: the first answer serves both. */
        DNS_DUPLICATE_QUERIES,
        /** Queries refused (SERVFAIL) because the outstanding-query bound was reached. */
        DNS_OUTSTANDING_LIMIT,
        /** Guest TCP connections refused (reset) at the bound; closed after the idle timeout. */
        DNS_TCP_CONNECTION_LIMIT, DNS_TCP_IDLE_CLOSED,
        /** Queries sent to a host resolver over UDP, and over TCP. */
        DNS_UPSTREAM_UDP_TX, DNS_UPSTREAM_TCP_TX,
        /** UDP answers with TC set, asked again over TCP (RFC 1035 §4.2.1, RFC 7766 §5). */
        DNS_UPSTREAM_TRUNCATED,
        /** Datagrams from a resolver that did not match the query (ID or question): ignored (RFC 5452 §9.1). */
        DNS_ANSWER_MISMATCH,
        /** Attempts that timed out; that failed with an error (refused, unreachable, reset). */
        DNS_UPSTREAM_TIMEOUTS, DNS_UPSTREAM_ERRORS,
        /** Answers relayed to the guest; SERVFAIL sent when every attempt failed or no resolver is known. */
        DNS_ANSWERS_TX, DNS_SERVFAIL_TX,
        /** An answer too big for the guest's UDP size, sent as an empty answer with TC set instead. */
        DNS_TRUNCATED_TO_GUEST,
        /** Answers the stack could not send to the guest. */
        DNS_TX_FAILED
    }

    public DnsCounters()
    {
        super(Counter.class, "", 40);
    }
}
