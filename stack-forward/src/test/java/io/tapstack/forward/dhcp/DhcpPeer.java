package io.tapstack.forward.dhcp;

import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import io.tapstack.wire.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DHCP server on a {@link SingleStack} (10.0.0.2/24, pool 10.0.0.100-10.0.0.109) and scripted clients in manual
 * time: build a message, send it as a client would (from 0.0.0.0 to the broadcast address, or unicast), run the
 * server, read what came back. Allocates freely; tests only.
 */
final class DhcpPeer
{
    static final long SECOND = 1_000_000_000L;
    static final int POOL_FIRST = Ipv4Address.parse("10.0.0.100");
    static final int POOL_LAST = Ipv4Address.parse("10.0.0.109");
    static final int SERVER = SingleStack.STACK_IP;
    static final long MAC_A = MacAddress.parse("02:00:00:00:0a:01");
    static final long MAC_B = MacAddress.parse("02:00:00:00:0b:02");

    final SingleStack s;
    final DhcpServer server;

    DhcpPeer()
    {
        this(c -> c);
    }

    DhcpPeer(final UnaryOperator<DhcpConfig> config)
    {
        s = new SingleStack();
        server = DhcpServer.install(s.stack, config.apply(new DhcpConfig().pool(POOL_FIRST, POOL_LAST).mtu(1400)
            .leaseTimeSeconds(600)));
        s.step();
        s.sent(); // the gratuitous ARP
    }

    long now()
    {
        return s.clock.nanoTime();
    }

    void advance(final long ns)
    {
        s.clock.advanceNs(ns);
        s.step();
        server.doWork(now());
    }

    /** A client's message builder. */
    static Msg msg(final int type, final long mac)
    {
        return new Msg(type, mac);
    }

    static final class Msg
    {
        final int type;
        final long mac;
        int xid = 0x1234_5678;
        int ciaddr;
        int flags;
        int op = DhcpMessage.OP_BOOTREQUEST;
        int giaddr;
        int requested;
        int serverId;
        long lease = -1;

        Msg(final int type, final long mac)
        {
            this.type = type;
            this.mac = mac;
        }

        Msg xid(final int v)
        {
            xid = v;
            return this;
        }

        Msg ciaddr(final int v)
        {
            ciaddr = v;
            return this;
        }

        Msg broadcastFlag()
        {
            flags = DhcpMessage.FLAG_BROADCAST;
            return this;
        }

        Msg op(final int v)
        {
            op = v;
            return this;
        }

        Msg giaddr(final int v)
        {
            giaddr = v;
            return this;
        }

        Msg requested(final int v)
        {
            requested = v;
            return this;
        }

        Msg serverId(final int v)
        {
            serverId = v;
            return this;
        }

        Msg lease(final long seconds)
        {
            lease = seconds;
            return this;
        }

        byte[] bytes()
        {
            final byte[] bytes = new byte[DhcpMessage.MIN_BOOTP_LENGTH];
            final DhcpMessage m = new DhcpMessage().wrap(new UnsafeBuffer(bytes), 0, bytes.length);
            m.clearForWriting(op).xid(xid).flags(flags).ciaddr(ciaddr).giaddr(giaddr).chaddr(mac);
            m.putByteOption(DhcpMessage.OPTION_MESSAGE_TYPE, type);
            if (requested != 0)
            {
                m.putIntOption(DhcpMessage.OPTION_REQUESTED_ADDRESS, requested);
            }
            if (serverId != 0)
            {
                m.putIntOption(DhcpMessage.OPTION_SERVER_IDENTIFIER, serverId);
            }
            if (lease >= 0)
            {
                m.putIntOption(DhcpMessage.OPTION_LEASE_TIME, (int)lease);
            }
            m.endOptions();
            return bytes;
        }
    }

    /** Sends {@code dhcp} from {@code mac} as a client that has no address yet: 0.0.0.0:68 to 255.255.255.255:67. */
    void broadcast(final long mac, final byte[] dhcp)
    {
        send(mac, MacAddress.BROADCAST, 0, Ipv4Address.BROADCAST, dhcp);
    }

    void broadcast(final Msg m)
    {
        broadcast(m.mac, m.bytes());
    }

    /** Sends {@code m} from {@code source}:68 unicast to the server (RENEWING, RELEASE, INFORM). */
    void unicast(final Msg m, final int source)
    {
        send(m.mac, SingleStack.STACK_MAC, source, SERVER, m.bytes());
    }

