package io.tapstack.udp;

/**
 * What an application on the stack thread is told about one UDP endpoint. Every method runs on the stack thread
 * and may call the endpoint's receive, send and close; it must not block.
 */
public interface UdpHandler
{
    /** At least one datagram is queued to receive (called after each datagram is queued). */
    void onReadable(UdpEndpoint endpoint);

    /**
     * An ICMP error (e.g. port unreachable, RFC 1122 §4.1.3.3) arrived about a datagram this endpoint sent to
     * {@code remoteAddress}:{@code remotePort}.
     *
     * @param type ICMP type (3 destination unreachable, 11 time exceeded, 12 parameter problem)
     * @param code ICMP code (for type 3: 3 is port unreachable)
     */
    default void onIcmpError(final UdpEndpoint endpoint, final int type, final int code, final int remoteAddress,
        final int remotePort)
    {
    }
}
