package io.tapstack.link;

import io.tapstack.StackConfig;
import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.time.DeadlineQueue;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ARP for IPv4 over Ethernet. Read RFC 826 ("Packet Reception" is the merge algorithm below), RFC 1122
 * §2.3.2 (retries, flooding limits, queueing) and RFC 5227 §3 (gratuitous ARP) first.
 *
 * <p>Answers requests for our address, learns senders, resolves next hops with a bounded number of retries,
 * and holds a bounded queue of IP packets waiting for a resolution. Owned by the stack thread.
 */
public final class ArpLayer
{
    private static final Logger LOG = LoggerFactory.getLogger(ArpLayer.class);

    private final EthernetLayer ethernet;
    private final StackCounters counters;
    private final ArpCache cache;
    private final int ourAddress;
    private final long ourMac;
    private final int retries;
    private final long retryIntervalNs;
    private final long cacheTtlNs;
    private final boolean gratuitous;
    private final ArpPacket packet = new ArpPacket();
    private final ArpPacket outgoing = new ArpPacket();

    // The queue of packets awaiting resolution: fixed slots of one IP packet each, kept in arrival order.
    private final int queueCapacity;
    private final int queueSlotSize;
    private final UnsafeBuffer queueStorage;
    private final int[] queueSlot;
    private final int[] queueNextHop;
    private final int[] queueLength;
    private final boolean[] slotUsed;
    private int queued;
    private ResolutionFailureListener resolutionFailureListener = (nextHop, nowNs) -> { };

    /**
     * Told on the stack thread when a next hop did not answer ARP after every retry (RFC 1122 §2.3.2.2), after the
     * packets queued for it were dropped: the socket API fails connects through that hop as Linux does
     * (EHOSTUNREACH).
     */
    @FunctionalInterface
    public interface ResolutionFailureListener
    {
        void onResolutionFailed(int nextHop, long nowNs);
    }

    public ArpLayer(final StackConfig config, final EthernetLayer ethernet, final StackCounters counters)
    {
        this.ethernet = ethernet;
        this.counters = counters;
        this.cache = new ArpCache(config.arpCacheEntries());
        this.ourAddress = config.ipAddress();
        this.ourMac = ethernet.macAddress();
        this.retries = config.arpRetries();
        this.retryIntervalNs = config.arpRetryIntervalNs();
        this.cacheTtlNs = config.arpCacheTtlNs();
        this.gratuitous = config.gratuitousArp();
        this.queueCapacity = config.arpQueueFrames();
        this.queueSlotSize = ethernet.maxPayloadLength();
        this.queueStorage = new UnsafeBuffer(new byte[Math.max(1, queueCapacity * queueSlotSize)]);
        this.queueSlot = new int[queueCapacity];
        this.queueNextHop = new int[queueCapacity];
        this.queueLength = new int[queueCapacity];
        this.slotUsed = new boolean[queueCapacity];
    }

    /** Replaces the one {@link ResolutionFailureListener}; set before the stack runs. */
    public void resolutionFailureListener(final ResolutionFailureListener listener)
    {
        this.resolutionFailureListener = listener;
    }

    public ArpCache cache()
    {
        return cache;
    }

    /** Packets waiting for a next hop's address. */
    public int queuedPackets()
    {
        return queued;
    }

    /** RFC 5227 §3: announce our address once the interface is up. */
    public void announce(final long nowNs)
    {
        if (gratuitous && sendArp(ArpPacket.OPER_REQUEST, MacAddress.BROADCAST, MacAddress.ZERO, ourAddress))
        {
            counters.increment(Counter.ARP_TX_GRATUITOUS);
            LOG.debug("announced {} at {} (gratuitous ARP)", Ipv4Address.toString(ourAddress), MacAddress.toString(ourMac));
        }
    }

