package io.tapstack.forward;

import io.tapstack.forward.ForwardCounters.Counter;
import io.tapstack.forward.control.PortForward;
import io.tapstack.forward.control.PortForwardStatus;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.udp.UdpHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * Inbound port forwards ({@code -p HOST_ADDR:HOST_PORT:GUEST_PORT[/udp]}): host sockets in the engine's selector
 * whose connections and datagrams go to a port of the guest, from the gateway's address.
 *
 * <p>TCP: each connection the host socket accepts becomes an active open (RFC 9293 §3.10.1) from the gateway to the
 * guest's port, relayed by a {@link TcpFlow} once the guest's handshake completes (the host socket is not read
 * before); a guest that refuses (a reset: RFC 9293 §3.10.7.3 in SYN-SENT) or never answers has the host connection
 * reset. UDP: a flow per host peer (address and port), each a stack endpoint on an ephemeral port of the gateway,
 * so that the guest's replies find their peer; closed after {@code udpIdleTimeoutNs} without a datagram.
 *
 * <p>Bounded: {@code maxPortForwards} forwards; TCP flows count against {@code maxTcpFlows}, UDP peers against
 * {@code maxUdpFlows}. Owned by the engine's thread; the control API reaches it through {@link ForwardLoop#execute}.
 */
final class InboundForwards
{
    private static final Logger LOG = LoggerFactory.getLogger(InboundForwards.class);
    private static final long SWEEP_INTERVAL_NS = 1_000_000_000L;
    /** Host connections accepted per ready key, so that one busy forward cannot hold the duty cycle. */
    private static final int ACCEPTS_PER_WAKE = 64;

    /** What both kinds of forward count, as {@link PortForwardStatus} lists it. */
    abstract static class Forward
    {
        final PortForward forward;
        long accepted;
        long active;
        long refused;
        long bytesToGuest;
        long bytesFromGuest;

        Forward(final PortForward forward)
        {
            this.forward = forward;
        }

        PortForwardStatus status()
        {
            return new PortForwardStatus(forward, accepted, active, refused, bytesToGuest, bytesFromGuest);
        }

        abstract void close();
    }

    /** A TCP forward: its listening host socket and the flows it accepted. */
    final class TcpForward extends Forward
    {
        final ServerSocketChannel server;
        final LinkedHashSet<TcpFlow> flows = new LinkedHashSet<>();
        long connected;

        TcpForward(final PortForward forward, final ServerSocketChannel server)
        {
            super(forward);
            this.server = server;
        }

        void flowEnded(final TcpFlow flow)
        {
            if (flows.remove(flow))
            {
                active--;
            }
        }

        @Override
        void close()
        {
            closeQuietly(server);
            for (final TcpFlow flow : new ArrayList<>(flows))
            {
                flow.resetBothSides();
            }
        }
    }

    /** A UDP forward: its host socket and a flow per host peer. */
    final class UdpForward extends Forward
    {
        final DatagramChannel channel;
        final Map<SocketAddress, UdpPeer> peers = new HashMap<>();

        UdpForward(final PortForward forward, final DatagramChannel channel)
        {
            super(forward);
            this.channel = channel;
        }

        @Override
        void close()
        {
            closeQuietly(channel);
            for (final UdpPeer peer : new ArrayList<>(peers.values()))
            {
                closePeer(peer);
            }
        }
    }

    /** One host peer of a UDP forward: the stack endpoint whose port the guest answers to. */
    final class UdpPeer implements UdpHandler
    {
        final UdpForward owner;
        final SocketAddress peer;
        final int guest;
        UdpEndpoint endpoint;
        long lastActiveNs;

        UdpPeer(final UdpForward owner, final SocketAddress peer, final int guest, final long nowNs)
        {
            this.owner = owner;
            this.peer = peer;
            this.guest = guest;
            this.lastActiveNs = nowNs;
        }

        /** The guest answered: to the host peer, from the forward's host socket. */
        @Override
        public void onReadable(final UdpEndpoint endpoint)
        {
            int length;
            while ((length = endpoint.receive(scratchView, 0, scratch.capacity())) >= 0)
            {
                if (endpoint.lastRemoteAddress() != guest || endpoint.lastRemotePort() != owner.forward.guestPort())
                {
                    engine.counters.increment(Counter.PF_UDP_DROPS); // not the guest's port: not a reply
                    continue;
                }
                lastActiveNs = engine.nowNs();
                scratch.clear().limit(Math.min(length, scratch.capacity()));
                try
                {
                    if (owner.channel.send(scratch, peer) == 0)
                    {
                        engine.counters.increment(Counter.PF_UDP_DROPS);
                        continue;
                    }
                }
                catch (final IOException ex)
                {
                    engine.counters.increment(Counter.PF_UDP_DROPS);
                    LOG.debug("UDP to {}: {}", peer, ex.toString());
                    continue;
                }
                owner.bytesFromGuest += length;
                engine.counters.increment(Counter.PF_UDP_DATAGRAMS_TO_HOST);
            }
        }
    }

