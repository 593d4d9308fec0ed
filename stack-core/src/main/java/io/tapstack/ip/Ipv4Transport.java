package io.tapstack.ip;

import io.tapstack.wire.Ipv4Header;

/**
 * A protocol above IPv4 (ICMP, UDP, TCP), registered in {@link Ipv4Layer} by its protocol number so that IP
 * dispatches up without knowing the classes above it. Called on the stack thread.
 */
public interface Ipv4Transport
{
    /**
     * One received datagram for this protocol, validated and reassembled by IP. The bytes are valid only during
     * the call.
     *
     * @param broadcast sent to a broadcast address (IP or link): RFC 1122 §3.2.2 forbids ICMP errors about it
     */
    void onPacket(Ipv4Header datagram, boolean broadcast, long nowNs);

    /**
     * RFC 1122 §3.2.2: an ICMP error about a datagram this protocol sent. {@code quoted} is the quoted IP header
     * with at least 8 bytes of its payload (checked by IP). By default the error is ignored (it is already
     * counted by ICMP).
     */
    default void onIcmpError(final int type, final int code, final Ipv4Header quoted, final long nowNs)
    {
    }
}
