package io.tapstack;

/**
 * Per-layer counters: frames received, sent, and dropped by reason. Written only by the stack thread (a
 * plain read and a release store, no CAS), readable from any thread.
 */
public final class StackCounters extends EnumCounters<StackCounters.Counter>
{
    /** Every counter the stack keeps; the name prefix is the layer. */
    public enum Counter
    {
        ETH_RX_FRAMES, ETH_TX_FRAMES, ETH_DROP_TOO_SHORT, ETH_DROP_NOT_FOR_US, ETH_DROP_UNKNOWN_ETHERTYPE,
        ETH_DROP_OWN_SOURCE, ETH_TX_DEVICE_FULL,
        RAW_RX_PACKETS, RAW_TX_PACKETS, RAW_DROP_NOT_IPV4, RAW_TX_DEVICE_FULL,

        ARP_RX, ARP_TX_REQUESTS, ARP_TX_REPLIES, ARP_TX_GRATUITOUS, ARP_DROP_TOO_SHORT, ARP_DROP_UNSUPPORTED,
        ARP_DROP_BAD_OPERATION, ARP_IGNORED_NOT_FOR_US, ARP_RESOLVED, ARP_RESOLUTION_FAILED, ARP_CACHE_EVICTIONS,
        ARP_QUEUED, ARP_QUEUE_FULL_DROPS, ARP_UNRESOLVED_DROPS, ARP_ADDRESS_CONFLICTS,
        /**
         * Entries used past their lifetime that began a re-validation (kept in use meanwhile, RFC 1122 §2.3.2.1);
         * re-validations ended by a reply or an upper layer's confirmation; those nobody answered (entry dropped);
         * ARP requests sent unicast to the known MAC (also in ARP_TX_REQUESTS).
         */
        ARP_REVALIDATIONS, ARP_REVALIDATED, ARP_REVALIDATION_FAILED, ARP_TX_UNICAST_POLLS,

        IP_RX, IP_TX, IP_DROP_TOO_SHORT, IP_DROP_BAD_VERSION, IP_DROP_BAD_HEADER_LENGTH, IP_DROP_BAD_TOTAL_LENGTH,
        IP_DROP_TRUNCATED, IP_DROP_BAD_CHECKSUM, IP_DROP_NOT_FOR_US, IP_DROP_BAD_SOURCE, IP_DROP_UNKNOWN_PROTOCOL,
        IP_TX_NO_ROUTE, IP_TX_TOO_BIG, IP_TX_NO_BUFFER, IP_FRAGMENTS_RX, IP_FRAGMENTS_TX, IP_REASSEMBLED,
        IP_REASM_DROP_INVALID, IP_REASM_DROP_OVERSIZE, IP_REASM_DROP_OVERLAP_MISMATCH, IP_REASM_TIMEOUTS,
        IP_REASM_EVICTIONS,
        /** Gateway mode: TCP and UDP datagrams for another destination taken in (the stack as the guest's router). */
        IP_RX_GATEWAY,

        ICMP_RX, ICMP_TX, ICMP_DROP_TOO_SHORT, ICMP_DROP_BAD_CHECKSUM, ICMP_DROP_BROADCAST_ECHO,
        ICMP_DROP_UNKNOWN_TYPE, ICMP_ECHO_REQUESTS_RX, ICMP_ECHO_REPLIES_TX, ICMP_ECHO_REQUESTS_TX,
        ICMP_ECHO_REPLIES_RX, ICMP_ERRORS_RX, ICMP_ERRORS_TX, ICMP_ERRORS_RATE_LIMITED,

        UDP_RX, UDP_TX, UDP_DROP_TOO_SHORT, UDP_DROP_BAD_LENGTH, UDP_DROP_BAD_CHECKSUM, UDP_RX_NO_CHECKSUM,
        UDP_RX_QUEUED, UDP_TO_CLOSED_PORT, UDP_RX_QUEUE_FULL_DROPS, UDP_TX_TOO_BIG, UDP_TX_INVALID, UDP_TX_FAILED,
        UDP_ENDPOINT_LIMIT, UDP_BIND_CONFLICTS, UDP_ICMP_ERRORS_RX, UDP_ICMP_ERRORS_UNMATCHED,
        /** Gateway mode: datagrams handed to the interceptor; those for another destination nobody took (dropped). */
        UDP_RX_INTERCEPTED, UDP_GATEWAY_UNCLAIMED,