    private final ForwardEngine engine;
    private final List<Forward> forwards = new ArrayList<>();
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(65536);
    private final UnsafeBuffer scratchView = new UnsafeBuffer(scratch);
    private IntSupplier guestAddress = () -> 0;
    private int udpPeers;
    private long nextSweepNs = Long.MAX_VALUE;

    InboundForwards(final ForwardEngine engine)
    {
        this.engine = engine;
    }

    void guestAddress(final IntSupplier address)
    {
        this.guestAddress = address;
    }

    /** The guest's address now (configured, else the DHCP server's latest lease), or 0 when none is known. */
    int guest()
    {
        final int configured = engine.config.guestAddress();
        return configured != 0 ? configured : guestAddress.getAsInt();
    }

    // ------------------------------------------------------------------------------------------------ the table

    PortForwardStatus add(final PortForward forward) throws IOException
    {
        for (final Forward f : forwards)
        {
            if (f.forward.sameHostSocket(forward))
            {
                throw new IllegalStateException("a forward already holds " + forward.spec());
            }
        }
        if (forwards.size() >= engine.config.maxPortForwards())
        {
            throw new IllegalStateException("at the limit of " + engine.config.maxPortForwards() + " port forwards");
        }
        final InetSocketAddress local = new InetSocketAddress(forward.hostAddress(), forward.hostPort());
        final Forward added;
        if (forward.protocol() == PortForward.Protocol.TCP)
        {
            final ServerSocketChannel server = ServerSocketChannel.open();
            try
            {
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                server.bind(local, 128);
                server.configureBlocking(false);
                final TcpForward tcp = new TcpForward(forward, server);
                server.register(engine.selector, SelectionKey.OP_ACCEPT, tcp);
                added = tcp;
            }
            catch (final IOException | RuntimeException ex)
            {
                closeQuietly(server);
                throw ex;
            }
        }
        else
        {
            // an IPv4 socket for an IPv4 address: a sender decodes from a sockaddr_in, not an IPv4-mapped IPv6 one
            // (fewer bytes allocated by DatagramChannel.receive whenever the sender changes)
            final DatagramChannel channel = forward.hostAddress() instanceof java.net.Inet4Address
                ? DatagramChannel.open(java.net.StandardProtocolFamily.INET) : DatagramChannel.open();
            try
            {
                channel.bind(local);
                channel.configureBlocking(false);
                final UdpForward udp = new UdpForward(forward, channel);
                channel.register(engine.selector, SelectionKey.OP_READ, udp);
                added = udp;
            }
            catch (final IOException | RuntimeException ex)
            {
                closeQuietly(channel);
                throw ex;
            }
        }
        forwards.add(added);
        engine.counters.increment(Counter.PF_FORWARDS);
        LOG.info("port forward {} to the guest's port {}", forward.spec(), forward.guestPort());
        return added.status();
    }

    boolean remove(final PortForward.Protocol protocol, final java.net.InetAddress hostAddress, final int hostPort)
    {
        for (int i = 0; i < forwards.size(); i++)
        {
            final PortForward f = forwards.get(i).forward;
            if (f.protocol() == protocol && f.hostPort() == hostPort && f.hostAddress().equals(hostAddress))
            {
                forwards.remove(i).close();
                engine.counters.add(Counter.PF_FORWARDS, -1);
                LOG.info("port forward {} removed", f.spec());
                return true;
            }
        }
        return false;
    }

    List<PortForwardStatus> list()
    {
        final List<PortForwardStatus> out = new ArrayList<>(forwards.size());
        for (final Forward f : forwards)
        {
            out.add(f.status());
        }
        return out;
    }

    void closeAll()
    {
        for (final Forward f : forwards)
        {
            f.close();
        }
        forwards.clear();
    }

    // ------------------------------------------------------------------------------------------------ events

    void onReady(final Forward forward, final long nowNs)
    {
        if (forward instanceof TcpForward)
        {
            accept((TcpForward)forward, nowNs);
        }
        else
        {
            receive((UdpForward)forward, nowNs);
        }
    }

