package io.tapstack.link;

import org.agrona.MutableDirectBuffer;

/**
 * A protocol above Ethernet (ARP, IPv4), registered in {@link EthernetLayer} by its EtherType so that the link
 * layer dispatches up without knowing the classes above it. Called on the stack thread.
 */
@FunctionalInterface
public interface EtherTypeHandler
{
    /**
     * One received Ethernet payload (possibly with link padding after it). The bytes are valid only during the
     * call.
     *
     * @param linkBroadcast the frame was sent to the Ethernet broadcast address
     */
    void onPacket(MutableDirectBuffer buffer, int offset, int length, boolean linkBroadcast, long nowNs);
}
