package io.tapstack.link;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * What IPv4 needs from the link below it: how big a packet may be, the link address of a next hop, and device
 * slots to write packets into. Two links exist: {@link EthernetArpLink} (Ethernet frames, ARP resolves next hops)
 * and {@link RawIpLink} (bare IPv4 packets on a point-to-point TUN: no header, nothing to resolve). Called on the
 * stack thread.
 */
public interface Ipv4Link
{
    /** What {@link #resolve} returns while a next hop's link address is unknown. */
    long UNRESOLVED = ArpCache.NONE;

    /** Largest IPv4 packet one device frame carries. */
    int maxPacketLength();

    /**
     * The link address to send to {@code nextHop} now, or {@link #UNRESOLVED} (then {@link #enqueue} the packet).
     *
     * @param broadcast {@code nextHop} is a broadcast address
     */
    long resolve(int nextHop, boolean broadcast, long nowNs);

    /** Claims a frame for an IPv4 packet of {@code packetLength} bytes; where it goes, or -1 when full (counted). */
    int claim(long linkAddress, int packetLength);

    /** The buffer offsets from {@link #claim} refer to. */
    MutableDirectBuffer transmitBuffer();

    /** Sends the packet claimed at {@code packetOffset}. */
    void commit(int packetOffset);

    /** Releases the packet claimed at {@code packetOffset} unsent. */
    void abort(int packetOffset);

    /** Sends a copy of one packet; false when the device is full (counted). */
    boolean transmit(long linkAddress, DirectBuffer packet, int offset, int length);

    /** Holds a packet for {@code nextHop} until {@link #resolve} knows it (bounded, counted). */
    void enqueue(int nextHop, DirectBuffer packet, int offset, int length, long nowNs);

    /** An upper layer's advice that {@code nextHop} is reachable (RFC 1122 §2.3.2.1). */
    void confirmReachable(int nextHop, long nowNs);
}