    /** Accepts what the host socket has (at most a burst), each an active open to the guest. */
    private void accept(final TcpForward forward, final long nowNs)
    {
        for (int i = 0; i < ACCEPTS_PER_WAKE; i++)
        {
            final SocketChannel accepted;
            try
            {
                accepted = forward.server.accept();
            }
            catch (final IOException ex)
            {
                LOG.debug("accept on {}: {}", forward.forward, ex.toString()); // out of file descriptors, say
                engine.counters.increment(Counter.PF_TCP_REFUSED);
                return;
            }
            if (accepted == null)
            {
                return;
            }
            forward.accepted++;
            engine.counters.increment(Counter.PF_TCP_ACCEPTED);
            final int guest = guest();
            if (guest == 0 || engine.tcpFlows >= engine.config.maxTcpFlows())
            {
                refuse(forward, accepted, guest == 0 ? "no guest address known" : "maxTcpFlows");
                continue;
            }
            final TcpFlow flow = new TcpFlow(engine, forward, accepted);
            try
            {
                if (!flow.startInbound(guest, nowNs))
                {
                    refuse(forward, accepted, "the stack's connection limit");
                    continue;
                }
            }
            catch (final IOException ex)
            {
                refuse(forward, accepted, ex.toString());
                continue;
            }
            engine.tcpFlows++;
            engine.counters.increment(Counter.TCP_FLOWS);
            forward.flows.add(flow);
            forward.active++;
        }
    }

    private void refuse(final TcpForward forward, final SocketChannel accepted, final String why)
    {
        LOG.debug("{}: connection refused: {}", forward.forward, why);
        forward.refused++;
        engine.counters.increment(Counter.PF_TCP_REFUSED);
        try
        {
            accepted.setOption(StandardSocketOptions.SO_LINGER, 0); // a reset, as a refused port
        }
        catch (final IOException ex)
        {
            LOG.debug("SO_LINGER", ex);
        }
        closeQuietly(accepted);
    }

    /** Host peers' datagrams (at most a burst), each to the guest's port from the peer's flow. */
    private void receive(final UdpForward forward, final long nowNs)
    {
        for (int i = 0; i < engine.config.udpDatagramsPerWake(); i++)
        {
            scratch.clear();
            final SocketAddress from;
            try
            {
                from = forward.channel.receive(scratch);
            }
            catch (final IOException ex)
            {
                LOG.debug("UDP on {}: {}", forward.forward, ex.toString());
                return;
            }
            if (from == null)
            {
                return;
            }
            final int length = scratch.position();
            UdpPeer peer = forward.peers.get(from);
            if (peer == null)
            {
                final int guest = guest();
                if (guest == 0 || udpPeers >= engine.config.maxUdpFlows())
                {
                    forward.refused++;
                    engine.counters.increment(Counter.PF_UDP_DROPS);
                    continue;
                }
                peer = new UdpPeer(forward, from, guest, nowNs);
                peer.endpoint = engine.udp.bind(0, peer);
                if (peer.endpoint == null)
                {
                    forward.refused++;
                    engine.counters.increment(Counter.PF_UDP_DROPS);
                    continue;
                }
                forward.peers.put(from, peer);
                forward.accepted++;
                forward.active++;
                udpPeers++;
                engine.counters.increment(Counter.PF_UDP_FLOWS_OPENED);
                engine.counters.increment(Counter.PF_UDP_FLOWS);
                if (nextSweepNs == Long.MAX_VALUE)
                {
                    nextSweepNs = nowNs + Math.min(SWEEP_INTERVAL_NS, engine.config.udpIdleTimeoutNs());
                }
            }
            peer.lastActiveNs = nowNs;
            if (peer.endpoint.send(peer.guest, forward.forward.guestPort(), scratchView, 0, length, nowNs))
            {
                forward.bytesToGuest += length;
                engine.counters.increment(Counter.PF_UDP_DATAGRAMS_TO_GUEST);
            }
            else
            {
                engine.counters.increment(Counter.PF_UDP_DROPS);
            }
        }
    }

    private void closePeer(final UdpPeer peer)
    {
        if (peer.owner.peers.remove(peer.peer) == peer)
        {
            peer.endpoint.close();
            peer.owner.active--;
            udpPeers--;
            engine.counters.add(Counter.PF_UDP_FLOWS, -1);
        }
    }

    /** Closes UDP peers idle for udpIdleTimeoutNs; at most once a second. */
    int expire(final long nowNs)
    {
        if (nowNs < nextSweepNs)
        {
            return 0;
        }
        final long idleBefore = nowNs - engine.config.udpIdleTimeoutNs();
        final List<UdpPeer> idle = new ArrayList<>();
        for (final Forward f : forwards)
        {
            if (f instanceof UdpForward)
            {
                for (final UdpPeer p : ((UdpForward)f).peers.values())
                {
                    if (p.lastActiveNs <= idleBefore)
                    {
                        idle.add(p);
                    }
                }
            }
        }
        for (final UdpPeer p : idle)
        {
            closePeer(p);
        }
        nextSweepNs = udpPeers == 0 ? Long.MAX_VALUE
            : nowNs + Math.min(SWEEP_INTERVAL_NS, engine.config.udpIdleTimeoutNs());
        return idle.size();
    }

    long nextDeadlineNs()
    {
        return nextSweepNs;
    }

    private static void closeQuietly(final java.nio.channels.Channel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            LOG.debug("closing a host socket", ex);
        }
    }
}
