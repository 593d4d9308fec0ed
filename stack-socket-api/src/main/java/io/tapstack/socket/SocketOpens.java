package io.tapstack.socket;

import io.tapstack.NetStack;
import io.tapstack.ip.RouteTable;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpListener;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.wire.Ipv4Address;
import org.agrona.collections.Int2ObjectHashMap;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The socket API's opens and binds on the stack side: a connect fails at once with {@link NoRouteToHostException} when
 * no route leads to its address, and later with it when the next hop does not answer ARP (Linux's EHOSTUNREACH);
 * {@code listen(0)} takes an ephemeral port. Owned by the stack thread.
 */
final class SocketOpens
{
    /** RFC 6335 §6: the dynamic (ephemeral) ports are 49152-65535. */
    private static final int EPHEMERAL_FIRST = 49_152;
    private static final int EPHEMERAL_COUNT = 65_536 - EPHEMERAL_FIRST;

    private final NetStack stack;
    private final Int2ObjectHashMap<TcpSocketPump> connections;
    private final Int2ObjectHashMap<TcpServerSocket> listeners;

    private final Int2ObjectHashMap<UdpSocket> udpSockets;

    SocketOpens(final NetStack stack, final Int2ObjectHashMap<TcpSocketPump> connections,
        final Int2ObjectHashMap<TcpServerSocket> listeners, final Int2ObjectHashMap<UdpSocket> udpSockets)
    {
        this.stack = stack;
        this.connections = connections;
        this.listeners = listeners;
        this.udpSockets = udpSockets;
    }

    /**
     * An exception for a datagram or echo request to {@code address}, which no route reaches (off the subnet with no
     * gateway), or null when it is routable. The route table never changes once the stack is built: any thread.
     */
    NoRouteToHostException noRouteTo(final int address)
    {
        if (stack.ipv4().routes().nextHop(address) != io.tapstack.ip.RouteTable.NO_ROUTE)
        {
            return null;
        }
        return new NoRouteToHostException("no route to " + Ipv4Address.toString(address)
            + ": off the subnet and no gateway");
    }

    /** RFC 9293 §3.10.1 active open for socket {@code id}, or its failure. */
    void connect(final int id, final TcpSocket c, final int address, final int port, final long nowNs)
    {
        if (stack.ipv4().routes().nextHop(address) == RouteTable.NO_ROUTE)
        {
            // as java.net (EHOSTUNREACH at once): nothing on the subnet, and no gateway to take it further
            c.pump().failConnect(new NoRouteToHostException("no route to " + Ipv4Address.toString(address) + ":"
                + port + ": it is not on " + subnet() + " and the stack has no gateway"));
            return;
        }
        final TcpConnection tcp = stack.tcp().connect(address, port, c.pump(), nowNs);
        if (tcp == null)
        {
            c.pump().failConnect(new ConnectException("no connection can be made to " + Ipv4Address.toString(address)
                + ":" + port + " (connection limit or no free local port)"));
            return;
        }
        connections.put(id, c.pump());
        c.pump().attach(tcp);
    }

    /** Passive open for server socket {@code id} on {@code port}, or with 0 on an ephemeral port. */
    void listen(final int id, final TcpServerSocket l, final int port, final int backlog)
    {
        TcpListener tcpListener = null;
        try
        {
            if (port != 0)
            {
                tcpListener = stack.tcp().listen(port, backlog, ignored -> l.onAcceptable());
            }
            else
            {
                // as bindUdp(0) and java.net's ServerSocket(0): RFC 6335's dynamic range from a random start; a port
                // taken by another listener is skipped
                final int start = ThreadLocalRandom.current().nextInt(EPHEMERAL_COUNT);
                for (int i = 0; i < EPHEMERAL_COUNT && tcpListener == null; i++)
                {
                    final int candidate = EPHEMERAL_FIRST + (start + i) % EPHEMERAL_COUNT;
                    try
                    {
                        tcpListener = stack.tcp().listen(candidate, backlog, ignored -> l.onAcceptable());
                    }
                    catch (final IllegalStateException taken)
                    {
                        // next
                    }
                }
                if (tcpListener == null)
                {
                    l.failBind("no free ephemeral port in " + EPHEMERAL_FIRST + ".." + (EPHEMERAL_FIRST
                        + EPHEMERAL_COUNT - 1));
                    return;
                }
            }
        }
        catch (final IllegalStateException | IllegalArgumentException ex)
        {
            l.failBind(ex.getMessage());
            return;
        }
        listeners.put(id, l);
        l.attach(tcpListener);
    }

    /** Binds UDP socket {@code id} to {@code port}, or with 0 to an ephemeral port. */
    void bindUdp(final int id, final UdpSocket u, final int port)
    {
        final UdpEndpoint endpoint = stack.udp().bind(port, u.handler());
        if (endpoint == null)
        {
            u.failBind("UDP port " + port + " is already in use (or too many sockets)");
            return;
        }
        udpSockets.put(id, u);
        u.attach(endpoint);
    }

    /**
     * A next hop did not answer ARP (RFC 1122 §2.3.2.2): connects through it fail with
     * {@link NoRouteToHostException}, as Linux fails them with EHOSTUNREACH.
     */
    void onResolutionFailed(final int nextHop, final long nowNs)
    {
        final RouteTable routes = stack.ipv4().routes();
        final List<TcpSocketPump> failed = new ArrayList<>();
        for (final TcpSocketPump pump : connections.values())
        {
            if (pump.isConnecting() && routes.nextHop(pump.socket().remoteAddress()) == nextHop)
            {
                failed.add(pump);
            }
        }
        for (final TcpSocketPump pump : failed)
        {
            final TcpSocket s = pump.socket();
            final int remote = s.remoteAddress();
            pump.failConnecting(new NoRouteToHostException("no route to " + Ipv4Address.toString(remote) + ":"
                + s.remotePort() + ": " + (nextHop == remote ? "it" : "the gateway " + Ipv4Address.toString(nextHop))
                + " did not answer ARP"));
        }
    }

    private String subnet()
    {
        final int prefix = stack.config().prefixLength();
        return Ipv4Address.toString(stack.ipAddress() & Ipv4Address.mask(prefix)) + "/" + prefix;
    }
}
