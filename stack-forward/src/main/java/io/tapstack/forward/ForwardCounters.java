package io.tapstack.forward;

import io.tapstack.EnumCounters;

/**
 * What the forwarding engine did, for /stats and tests. Written only by the engine thread (a plain read and a
 * release store), readable from any thread.
 */
public final class ForwardCounters extends EnumCounters<ForwardCounters.Counter>
{
    /** Every counter; gauges say so. */
    public enum Counter
    {
        /** Guest SYNs taken; host connects started; connected (handshake answered); refused (reset to the guest). */
        TCP_SYNS, TCP_CONNECTS, TCP_CONNECTED, TCP_REFUSED,
        /** Host connects that had finished when connect(2) returned (a loopback one, say): the guest's SYN was
         *  answered in the same duty cycle, with no selector round. */
        TCP_CONNECTS_AT_ONCE,
        /** Host connects that failed otherwise (ICMP unreachable to the guest), or took too long (the same). */
        TCP_UNREACHABLE, TCP_CONNECT_TIMEOUTS,
        /** SYNs to a destination the policy denies (reset); SYNs beyond maxTcpFlows (reset). */
        TCP_POLICY_DENIED, TCP_FLOW_LIMIT,
        /** Flows now (gauge, connecting and open); flows ended; ended by a guest reset; by a host reset or error. */
        TCP_FLOWS, TCP_FLOWS_CLOSED, TCP_GUEST_RESETS, TCP_HOST_ERRORS,
        /** Open flows reset on both sides after tcpIdleTimeoutNs without a byte. */
        TCP_IDLE_TIMEOUTS,
        /** Half-closes carried: guest FIN to the host socket, host EOF to the guest. */
        TCP_GUEST_FINS, TCP_HOST_FINS,
        TCP_BYTES_TO_HOST, TCP_BYTES_TO_GUEST,
        /** UDP flows opened; open now (gauge); closed idle; refused at maxUdpFlows; to a denied destination. */
        UDP_FLOWS_OPENED, UDP_FLOWS, UDP_IDLE_TIMEOUTS, UDP_FLOW_LIMIT, UDP_POLICY_DENIED,
        UDP_DATAGRAMS_TO_HOST, UDP_DATAGRAMS_TO_GUEST,
        /** Host sockets that reported the port refused (ICMP port unreachable to the guest); other socket errors. */
        UDP_PORT_UNREACHABLE, UDP_HOST_ERRORS,
        /** Datagrams the host socket would not take now (its buffer full), dropped as a router drops. */
        UDP_SEND_DROPS,
        /** Inbound port forwards: open now (gauge); host connections accepted; refused (no guest address, the
         *  guest's port refused, a limit); UDP peers' flows opened; open now (gauge); datagrams each way. */
        PF_FORWARDS, PF_TCP_ACCEPTED, PF_TCP_REFUSED, PF_UDP_FLOWS_OPENED, PF_UDP_FLOWS, PF_UDP_DATAGRAMS_TO_GUEST,
        PF_UDP_DATAGRAMS_TO_HOST, PF_UDP_DROPS,
        /** The engine's thread: times it blocked (after its spins and yields); blocks a TAP frame ended (its own
         *  poll on the TAP and the selector, {@link TapAndSelectorPoll}, or a {@link TapWatcher}'s wake-up). */
        LOOP_BLOCKS, LOOP_TAP_WAKEUPS
    }

    ForwardCounters()
    {
        super(Counter.class, "fwd_", 40); // the /stats names: fwd_tcp_syns, ...
    }
}