    void send(final long mac, final long ethDst, final int source, final int destination, final byte[] dhcp)
    {
        final byte[] udp = new byte[UdpHeader.HEADER_LENGTH + dhcp.length];
        final UnsafeBuffer b = new UnsafeBuffer(udp);
        b.putBytes(UdpHeader.HEADER_LENGTH, dhcp);
        new UdpHeader().wrap(b, 0, udp.length).sourcePort(DhcpServer.CLIENT_PORT)
            .destinationPort(DhcpServer.SERVER_PORT).length(udp.length).updateChecksum(source, destination);
        s.inject(Frames.ipv4(ethDst, mac, source, destination, IpProtocol.UDP, 1, 0, udp));
        server.doWork(now());
    }

    /** What the server sent since the last call: the DHCP replies, each with where it went. */
    List<Reply> replies()
    {
        final List<Reply> out = new ArrayList<>();
        for (final Frames f : s.sent())
        {
            if (f.etherType() != EtherType.IPV4 || f.ipProtocol() != IpProtocol.UDP)
            {
                continue;
            }
            out.add(Reply.parse(f));
        }
        return out;
    }

    /** Exactly one reply, of {@code type}. */
    Reply reply(final int type)
    {
        final List<Reply> replies = replies();
        assertEquals(1, replies.size(), () -> "replies: " + replies);
        final Reply r = replies.get(0);
        assertEquals(type, r.type(), () -> "reply: " + r);
        return r;
    }

    void expectNothing()
    {
        final List<Frames> sent = s.sent();
        assertTrue(sent.isEmpty(), () -> "expected nothing, the server sent " + sent);
    }

    /** DISCOVER, OFFER, REQUEST, ACK for {@code mac}; returns the address leased. */
    int lease(final long mac)
    {
        broadcast(msg(DhcpMessage.DHCPDISCOVER, mac));
        final Reply offer = reply(DhcpMessage.DHCPOFFER);
        broadcast(msg(DhcpMessage.DHCPREQUEST, mac).requested(offer.yiaddr()).serverId(SERVER));
        final Reply ack = reply(DhcpMessage.DHCPACK);
        assertEquals(offer.yiaddr(), ack.yiaddr());
        return ack.yiaddr();
    }

    /** One reply as sent: link and IP destination, UDP ports, the DHCP fields and options. */
    record Reply(long ethDestination, int ipSource, int ipDestination, int sourcePort, int destinationPort, int op,
        int xid, int flags, int ciaddr, int yiaddr, int giaddr, long chaddr, int length, Map<Integer, byte[]> options)
    {
        static Reply parse(final Frames f)
        {
            final UnsafeBuffer udp = new UnsafeBuffer(f.l4());
            final UdpHeader h = new UdpHeader().wrap(udp, 0, f.l4().length);
            final int dhcpLength = h.length() - UdpHeader.HEADER_LENGTH;
            final DhcpMessage m = new DhcpMessage().wrap(udp, UdpHeader.HEADER_LENGTH, dhcpLength);
            assertEquals(DhcpMessage.Verdict.OK, m.validate());
            final Map<Integer, byte[]> options = new LinkedHashMap<>();
            int p = UdpHeader.HEADER_LENGTH + DhcpMessage.OPTIONS_OFFSET;
            while (true)
            {
                final int code = udp.getByte(p) & 0xFF;
                if (code == DhcpMessage.OPTION_END)
                {
                    break;
                }
                if (code == DhcpMessage.OPTION_PAD)
                {
                    p++;
                    continue;
                }
                final int len = udp.getByte(p + 1) & 0xFF;
                final byte[] data = new byte[len];
                udp.getBytes(p + 2, data);
                options.put(code, data);
                p += 2 + len;
            }
            return new Reply(f.ethDestination(), f.ipSource(), f.ipDestination(), h.sourcePort(), h.destinationPort(),
                m.op(), m.xid(), m.flags(), m.ciaddr(), m.yiaddr(), m.giaddr(), m.chaddr(), dhcpLength, options);
        }

        int type()
        {
            return options.get(DhcpMessage.OPTION_MESSAGE_TYPE)[0];
        }

        boolean has(final int option)
        {
            return options.containsKey(option);
        }

        int intOption(final int code)
        {
            return new UnsafeBuffer(options.get(code)).getInt(0, ByteOrder.BIG_ENDIAN);
        }

        int shortOption(final int code)
        {
            return new UnsafeBuffer(options.get(code)).getShort(0, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }

        @Override
        public String toString()
        {
            return "Reply{type=" + (options.containsKey(53) ? type() : -1) + ", to " + MacAddress.toString(ethDestination)
                + " " + Ipv4Address.toString(ipDestination) + ":" + destinationPort + ", yiaddr="
                + Ipv4Address.toString(yiaddr) + ", options=" + options.keySet() + "}";
        }
    }
}