        TCP_RX, TCP_TX, TCP_DROP_TOO_SHORT, TCP_DROP_BAD_DATA_OFFSET, TCP_DROP_BAD_CHECKSUM, TCP_DROP_BAD_OPTIONS,
        TCP_DROP_BROADCAST, TCP_TO_CLOSED_PORT, TCP_RST_TX, TCP_RST_RX, TCP_TX_NO_BUFFER, TCP_ACTIVE_OPENS,
        TCP_PASSIVE_OPENS, TCP_ESTABLISHED, TCP_LISTEN_OVERFLOWS, TCP_CONNECTION_LIMIT, TCP_DROP_OUT_OF_WINDOW,
        TCP_DROP_ACK_UNSENT, TCP_CHALLENGE_ACKS, TCP_CHALLENGE_ACKS_RATE_LIMITED, TCP_OOW_ACKS_RATE_LIMITED,
        TCP_DUP_ACKS_RX, TCP_FAST_RETRANSMITS, TCP_RTO_EXPIRIES,
        TCP_RETRANSMITTED_SEGMENTS, TCP_OUT_OF_ORDER_SEGMENTS, TCP_ZERO_WINDOW_PROBES, TCP_USER_TIMEOUTS,
        TCP_KEEPALIVE_PROBES, TCP_KEEPALIVE_TIMEOUTS, TCP_SYN_COOKIES_SENT, TCP_SYN_COOKIES_VALID,
        TCP_SYN_COOKIES_INVALID, TCP_HALF_OPEN_RECYCLED,
        TCP_TIME_WAIT_OVERFLOWS, TCP_WINDOW_SCALE_NEGOTIATED, TCP_TIMESTAMPS_NEGOTIATED, TCP_PAWS_DROPS,
        TCP_DROP_NO_TIMESTAMPS, TCP_SACK_PERMITTED_NEGOTIATED, TCP_SACK_BLOCKS_TX, TCP_SACK_BLOCKS_RX, TCP_DSACKS_TX,
        TCP_DSACKS_RX, TCP_SACK_SCOREBOARD_OVERFLOWS, TCP_SACK_RECOVERIES, TCP_SACK_RESCUE_RETRANSMITS,
        /** Receive-buffer autotuning steps and send-buffer growth steps (each a doubling at most). */
        TCP_RCVBUF_GROWTHS, TCP_SNDBUF_GROWTHS,
        /**
         * Entries into memory pressure; new connections refused at the hard limit; bytes of buffer arrays in use (a
         * gauge); bytes of buffer arrays ever allocated (each growth allocates its new array whole).
         */
        TCP_MEMORY_PRESSURE, TCP_MEMORY_HARD_LIMIT, TCP_MEMORY_BYTES, TCP_MEMORY_ALLOCATED_BYTES,
        /** Buffer arrays given back because they stayed empty for {@code TcpConfig.idleBuffers}' delay. */
        TCP_IDLE_BUFFER_RELEASES,
        /** SYN cookies whose SYN-ACK carried the SYN's options in its TSval (RFC 4987 §3.6, as Linux does). */
        TCP_SYN_COOKIES_WITH_OPTIONS,
        /**
         * Valid SYN cookies whose ACK came back without the timestamps (and so the options) their SYN-ACK carried: the
         * connection has the MSS alone (RFC 7323 §3.2, as Linux).
         */
        TCP_SYN_COOKIES_OPTIONS_LOST,
        /** Connections that entered TIME-WAIT as a light record; records a new SYN ended (RFC 6191). */
        TCP_TIME_WAIT_ENTERED, TCP_TIME_WAIT_REOPENS,
        /** RFC 8985: segments RACK deemed lost, those of them that were retransmissions, reordering-timer expiries. */
        TCP_RACK_LOSSES_DETECTED, TCP_RACK_LOST_RETRANSMISSIONS, TCP_RACK_REORDER_TIMEOUTS,
        /** RFC 8985 §6.2 step 4: D-SACK rounds that widened the reordering window; records merged at the bound. */
        TCP_RACK_REO_WND_INCREASES, TCP_RACK_RECORDS_MERGED,
        /** RFC 8985 §7: loss probes sent, and probes that repaired a single loss (§7.4.2's congestion response). */
        TCP_TLP_PROBES, TCP_TLP_RECOVERIES,
        /** RFC 6937: ACKs during fast recovery whose window PRR set; of them, those under the conservative bound. */
        TCP_PRR_ACKS, TCP_PRR_CONSERVATIVE_ACKS,
        /** RFC 3042: segments of new data sent for the first duplicate ACKs, before a loss is declared. */
        TCP_LIMITED_TRANSMITS,
        /**
         * Receiver SACK compression: out-of-order segments whose ACK was held (not sent at once, RFC 5681 §4.2), and
         * the ACKs that acknowledged them together; the difference is ACKs saved.
         */
        TCP_SACK_COMPRESSED_SEGMENTS, TCP_SACK_COMPRESSED_ACKS,
        /**
         * {@link io.tapstack.tcp.BurstAckConfig}: segments whose due ACK was allowed to wait for the end of the
         * received burst, and ACKs that covered more than two full-sized segments.
         */
        TCP_BURST_DEFERRED_SEGMENTS, TCP_STRETCH_ACKS,
        /**
         * Gateway mode: SYNs held for an interceptor; retransmitted SYNs of a held one (dropped); SYNs refused at the
         * bound; held SYNs accepted (handshake goes on), refused (reset) and dropped (the engine reports it by ICMP);
         * connections of a foreign local address that closed without a TIME-WAIT record.
         */
        TCP_SYNS_HELD, TCP_HELD_SYN_RETRANSMITS, TCP_HELD_SYN_LIMIT, TCP_HELD_SYNS_ACCEPTED, TCP_HELD_SYNS_REFUSED,
        TCP_HELD_SYNS_DROPPED, TCP_GATEWAY_NO_TIME_WAIT,
        /** RFC 3708 / 3522: loss episodes found spurious and undone (RFC 4015); ACKs Eifel found for an original. */
        TCP_SPURIOUS_RECOVERIES_UNDONE, TCP_EIFEL_DETECTIONS,
        /** RFC 7661: times a sender entered the non-validated phase (pipeACK below half of cwnd). */
        TCP_CWND_NON_VALIDATED,
        /**
         * Segments whose checksum a device that offloads checksums verified (virtio-net DATA_VALID) or left partial
         * (NEEDS_CSUM: the peer's bytes never crossed a wire): not verified again. Datagrams of UDP the same.
         */
        TCP_RX_CHECKSUM_VALID_BY_DEVICE, TCP_RX_CHECKSUM_PARTIAL, UDP_RX_CHECKSUM_VALID_BY_DEVICE,
        UDP_RX_CHECKSUM_PARTIAL,
        /**
         * In-order segments whose bytes the application's handler took straight from the frame
         * ({@link io.tapstack.tcp.TcpHandler#onInOrderData}: TCP's receive buffer skipped, one copy fewer), and their
         * bytes.
         */
        TCP_SEGMENTS_DELIVERED_DIRECT, TCP_BYTES_DELIVERED_DIRECT,
        /**
         * Segments sent with only the pseudo-header sum in their checksum, for the device to complete (it offloads
         * checksums on send: FrameDevice.offloadTcpChecksums, virtio-net NEEDS_CSUM).
         */
        TCP_TX_CHECKSUM_PARTIAL,

        /** Exceptions caught at the top of a frame's handling: each one is a bug to report. */
        STACK_INTERNAL_ERRORS;

        /** The layer this counter belongs to: the name's prefix in lower case ("eth", "arp", "ip", "icmp"). */
        public String layer()
        {
            return name().substring(0, name().indexOf('_')).toLowerCase();
        }
    }

    public StackCounters()
    {
        super(Counter.class, "", 32);
    }
}