    /** One received ARP packet (the Ethernet payload). */
    public void onPacket(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        counters.increment(Counter.ARP_RX);
        packet.wrap(buffer, offset, length);
        switch (packet.validate())
        {
            case OK:
                break;
            case TOO_SHORT:
                counters.increment(Counter.ARP_DROP_TOO_SHORT);
                LOG.debug("dropped a {}-byte ARP packet: too short", length);
                return;
            case BAD_OPERATION:
                counters.increment(Counter.ARP_DROP_BAD_OPERATION);
                LOG.debug("dropped an ARP packet with operation {}", packet.oper());
                return;
            default:
                counters.increment(Counter.ARP_DROP_UNSUPPORTED);
                LOG.debug("dropped an ARP packet not for Ethernet/IPv4");
                return;
        }

        final int senderIp = packet.spa();
        final long senderMac = packet.sha();
        final int targetIp = packet.tpa();
        final int oper = packet.oper();
        if (senderIp == ourAddress)
        {
            if (senderMac != ourMac)
            {
                counters.increment(Counter.ARP_ADDRESS_CONFLICTS);
                LOG.warn("address conflict: {} also claims {}", MacAddress.toString(senderMac),
                    Ipv4Address.toString(ourAddress));
            }
            return;
        }
        if (MacAddress.isMulticast(senderMac) || senderIp == 0)
        {
            // an ARP probe (RFC 5227 §2.1.1, sender 0.0.0.0) or a bogus sender teaches us nothing
            if (targetIp != ourAddress)
            {
                counters.increment(Counter.ARP_IGNORED_NOT_FOR_US);
                return;
            }
        }
        else
        {
            // RFC 826 "Packet Reception": update an existing entry (merge), add one only if we are the target
            final boolean forUs = targetIp == ourAddress;
            final int previous = cache.slotOf(senderIp);
            final boolean wasResolving = previous >= 0 && cache.state[previous] == ArpCache.INCOMPLETE;
            final int slot = cache.putResolved(senderIp, senderMac, nowNs, nowNs + cacheTtlNs, forUs);
            if (cache.lastAllocateEvicted && forUs)
            {
                counters.increment(Counter.ARP_CACHE_EVICTIONS);
                cache.lastAllocateEvicted = false;
            }
            if (wasResolving)
            {
                counters.increment(Counter.ARP_RESOLVED);
                if (LOG.isDebugEnabled())
                {
                    LOG.debug("{} is at {}", Ipv4Address.toString(senderIp), MacAddress.toString(senderMac));
                }
            }
            if (slot >= 0)
            {
                sendQueued(senderIp, senderMac);
            }
        }
        if (targetIp != ourAddress)
        {
            counters.increment(Counter.ARP_IGNORED_NOT_FOR_US);
            return;
        }
        if (oper == ArpPacket.OPER_REQUEST)
        {
            // RFC 826: swap sender and target, fill in our address, reply to the asker directly
            if (sendArp(ArpPacket.OPER_REPLY, senderMac, senderMac, senderIp))
            {
                counters.increment(Counter.ARP_TX_REPLIES);
                if (LOG.isDebugEnabled())
                {
                    LOG.debug("told {} ({}) that {} is at {}", Ipv4Address.toString(senderIp),
                        MacAddress.toString(senderMac), Ipv4Address.toString(ourAddress), MacAddress.toString(ourMac));
                }
            }
        }
    }

    /**
     * The MAC of {@code nextHop} if known and fresh, else {@link ArpCache#NONE}. Does not start a resolution.
     */
    public long lookup(final int nextHop, final long nowNs)
    {
        return cache.lookup(nextHop, nowNs);
    }

    /**
     * Holds a copy of an IP packet until {@code nextHop} is resolved, starting the resolution if needed.
     *
     * @return false when the packet was dropped (queue full or packet too large), which is counted
     */
    public boolean enqueue(final int nextHop, final DirectBuffer packetBuffer, final int offset, final int length,
        final long nowNs)
    {
        startResolution(nextHop, nowNs);
        if (queued == queueCapacity || length > queueSlotSize)
        {
            counters.increment(Counter.ARP_QUEUE_FULL_DROPS);
            LOG.debug("dropped a packet for {}: resolution queue full", Ipv4Address.toString(nextHop));
            return false;
        }
        int slot = 0;
        while (slotUsed[slot])
        {
            slot++;
        }
        slotUsed[slot] = true;
        queueStorage.putBytes(slot * queueSlotSize, packetBuffer, offset, length);
        queueSlot[queued] = slot;
        queueNextHop[queued] = nextHop;
        queueLength[queued] = length;
        queued++;
        counters.increment(Counter.ARP_QUEUED);
        return true;
    }

