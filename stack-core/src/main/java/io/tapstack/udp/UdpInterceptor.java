package io.tapstack.udp;

import org.agrona.DirectBuffer;

/**
 * Gateway mode: takes the UDP datagrams that no endpoint of ours takes: those to another destination (the stack is
 * the guest's router) and those to a closed port of ours. A forwarding engine relays them through host sockets and
 * answers with {@link UdpLayer#sendFrom}. Installed with {@link UdpLayer#interceptor}. Stack thread.
 */
@FunctionalInterface
public interface UdpInterceptor
{
    /**
     * One datagram; {@code data} is valid only during the call.
     *
     * @return false to leave it: to our address it is answered with ICMP port unreachable, to another dropped
     */
    boolean onDatagram(int source, int sourcePort, int destination, int destinationPort, DirectBuffer data,
        int offset, int length, long nowNs);
}
