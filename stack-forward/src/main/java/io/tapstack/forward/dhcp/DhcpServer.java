package io.tapstack.forward.dhcp;

import io.tapstack.NetStack;
import io.tapstack.forward.dhcp.DhcpCounters.Counter;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * A DHCP server on the stack's UDP port 67: hands the guest on the other end of the link its address, prefix,
 * router, DNS servers, MTU and lease. Read RFC 2131 §3.1 (the exchange), §4.1 (where replies go), §4.3 (what a
 * server does with each message) and RFC 2132 §3, §5.1 and §9 (the options) first.
 *
 * <p>Serves one subnet, the stack's own, without relays (a message with giaddr set is counted and dropped). A
 * lease is keyed by the client's hardware address (chaddr; the client identifier option is not used). Leases
 * live in a {@link LeaseTable} that expires them lazily against the time each call is given; nothing is kept
 * across restarts, so a client that renews an address nobody else holds simply gets it again.
 *
 * <p>Runs on the stack thread: whoever drives the stack calls {@link #doWork} with the duty cycle's time after
 * {@link NetStack#doWork}. It reads what the UDP endpoint queued (a bounded queue: a flood is dropped there and
 * counted in the stack's UDP counters), and every reply goes out in the same call. Bad input is counted in
 * {@link DhcpCounters} and dropped.
 */
public final class DhcpServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(DhcpServer.class);
    public static final int SERVER_PORT = 67;
    public static final int CLIENT_PORT = 68;
    /** Most messages handled per duty cycle: the rest wait in the endpoint's queue. */
    private static final int BURST = 32;
    /** Larger than any DHCP message a client sends over Ethernet without fragments. */
    private static final int RECEIVE_BUFFER_LENGTH = 1500;
    /** Our replies carry a handful of options: well under the 576-octet datagram every client accepts. */
    private static final int REPLY_BUFFER_LENGTH = DhcpMessage.MIN_MAX_MESSAGE_LENGTH;

    private final NetStack stack;
    private final UdpEndpoint endpoint;
    private final DhcpConfig config;
    private final LeaseTable leases;
    private final DhcpCounters counters = new DhcpCounters();
    private final int serverAddress;
    private final int subnetMask;
    private final int prefixLength;
    private final int[] dnsServers;
    /** Option 3's one address, in the form the writer takes. */
    private final int[] router;
    private final UnsafeBuffer receiveBuffer = new UnsafeBuffer(new byte[RECEIVE_BUFFER_LENGTH]);
    private final UnsafeBuffer replyBuffer = new UnsafeBuffer(new byte[REPLY_BUFFER_LENGTH]);
    private final DhcpMessage request = new DhcpMessage();
    private final DhcpMessage reply = new DhcpMessage();
    /** The address of the latest DHCPACK with a lease (0 before any): where inbound port forwards go by default. */
    private volatile int lastLeasedAddress;

    private DhcpServer(final NetStack stack, final UdpEndpoint endpoint, final DhcpConfig config)
    {
        this.stack = stack;
        this.endpoint = endpoint;
        this.config = config;
        this.serverAddress = stack.ipAddress();
        this.prefixLength = stack.config().prefixLength();
        this.subnetMask = Ipv4Address.mask(prefixLength);
        this.dnsServers = config.dnsServers();
        this.router = new int[] {config.router()};
        this.leases = new LeaseTable(config.poolFirst(), config.poolSize());
    }

    /**
     * Binds UDP port 67 on {@code stack} and serves {@code config}'s pool from the stack's address. Call on the
     * stack thread (or before it runs); then call {@link #doWork} every duty cycle.
     *
     * @throws IllegalArgumentException if the configuration does not fit the stack's address and prefix
     * @throws IllegalStateException if port 67 cannot be bound (taken, or the endpoint limit reached)
     */
    public static DhcpServer install(final NetStack stack, final DhcpConfig config)
    {
        config.validate(stack.ipAddress(), stack.config().prefixLength());
        final UdpEndpoint endpoint = stack.udp().bind(SERVER_PORT, null);
        if (endpoint == null)
        {
            throw new IllegalStateException("cannot bind UDP port " + SERVER_PORT + " for the DHCP server");
        }
        LOG.info("DHCP server on {}: {}", Ipv4Address.toString(stack.ipAddress()), config);
        return new DhcpServer(stack, endpoint, config);
    }

    /** Answers what arrived, at the duty cycle's time {@code nowNs}; returns the messages handled. */
    public int doWork(final long nowNs)
    {
        int work = 0;
        while (work < BURST)
        {
            final int length = endpoint.receive(receiveBuffer, 0, RECEIVE_BUFFER_LENGTH);
            if (length < 0)
            {
                break;
            }
            work++;
            counters.increment(Counter.DHCP_RX);
            if (length > RECEIVE_BUFFER_LENGTH)
            {
                drop(Counter.DHCP_DROP_TRUNCATED, "longer than the receive buffer");
                continue;
            }
            onMessage(length, nowNs);
        }
        return work;
    }

    public DhcpCounters counters()
    {
        return counters;
    }

    public DhcpConfig config()
    {
        return config;
    }

    /** Addresses offered or leased at {@code nowNs}. */
    public int leasesInUse(final long nowNs)
    {
        return leases.inUse(nowNs);
    }

    /** The address leased (or offered) to {@code mac} at {@code nowNs}, or 0. */
    public int addressOf(final long mac, final long nowNs)
    {
        final int slot = leases.slotOfClient(mac);
        return slot != LeaseTable.NONE && leases.isHeldBy(slot, mac, nowNs) ? leases.address(slot) : 0;
    }

    /** The address the latest DHCPACK leased (0 before any); any thread. */
    public int lastLeasedAddress()
    {
        return lastLeasedAddress;
    }

    /** Unbinds port 67. */
    @Override
    public void close()
    {
        endpoint.close();
    }

    private void onMessage(final int length, final long nowNs)
    {
        request.wrap(receiveBuffer, 0, length);
        switch (request.validate())
        {
            case OK:
                break;
            case TOO_SHORT:
                drop(Counter.DHCP_DROP_TOO_SHORT, "shorter than the fixed fields");
                return;
            case BAD_COOKIE:
                drop(Counter.DHCP_DROP_BAD_COOKIE, "no DHCP magic cookie");
                return;
            case BAD_OP:
                drop(Counter.DHCP_DROP_BAD_OP, "op is not 1 or 2");
                return;
            case BAD_HARDWARE:
                drop(Counter.DHCP_DROP_BAD_HARDWARE, "not Ethernet");
                return;
            case BAD_OPTIONS:
                drop(Counter.DHCP_DROP_BAD_OPTIONS, "an option runs past the end or has a wrong length");
                return;
            default:
                drop(Counter.DHCP_DROP_NO_MESSAGE_TYPE, "no message type: BOOTP, not served");
                return;
        }
        if (request.op() != DhcpMessage.OP_BOOTREQUEST)
        {
            drop(Counter.DHCP_DROP_NOT_A_REQUEST, "a BOOTREPLY sent to the server");
            return;
        }
        if (request.giaddr() != 0)
        {
            drop(Counter.DHCP_DROP_RELAYED, "relayed (giaddr set): relays are not served");
            return;
        }
        switch (request.messageType())
        {
            case DhcpMessage.DHCPDISCOVER:
                counters.increment(Counter.DHCP_DISCOVER_RX);
                onDiscover(nowNs);
                return;
            case DhcpMessage.DHCPREQUEST:
                counters.increment(Counter.DHCP_REQUEST_RX);
                onRequest(nowNs);
                return;
            case DhcpMessage.DHCPDECLINE:
                counters.increment(Counter.DHCP_DECLINE_RX);
                onDecline(nowNs);
                return;
            case DhcpMessage.DHCPRELEASE:
                counters.increment(Counter.DHCP_RELEASE_RX);
                onRelease(nowNs);
                return;
            case DhcpMessage.DHCPINFORM:
                counters.increment(Counter.DHCP_INFORM_RX);
                onInform(nowNs);
                return;
            default:
                drop(Counter.DHCP_DROP_UNEXPECTED_TYPE, "a message type a server does not receive");
        }
    }

    /** RFC 2131 §4.3.1: choose an address, hold it for the client, offer it. */
    private void onDiscover(final long nowNs)
    {
        final long mac = request.chaddr();
        final int slot = leases.choose(mac, request.requestedAddress(), nowNs);
        if (slot == LeaseTable.NONE)
        {
            counters.increment(Counter.DHCP_POOL_EXHAUSTED);
            LOG.warn("DHCP pool exhausted: no address to offer {}", MacAddress.toString(mac));
            return;
        }
        if (leases.stateAt(slot, nowNs) != LeaseTable.BOUND)
        {
            // a client that already holds a lease keeps it; otherwise the offer is held for it a while
            leases.offer(slot, mac, nowNs + config.offerHoldNs());
        }
        sendReply(DhcpMessage.DHCPOFFER, leases.address(slot), leaseSeconds(), nowNs);
    }

    /** RFC 2131 §4.3.2: the client's state is told by which of server identifier, requested address, ciaddr it set. */
    private void onRequest(final long nowNs)
    {
        final long mac = request.chaddr();
        final int serverId = request.serverIdentifier();
        final int requested = request.requestedAddress();
        final int ciaddr = request.ciaddr();
        if (serverId != DhcpMessage.NO_ADDRESS)
        {
            // SELECTING: the client answers an offer, ours or another server's
            if (serverId != serverAddress)
            {
                final int own = leases.slotOfClient(mac);
                if (own != LeaseTable.NONE && leases.stateAt(own, nowNs) == LeaseTable.OFFERED
                    && leases.holder(own) == mac)
                {
                    leases.release(own, nowNs); // §4.3.2: "the client has declined that server's offer"
                }
                counters.increment(Counter.DHCP_OFFER_DECLINED_FOR_OTHER_SERVER);
                return;
            }
            if (requested == DhcpMessage.NO_ADDRESS || ciaddr != 0)
            {
                // RFC 2131 table 5: SELECTING "MUST" send the requested address and "MUST NOT" fill in ciaddr
                drop(Counter.DHCP_DROP_MALFORMED_REQUEST, "SELECTING without requested address, or with ciaddr");
                return;
            }
            final int slot = leases.slotOf(requested);
            if (slot != LeaseTable.NONE && leases.isAvailableTo(slot, mac, nowNs))
            {
                ack(slot, mac, nowNs);
            }
            else
            {
                nak(nowNs);
            }
            return;
        }
        if (requested != DhcpMessage.NO_ADDRESS)
        {
            // INIT-REBOOT: the client checks an address it remembers
            if (ciaddr != 0)
            {
                drop(Counter.DHCP_DROP_MALFORMED_REQUEST, "INIT-REBOOT with ciaddr");
                return;
            }
            if ((requested & subnetMask) != (serverAddress & subnetMask))
            {
                nak(nowNs); // §4.3.2: "on the wrong network"
                return;
            }
            final int own = leases.slotOfClient(mac);
            if (own == LeaseTable.NONE)
            {
                // §4.3.2: "If the DHCP server has no record of this client, then it MUST remain silent"
                counters.increment(Counter.DHCP_SILENT_NO_RECORD);
                return;
            }
            if (leases.address(own) == requested && leases.isAvailableTo(own, mac, nowNs))
            {
                ack(own, mac, nowNs);
            }
            else
            {
                nak(nowNs); // §4.3.2: "the requested IP address is incorrect"
            }
            return;
        }
        // RENEWING (unicast to us) or REBINDING (broadcast): ciaddr is the client's address
        if (ciaddr == 0)
        {
            drop(Counter.DHCP_DROP_MALFORMED_REQUEST, "RENEWING/REBINDING without ciaddr");
            return;
        }
        final int slot = leases.slotOf(ciaddr);
        if (slot != LeaseTable.NONE && leases.isAvailableTo(slot, mac, nowNs))
        {
            ack(slot, mac, nowNs);
        }
        else
        {
            nak(nowNs);
        }
    }

    private void ack(final int slot, final long mac, final long nowNs)
    {
        final long seconds = leaseSeconds();
        leases.bind(slot, mac, nowNs + TimeUnit.SECONDS.toNanos(seconds));
        counters.increment(Counter.DHCP_LEASES_BOUND);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("leased {} to {} for {} s", Ipv4Address.toString(leases.address(slot)), MacAddress.toString(mac),
                seconds);
        }
        lastLeasedAddress = leases.address(slot);
        sendReply(DhcpMessage.DHCPACK, leases.address(slot), seconds, nowNs);
    }

    private void nak(final long nowNs)
    {
        if (LOG.isDebugEnabled())
        {
            LOG.debug("refused {} (DHCPNAK)", MacAddress.toString(request.chaddr()));
        }
        sendReply(DhcpMessage.DHCPNAK, 0, 0, nowNs);
    }

    /** RFC 2131 §4.3.3: the address is in use by someone else; keep it out of the pool for a while. */
    private void onDecline(final long nowNs)
    {
        final int requested = request.requestedAddress();
        if (request.serverIdentifier() != serverAddress || requested == DhcpMessage.NO_ADDRESS)
        {
            drop(Counter.DHCP_DROP_MALFORMED_REQUEST, "DECLINE not naming us and the address");
            return;
        }
        final int slot = leases.slotOf(requested);
        if (slot != LeaseTable.NONE && leases.isHeldBy(slot, request.chaddr(), nowNs))
        {
            leases.decline(slot, nowNs + config.declineHoldNs());
            counters.increment(Counter.DHCP_ADDRESSES_DECLINED);
            LOG.warn("{} declined {}: in use by another host", MacAddress.toString(request.chaddr()),
                Ipv4Address.toString(requested));
        }
    }

    /** RFC 2131 §4.3.4: the client gives its lease back; the address is remembered for it. */
    private void onRelease(final long nowNs)
    {
        final int slot = leases.slotOf(request.ciaddr());
        if (slot != LeaseTable.NONE && leases.isHeldBy(slot, request.chaddr(), nowNs))
        {
            leases.release(slot, nowNs);
            counters.increment(Counter.DHCP_LEASES_RELEASED);
        }
    }

    /** RFC 2131 §4.3.5: configuration only, to a client that has its address already. */
    private void onInform(final long nowNs)
    {
        if (request.ciaddr() == 0)
        {
            drop(Counter.DHCP_DROP_MALFORMED_REQUEST, "INFORM without ciaddr");
            return;
        }
        sendReply(DhcpMessage.DHCPACK, 0, 0, nowNs);
    }

    private long leaseSeconds()
    {
        final long asked = request.leaseTimeSeconds();
        // RFC 2131 §4.3.1: the server may honour a shorter lease the client asks for; never a longer one
        return asked >= DhcpConfig.MIN_LEASE_SECONDS && asked < config.leaseTimeSeconds() ? asked
            : config.leaseTimeSeconds();
    }

    /**
     * Writes a reply (RFC 2131 table 3) and sends it where §4.1 says: a NAK broadcast; to ciaddr when set; broadcast
     * when the client set the BROADCAST flag; else unicast to yiaddr at chaddr, which cannot answer ARP yet.
     *
     * @param yiaddr the address offered or leased (0 for a NAK and an INFORM's ACK)
     * @param leaseSeconds the lease (0: no lease options, for an INFORM's ACK and a NAK)
     */
    private void sendReply(final int type, final int yiaddr, final long leaseSeconds, final long nowNs)
    {
        final boolean nak = type == DhcpMessage.DHCPNAK;
        reply.wrap(replyBuffer, 0, REPLY_BUFFER_LENGTH)
            .clearForWriting(DhcpMessage.OP_BOOTREPLY)
            .xid(request.xid())
            .flags(request.flags())
            .ciaddr(nak || type == DhcpMessage.DHCPOFFER ? 0 : request.ciaddr())
            .yiaddr(yiaddr)
            .giaddr(request.giaddr())
            .chaddr(request.chaddr());
        reply.putByteOption(DhcpMessage.OPTION_MESSAGE_TYPE, type)
            .putIntOption(DhcpMessage.OPTION_SERVER_IDENTIFIER, serverAddress);
        if (!nak)
        {
            if (leaseSeconds > 0)
            {
                final long t1 = Math.min(config.renewalTimeSeconds(), leaseSeconds / 2);
                final long t2 = Math.min(config.rebindingTimeSeconds(), leaseSeconds * 7 / 8);
                reply.putIntOption(DhcpMessage.OPTION_LEASE_TIME, (int)leaseSeconds)
                    .putIntOption(DhcpMessage.OPTION_RENEWAL_TIME, (int)Math.max(1, t1))
                    .putIntOption(DhcpMessage.OPTION_REBINDING_TIME, (int)Math.max(2, t2));
            }
            reply.putIntOption(DhcpMessage.OPTION_SUBNET_MASK, subnetMask);
            if (config.router() != 0)
            {
                reply.putAddressesOption(DhcpMessage.OPTION_ROUTER, router, 1);
            }
            if (dnsServers.length > 0)
            {
                reply.putAddressesOption(DhcpMessage.OPTION_DNS_SERVERS, dnsServers, dnsServers.length);
            }
            if (config.mtu() != 0)
            {
                reply.putShortOption(DhcpMessage.OPTION_INTERFACE_MTU, config.mtu());
            }
        }
        final int length = reply.endOptions();

        final int destination;
        if (nak || request.ciaddr() == 0 && request.broadcastFlag())
        {
            destination = Ipv4Address.BROADCAST;
        }
        else if (request.ciaddr() != 0)
        {
            destination = request.ciaddr();
        }
        else
        {
            // §4.1: "the server unicasts DHCPOFFER and DHCPACK messages to the client's hardware address and
            // 'yiaddr' address"
            stack.arp().learn(yiaddr, request.chaddr(), nowNs);
            destination = yiaddr;
        }
        if (!endpoint.send(destination, CLIENT_PORT, replyBuffer, 0, length, nowNs))
        {
            counters.increment(Counter.DHCP_TX_FAILED);
            return;
        }
        counters.increment(type == DhcpMessage.DHCPOFFER ? Counter.DHCP_OFFER_TX
            : nak ? Counter.DHCP_NAK_TX : Counter.DHCP_ACK_TX);
    }

    private void drop(final Counter counter, final String why)
    {
        counters.increment(counter);
        LOG.debug("dropped a DHCP message: {}", why);
    }
}