    private void startResolution(final int nextHop, final long nowNs)
    {
        final int slot = cache.slotOf(nextHop);
        if (slot >= 0 && cache.state[slot] == ArpCache.INCOMPLETE)
        {
            return;
        }
        cache.putIncomplete(nextHop, nowNs, nowNs + retryIntervalNs, retries);
        if (cache.lastAllocateEvicted)
        {
            counters.increment(Counter.ARP_CACHE_EVICTIONS);
            cache.lastAllocateEvicted = false;
        }
        sendRequest(nextHop);
    }

    private void sendRequest(final int nextHop)
    {
        if (sendArp(ArpPacket.OPER_REQUEST, MacAddress.BROADCAST, MacAddress.ZERO, nextHop))
        {
            counters.increment(Counter.ARP_TX_REQUESTS);
            LOG.debug("who has {}? tell {}", Ipv4Address.toString(nextHop), Ipv4Address.toString(ourAddress));
        }
    }

    /** Sends due retries and gives up on next hops out of retries; returns the work done. */
    public int onTimer(final long nowNs)
    {
        int work = 0;
        final DeadlineQueue due = cache.resolving;
        while (!due.isEmpty() && due.nextDeadlineNs() <= nowNs)
        {
            final int slot = due.peekId();
            final int nextHop = cache.address[slot];
            work++;
            if (cache.retriesLeft[slot] > 0)
            {
                cache.retriesLeft[slot]--;
                cache.deadlineNs[slot] = nowNs + retryIntervalNs;
                due.schedule(slot, cache.deadlineNs[slot]);
                sendRequest(nextHop);
            }
            else
            {
                // RFC 1122 §2.3.2.2: give up and drop what waited; a later packet starts again
                counters.increment(Counter.ARP_RESOLUTION_FAILED);
                LOG.debug("{} did not answer ARP: dropping its queued packets", Ipv4Address.toString(nextHop));
                cache.remove(slot);
                dropQueued(nextHop);
                resolutionFailureListener.onResolutionFailed(nextHop, nowNs);
            }
        }
        return work;
    }

    /** The earliest retry or give-up time of a resolution in progress. */
    public long nextDeadlineNs()
    {
        return cache.resolving.nextDeadlineNs();
    }

    private void sendQueued(final int ip, final long mac)
    {
        if (queued == 0)
        {
            return;
        }
        int kept = 0;
        for (int i = 0; i < queued; i++)
        {
            final int slot = queueSlot[i];
            if (queueNextHop[i] == ip)
            {
                ethernet.transmit(mac, EtherType.IPV4, queueStorage, slot * queueSlotSize, queueLength[i]);
                slotUsed[slot] = false;
            }
            else
            {
                queueSlot[kept] = slot;
                queueNextHop[kept] = queueNextHop[i];
                queueLength[kept] = queueLength[i];
                kept++;
            }
        }
        queued = kept;
    }

    private void dropQueued(final int ip)
    {
        int kept = 0;
        for (int i = 0; i < queued; i++)
        {
            if (queueNextHop[i] == ip)
            {
                slotUsed[queueSlot[i]] = false;
                counters.increment(Counter.ARP_UNRESOLVED_DROPS);
            }
            else
            {
                queueSlot[kept] = queueSlot[i];
                queueNextHop[kept] = queueNextHop[i];
                queueLength[kept] = queueLength[i];
                kept++;
            }
        }
        queued = kept;
    }

    private boolean sendArp(final int oper, final long ethernetDestination, final long targetMac, final int targetIp)
    {
        final int offset = ethernet.claim(ethernetDestination, EtherType.ARP, ArpPacket.LENGTH);
        if (offset < 0)
        {
            return false;
        }
        outgoing.wrap(ethernet.transmitBuffer(), offset, ArpPacket.LENGTH)
            .writeEthernetIpv4(oper)
            .sha(ourMac)
            .spa(ourAddress)
            .tha(targetMac)
            .tpa(targetIp);
        ethernet.commit(offset);
        return true;
    }
}
