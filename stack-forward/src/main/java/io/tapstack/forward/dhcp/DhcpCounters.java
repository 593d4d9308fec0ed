package io.tapstack.forward.dhcp;

import io.tapstack.EnumCounters;

/**
 * What the DHCP server did and dropped, by reason. Written only by the stack thread (a plain read and a release
 * store), readable from any thread, as {@code StackCounters}.
 */
public final class DhcpCounters extends EnumCounters<DhcpCounters.Counter>
{
    /** Every counter the server keeps. */
    public enum Counter
    {
        /** Datagrams read from port 67. */
        DHCP_RX,
        /** Dropped: shorter than the fixed fields; not the magic cookie; op not 1 or 2; not Ethernet. */
        DHCP_DROP_TOO_SHORT, DHCP_DROP_BAD_COOKIE, DHCP_DROP_BAD_OP, DHCP_DROP_BAD_HARDWARE,
        /** Dropped: an option runs past the end or has a wrong length; no message type (BOOTP); a type not for us. */
        DHCP_DROP_BAD_OPTIONS, DHCP_DROP_NO_MESSAGE_TYPE, DHCP_DROP_UNEXPECTED_TYPE,
        /** Dropped: a reply (op 2) sent to the server; a message through a relay (giaddr set: not served). */
        DHCP_DROP_NOT_A_REQUEST, DHCP_DROP_RELAYED,
        /** Dropped: longer than the server's receive buffer (only the head was read). */
        DHCP_DROP_TRUNCATED,
        /** Dropped: a message type's required fields are missing or contradict each other (RFC 2131 table 5). */
        DHCP_DROP_MALFORMED_REQUEST,
        DHCP_DISCOVER_RX, DHCP_REQUEST_RX, DHCP_DECLINE_RX, DHCP_RELEASE_RX, DHCP_INFORM_RX,
        DHCP_OFFER_TX, DHCP_ACK_TX, DHCP_NAK_TX,
        /** Replies the stack could not send (no buffer, no route). */
        DHCP_TX_FAILED,
        /** A DISCOVER found no free address (no OFFER sent). */
        DHCP_POOL_EXHAUSTED,
        /** A REQUEST chose another server's offer: ours was withdrawn (RFC 2131 §4.3.2). */
        DHCP_OFFER_DECLINED_FOR_OTHER_SERVER,
        /** RFC 2131 §4.3.2 INIT-REBOOT for a client we have no record of: the server stays silent. */
        DHCP_SILENT_NO_RECORD,
        /** Addresses a client declined (in use by someone else): kept out of the pool for a while. */
        DHCP_ADDRESSES_DECLINED,
        /** Leases bound (ACKs for a new or renewed lease) and released. */
        DHCP_LEASES_BOUND, DHCP_LEASES_RELEASED
    }

    public DhcpCounters()
    {
        super(Counter.class, "", 40);
    }
}
