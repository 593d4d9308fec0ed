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
 * §2.3.2 (retries, flooding limits, queueing, and §2.3.2.1 on keeping entries from going stale) and RFC 5227 §3
 * (gratuitous ARP) first.
 *
 * <p>Answers requests for our address, learns senders, resolves next hops with a bounded number of retries,
 * and holds a bounded queue of IP packets waiting for a resolution. An entry older than its lifetime that is
 * still in use keeps being used while it is re-validated, as Linux's neighbour states do (STALE, DELAY, PROBE):
 * after a short delay in which an upper layer may confirm the neighbour ({@link #confirmReachable}), unicast ARP
 * requests to the known MAC (RFC 1122 §2.3.2.1's unicast poll), then broadcast ones; only when none is answered is
 * the entry dropped, and packets queue for a new resolution as for an unknown next hop. Owned by the stack thread.
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
    private final long delayFirstProbeNs;
    private final int unicastProbes;
    private final int broadcastProbes;
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
        this.delayFirstProbeNs = config.arpDelayFirstProbeNs();
        this.unicastProbes = config.arpUnicastProbes();
        this.broadcastProbes = config.arpBroadcastProbes();
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
            final byte previousState = previous >= 0 ? cache.state[previous] : ArpCache.FREE;
            final boolean wasResolving = previousState == ArpCache.INCOMPLETE;
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
            else if (previousState == ArpCache.DELAY || previousState == ArpCache.PROBE)
            {
                counters.increment(Counter.ARP_REVALIDATED);
                if (LOG.isDebugEnabled())
                {
                    LOG.debug("{} is still at {}", Ipv4Address.toString(senderIp), MacAddress.toString(senderMac));
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
     * The MAC to send to {@code nextHop} now, else {@link ArpCache#NONE}. Does not start a resolution, but using an
     * entry past its lifetime starts its re-validation (RFC 1122 §2.3.2.1; Linux's STALE to DELAY): the entry keeps
     * being used meanwhile.
     */
    public long lookup(final int nextHop, final long nowNs)
    {
        final int slot = cache.slotOf(nextHop);
        if (slot < 0)
        {
            return ArpCache.NONE;
        }
        final byte state = cache.state[slot];
        if (state == ArpCache.REACHABLE && cache.deadlineNs[slot] <= nowNs)
        {
            beginRevalidation(slot, nowNs);
        }
        return ArpCache.isUsable(state) ? cache.mac[slot] : ArpCache.NONE;
    }

    /**
     * Records that {@code ip} is at {@code mac}, as an upper layer that knows it says (Linux's SIOCSARP): a DHCP
     * server unicasts its reply to the client's hardware address and the address it offers before the client can
     * answer ARP (RFC 2131 §4.1). The entry is reachable for a lifetime, then ages and re-validates like any other;
     * packets queued for {@code ip} go out. A broadcast or multicast MAC, our own address, or 0.0.0.0 is refused.
     *
     * @return false when refused
     */
    public boolean learn(final int ip, final long mac, final long nowNs)
    {
        if (ip == 0 || ip == ourAddress || MacAddress.isMulticast(mac) || mac == MacAddress.ZERO)
        {
            return false;
        }
        cache.putResolved(ip, mac, nowNs, nowNs + cacheTtlNs, true);
        if (cache.lastAllocateEvicted)
        {
            counters.increment(Counter.ARP_CACHE_EVICTIONS);
            cache.lastAllocateEvicted = false;
        }
        if (LOG.isDebugEnabled())
        {
            LOG.debug("told by an upper layer that {} is at {}", Ipv4Address.toString(ip), MacAddress.toString(mac));
        }
        sendQueued(ip, mac);
        return true;
    }

    /**
     * Advice from a higher layer that {@code nextHop} is reachable (RFC 1122 §2.3.2.1), e.g. a TCP ACK of new data:
     * its entry, if it has a MAC, is reachable for another lifetime, and a re-validation in progress ends.
     */
    public void confirmReachable(final int nextHop, final long nowNs)
    {
        final int slot = cache.slotOf(nextHop);
        if (slot < 0)
        {
            return;
        }
        final byte state = cache.state[slot];
        if (state == ArpCache.REACHABLE)
        {
            cache.deadlineNs[slot] = nowNs + cacheTtlNs;
            cache.touchedNs[slot] = nowNs;
        }
        else if (state == ArpCache.DELAY || state == ArpCache.PROBE)
        {
            cache.markReachable(slot, nowNs, nowNs + cacheTtlNs);
            counters.increment(Counter.ARP_REVALIDATED);
            if (LOG.isDebugEnabled())
            {
                LOG.debug("{} confirmed reachable by an upper layer", Ipv4Address.toString(nextHop));
            }
        }
    }

    private void beginRevalidation(final int slot, final long nowNs)
    {
        // Linux's DELAY: an upper layer's confirmation in the next moments saves the ARP traffic
        cache.markRevalidating(slot, ArpCache.DELAY, nowNs + delayFirstProbeNs);
        counters.increment(Counter.ARP_REVALIDATIONS);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{} is stale but in use: re-validating it", Ipv4Address.toString(cache.address[slot]));
        }
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

    /**
     * Sends resolution retries and re-validation probes that are due, and gives up on next hops that did not
     * answer; returns the work done.
     */
    public int onTimer(final long nowNs)
    {
        int work = 0;
        final DeadlineQueue due = cache.timers;
        while (!due.isEmpty() && due.nextDeadlineNs() <= nowNs)
        {
            final int slot = due.peekId();
            work++;
            switch (cache.state[slot])
            {
                case ArpCache.INCOMPLETE:
                    retryResolution(slot, nowNs);
                    break;
                case ArpCache.DELAY:
                    // no confirmation came: Linux's PROBE
                    cache.retriesLeft[slot] = unicastProbes + broadcastProbes;
                    probe(slot, nowNs);
                    break;
                case ArpCache.PROBE:
                    probe(slot, nowNs);
                    break;
                default:
                    due.cancel(slot); // a timer outlived its state: nothing to do
                    break;
            }
        }
        return work;
    }

    /** The next re-validation probe of a DELAY or PROBE entry, or its removal when none is left. */
    private void probe(final int slot, final long nowNs)
    {
        final int nextHop = cache.address[slot];
        final int left = cache.retriesLeft[slot];
        if (left == 0)
        {
            // RFC 1122 §2.3.2.1: delete the entry when no poll was answered; the next packet resolves afresh
            counters.increment(Counter.ARP_REVALIDATION_FAILED);
            LOG.debug("{} did not answer re-validation: entry dropped", Ipv4Address.toString(nextHop));
            cache.remove(slot);
            return;
        }
        cache.retriesLeft[slot] = left - 1;
        cache.markRevalidating(slot, ArpCache.PROBE, nowNs + retryIntervalNs);
        if (left > broadcastProbes)
        {
            // RFC 1122 §2.3.2.1 "unicast poll": ask the MAC we have, not the whole link
            final long knownMac = cache.mac[slot];
            if (sendArp(ArpPacket.OPER_REQUEST, knownMac, MacAddress.ZERO, nextHop))
            {
                counters.increment(Counter.ARP_TX_REQUESTS);
                counters.increment(Counter.ARP_TX_UNICAST_POLLS);
                if (LOG.isDebugEnabled())
                {
                    LOG.debug("is {} still at {}? tell {}", Ipv4Address.toString(nextHop),
                        MacAddress.toString(knownMac), Ipv4Address.toString(ourAddress));
                }
            }
        }
        else
        {
            // the known MAC did not answer: perhaps the address moved to another interface
            sendRequest(nextHop);
        }
    }

    private void retryResolution(final int slot, final long nowNs)
    {
        final int nextHop = cache.address[slot];
        if (cache.retriesLeft[slot] > 0)
        {
            cache.retriesLeft[slot]--;
            cache.deadlineNs[slot] = nowNs + retryIntervalNs;
            cache.timers.schedule(slot, cache.deadlineNs[slot]);
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

    /** The earliest retry, probe or give-up time of a resolution or re-validation in progress. */
    public long nextDeadlineNs()
    {
        return cache.timers.nextDeadlineNs();
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
