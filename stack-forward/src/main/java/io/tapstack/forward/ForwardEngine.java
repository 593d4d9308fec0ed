package io.tapstack.forward;

import io.tapstack.NetStack;
import io.tapstack.forward.ForwardCounters.Counter;
import io.tapstack.ip.IcmpLayer;
import io.tapstack.tcp.HeldSyn;
import io.tapstack.tcp.TcpLayer;
import io.tapstack.udp.UdpLayer;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.IpProtocol;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;

/**
 * The forwarding engine: terminates the guest's TCP and UDP in a stack in gateway mode and relays them through
 * java.nio host sockets. Read RFC 1812 §4.3.2 and §5.2.7 (what a router reports, and how it refuses) first.
 *
 * <p>Outbound TCP: the stack holds each guest SYN ({@code TcpLayer.synInterceptor}) while a non-blocking
 * {@code SocketChannel} connects to its destination (or to the host's 127.0.0.1 for the loopback mapping); the
 * guest's handshake goes on only when that connect succeeds, a refused one is answered with a reset, an unreachable
 * or timed-out one with ICMP destination unreachable from the gateway, as a router would. Then {@link TcpFlow}
 * relays bytes both ways with back-pressure. Outbound UDP: {@link UdpFlows}, a host {@code DatagramChannel} per guest
 * 4-tuple.
 *
 * <p>Threads: the engine, the stack and the selector belong to one thread (the stack thread, {@link ForwardLoop}),
 * which reads and writes the TAP itself and blocks in {@link #select} when idle; a {@link TapWatcher} wakes it
 * through the selector when a frame arrives. One thread
 * means that bytes move between the stack's connection and the host socket in one call, with no ring and no
 * cross-thread wake-up per event, and that back-pressure is immediate both ways (a full host socket leaves bytes
 * in the guest connection's receive buffer, which closes its window; a full guest send buffer stops reads from the
 * host socket). Owned by that thread, except {@link #counters()}.
 *
 * <p>Where the other services go: a DHCP server and a DNS forwarder bind the stack's own UDP ports 67 and 53 (an
 * endpoint of ours wins over the interceptor) and run their duty cycles beside this one (see {@link ForwardLoop}).
 */
public final class ForwardEngine implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ForwardEngine.class);
    /** RFC 1812 §5.2.7.1: Communication Administratively Prohibited. */
    static final int CODE_ADMIN_PROHIBITED = 13;
    static final int CODE_NET_UNREACHABLE = 0;
    static final int CODE_HOST_UNREACHABLE = 1;

    final NetStack stack;
    final TcpLayer tcp;
    final UdpLayer udp;
    final IcmpLayer icmp;
    final ForwardConfig config;
    final ForwardCounters counters = new ForwardCounters();
    final Selector selector;
    private final UdpFlows udpFlows;
    final InboundForwards inbound;
    /** Flows whose host connect is in progress, in the order they began (their deadlines in the same order). */
    private final ArrayList<TcpFlow> connecting = new ArrayList<>();
    /** Flows whose host connect completed at once: answered in the next duty cycle, not inside the interceptor. */
    private final ArrayList<TcpFlow> connectedAtOnce = new ArrayList<>();
    int tcpFlows;
    /** Flows whose guest handshake went on (their relay runs), for the idle sweep; each knows its index. */
    private final ArrayList<TcpFlow> relaying = new ArrayList<>();
    private final ArrayList<TcpFlow> idle = new ArrayList<>();
    private long nextTcpSweepNs = Long.MAX_VALUE;
    /** Relay buffers of ended flows, reused (direct memory is freed only by the GC): at most POOLED_BUFFERS. */
    private final java.util.ArrayDeque<java.nio.ByteBuffer> bufferPool = new java.util.ArrayDeque<>();
    private static final int POOLED_BUFFERS = 128;
    /** Host sockets whose keys were cancelled, to close once a select has deregistered them (see TcpFlow). */
    private final ArrayList<java.nio.channels.SocketChannel> closing = new ArrayList<>();
    private long nowNs;
    private boolean closed;
    /** The ready-key handler, made once; and how many keys it handled in this cycle. */
    private final java.util.function.Consumer<SelectionKey> onReady = this::onReady;
    private int readyWork;

    /**
     * @param stack a stack in gateway mode ({@code StackConfig.gatewayMode(true)}), driven by the same thread
     */
    public ForwardEngine(final NetStack stack, final ForwardConfig config)
    {
        if (!stack.config().gatewayMode())
        {
            throw new IllegalArgumentException("the stack must be in gateway mode: StackConfig.gatewayMode(true)");
        }
        this.stack = stack;
        this.tcp = stack.tcp();
        this.udp = stack.udp();
        this.icmp = stack.icmp();
        this.config = config.validate();
        try
        {
            this.selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open a selector", ex);
        }
        this.udpFlows = new UdpFlows(this);
        this.inbound = new InboundForwards(this);
        tcp.synInterceptor(this::onSyn, config.maxPendingConnects());
        udp.interceptor(udpFlows::onDatagram);
    }

    public ForwardCounters counters()
    {
        return counters;
    }

    public ForwardConfig config()
    {
        return config;
    }

    public Selector selector()
    {
        return selector;
    }

    // ------------------------------------------------------------------------------------------------ policy

    /**
     * Where a guest's destination leads on the host: 127.0.0.1 for the loopback mapping, the destination itself if
     * the policy allows it, else 0 (refused).
     */
    int target(final int destination)
    {
        final int mapped = config.hostLoopbackAddress();
        if (mapped != 0 && destination == mapped)
        {
            return ForwardConfig.HOST_LOOPBACK;
        }
        if (destination == stack.ipAddress() || (destination >>> 24) == 127 || (destination >>> 24) == 0
            || Ipv4Address.isMulticast(destination) || destination == Ipv4Address.BROADCAST
            || config.deny().contains(destination)
            || (!config.allow().isEmpty() && !config.allow().contains(destination)))
        {
            return 0;
        }
        return destination;
    }

    static InetSocketAddress socketAddress(final int address, final int port)
    {
        final byte[] bytes = {(byte)(address >>> 24), (byte)(address >>> 16), (byte)(address >>> 8), (byte)address};
        try
        {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex); // four bytes are always an address
        }
    }

    // ------------------------------------------------------------------------------------------------ TCP

    /** The stack holds a guest SYN that nothing of ours takes: start the host connect, or refuse. */
    private boolean onSyn(final HeldSyn syn, final long nowNs)
    {
        counters.increment(Counter.TCP_SYNS);
        final int target = target(syn.localAddress());
        if (target == 0)
        {
            counters.increment(Counter.TCP_POLICY_DENIED);
            LOG.debug("{}: destination not allowed, refused", syn);
            return false; // the layer answers with a reset: "connection refused" at once
        }
        if (tcpFlows >= config.maxTcpFlows())
        {
            counters.increment(Counter.TCP_FLOW_LIMIT);
            return false;
        }
        final TcpFlow flow = new TcpFlow(this, syn, target, nowNs + config.connectTimeoutNs());
        if (!flow.startConnect())
        {
            return true; // failed at once: answered (reset or ICMP) in the next cycle
        }
        tcpFlows++;
        counters.increment(Counter.TCP_FLOWS);
        counters.increment(Counter.TCP_CONNECTS);
        if (!flow.connectedAtOnce)
        {
            connecting.add(flow);
        }
        return true;
    }

    void connectedAtOnce(final TcpFlow flow)
    {
        connectedAtOnce.add(flow);
    }

    /** A connecting flow finished connecting (either way): no longer timed. */
    void doneConnecting(final TcpFlow flow)
    {
        connecting.remove(flow);
    }

    void relaying(final TcpFlow flow, final long nowNs)
    {
        flow.relayIndex = relaying.size();
        relaying.add(flow);
        if (config.tcpIdleTimeoutNs() > 0 && nextTcpSweepNs == Long.MAX_VALUE)
        {
            nextTcpSweepNs = nowNs + Math.min(1_000_000_000L, config.tcpIdleTimeoutNs());
        }
    }

    /** Resets flows idle for tcpIdleTimeoutNs; runs at most once a second. */
    private int expireIdleFlows(final long nowNs)
    {
        if (nowNs < nextTcpSweepNs)
        {
            return 0;
        }
        final long idleBefore = nowNs - config.tcpIdleTimeoutNs();
        for (int i = 0; i < relaying.size(); i++)
        {
            if (relaying.get(i).lastActiveNs <= idleBefore)
            {
                idle.add(relaying.get(i));
            }
        }
        for (int i = 0; i < idle.size(); i++)
        {
            counters.increment(Counter.TCP_IDLE_TIMEOUTS);
            idle.get(i).resetBothSides();
        }
        final int n = idle.size();
        idle.clear();
        nextTcpSweepNs = relaying.isEmpty() ? Long.MAX_VALUE
            : nowNs + Math.min(1_000_000_000L, config.tcpIdleTimeoutNs());
        return n;
    }

    void flowClosed(final TcpFlow flow)
    {
        final int i = flow.relayIndex;
        if (i >= 0)
        {
            // swap-remove: O(1)
            final TcpFlow last = relaying.remove(relaying.size() - 1);
            if (last != flow)
            {
                relaying.set(i, last);
                last.relayIndex = i;
            }
            flow.relayIndex = -1;
        }
        tcpFlows--;
        counters.add(Counter.TCP_FLOWS, -1);
        counters.increment(Counter.TCP_FLOWS_CLOSED);
    }

    /** A relay buffer of {@code tcpRelayBufferBytes}, cleared, from the pool or new. */
    java.nio.ByteBuffer takeBuffer()
    {
        final java.nio.ByteBuffer pooled = bufferPool.pollLast();
        return pooled != null ? pooled.clear() : java.nio.ByteBuffer.allocateDirect(config.tcpRelayBufferBytes());
    }

    void giveBuffer(final java.nio.ByteBuffer buffer)
    {
        if (bufferPool.size() < POOLED_BUFFERS)
        {
            bufferPool.addLast(buffer);
        }
    }

    /** RFC 1812 §4.3.2: destination unreachable about the guest's SYN, from the gateway. */
    void unreachable(final HeldSyn syn, final int code, final long nowNs)
    {
        tcp.dropHeld(syn);
        icmp.sendErrorAbout(IcmpMessage.TYPE_DESTINATION_UNREACHABLE, code, syn.remoteAddress(), syn.localAddress(),
            IpProtocol.TCP, syn.header(), 0, nowNs);
    }

    /** ICMP destination unreachable to the guest about one of its datagrams, rebuilt from its header's 8 bytes. */
    void unreachableAbout(final int code, final int guest, final int destination, final int protocol,
        final DirectBuffer header, final long nowNs)
    {
        icmp.sendErrorAbout(IcmpMessage.TYPE_DESTINATION_UNREACHABLE, code, guest, destination, protocol, header, 0,
            nowNs);
    }

    // ------------------------------------------------------------------------------------------------ duty cycle

    /**
     * Handles ready host sockets, connect timeouts and idle UDP flows, then sends what the stack has to send. Call
     * after the stack's own {@code doWork(nowNs)}, on the same thread.
     */
    public int doWork(final long nowNs)
    {
        this.nowNs = nowNs;
        tcp.onTime(nowNs);
        int work = 0;
        for (int i = 0; i < connectedAtOnce.size(); i++)
        {
            connectedAtOnce.get(i).onConnectFinished(nowNs);
            work++;
        }
        connectedAtOnce.clear();
        readyWork = 0;
        final int cancelledBefore = closing.size();
        try
        {
            // the action form: no selected-key set and no iterator (nothing allocated per cycle); epoll is
            // level-triggered, so a key an idle select() saw ready is reported again here
            selector.selectNow(onReady);
        }
        catch (final IOException ex)
        {
            LOG.warn("selector failed", ex);
        }
        closeDeregistered(cancelledBefore);
        work += readyWork;
        work += expireConnects(nowNs);
        work += expireIdleFlows(nowNs);
        work += udpFlows.expire(nowNs);
        work += inbound.expire(nowNs);
        work += tcp.flush(nowNs);
        return work;
    }

    void closeAfterSelect(final java.nio.channels.SocketChannel channel)
    {
        closing.add(channel);
    }

    /** Closes the first {@code n} sockets of {@link #closing}: their keys were cancelled before the last select. */
    private void closeDeregistered(final int n)
    {
        for (int i = 0; i < n; i++)
        {
            try
            {
                closing.get(i).close();
            }
            catch (final IOException ex)
            {
                LOG.debug("closing a host socket", ex);
            }
        }
        if (n > 0)
        {
            closing.subList(0, n).clear();
        }
    }

    private void onReady(final SelectionKey key)
    {
        readyWork++;
        if (!key.isValid())
        {
            return;
        }
        final Object flow = key.attachment();
        if (flow instanceof TcpFlow)
        {
            ((TcpFlow)flow).onReady(key.readyOps(), nowNs);
        }
        else if (flow instanceof UdpFlows.Flow)
        {
            udpFlows.onReadable((UdpFlows.Flow)flow, nowNs);
        }
        else if (flow instanceof InboundForwards.Forward)
        {
            inbound.onReady((InboundForwards.Forward)flow, nowNs);
        }
    }

    private int expireConnects(final long nowNs)
    {
        int work = 0;
        while (!connecting.isEmpty() && connecting.get(0).connectDeadlineNs <= nowNs)
        {
            final TcpFlow flow = connecting.remove(0);
            counters.increment(Counter.TCP_CONNECT_TIMEOUTS);
            flow.connectTimedOut(nowNs);
            work++;
        }
        return work;
    }

    /** The earliest time the engine has something to do without a socket becoming ready. */
    public long nextDeadlineNs()
    {
        if (!connectedAtOnce.isEmpty())
        {
            return Long.MIN_VALUE;
        }
        final long connect = connecting.isEmpty() ? Long.MAX_VALUE : connecting.get(0).connectDeadlineNs;
        return Math.min(Math.min(connect, nextTcpSweepNs), Math.min(udpFlows.nextDeadlineNs(),
            inbound.nextDeadlineNs()));
    }

    /**
     * Blocks until a host socket is ready, {@code selector.wakeup()} is called (a {@link TapWatcher} does when a TAP
     * frame arrives) or {@code timeoutNs} passes.
     *
     * @return how many host sockets became ready (the next {@link #doWork} handles them)
     */
    public int select(final long timeoutNs)
    {
        try
        {
            final int ready = timeoutNs <= 0 ? selector.selectNow()
                : selector.select(Math.max(1, (timeoutNs + 999_999) / 1_000_000));
            selector.selectedKeys().clear(); // handled by the next doWork, which asks the selector again
            return ready;
        }
        catch (final IOException ex)
        {
            LOG.warn("selector failed", ex);
            return 0;
        }
    }

    long nowNs()
    {
        return nowNs;
    }

    public int tcpFlowCount()
    {
        return tcpFlows;
    }

    /**
     * Where inbound port forwards lead when {@link ForwardConfig#guestAddress} is 0: the DHCP server's latest lease,
     * say. Engine thread (or before it runs).
     */
    public void guestAddress(final java.util.function.IntSupplier address)
    {
        inbound.guestAddress(address);
    }

    /** Opens an inbound port forward's host socket. Engine thread: see {@link Forwarder#portForwards()}. */
    public io.tapstack.forward.control.PortForwardStatus addPortForward(
        final io.tapstack.forward.control.PortForward forward) throws IOException
    {
        return inbound.add(forward);
    }

    /** Closes a port forward's host socket and resets its connections. Engine thread. */
    public boolean removePortForward(final io.tapstack.forward.control.PortForward.Protocol protocol,
        final InetAddress hostAddress, final int hostPort)
    {
        return inbound.remove(protocol, hostAddress, hostPort);
    }

    /** The port forwards with their counters. Engine thread. */
    public java.util.List<io.tapstack.forward.control.PortForwardStatus> portForwards()
    {
        return inbound.list();
    }

    public int udpFlowCount()
    {
        return udpFlows.size();
    }

    /** Closes every host socket and the selector (the guest's connections are left to the stack). */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        tcp.synInterceptor(null, 1);
        udp.interceptor(null);
        inbound.closeAll();
        for (final SelectionKey key : selector.keys())
        {
            try
            {
                key.channel().close();
            }
            catch (final IOException ex)
            {
                LOG.debug("closing a host socket", ex);
            }
        }
        closeDeregistered(closing.size());
        udpFlows.clear();
        try
        {
            selector.close();
        }
        catch (final IOException ex)
        {
            LOG.debug("closing the selector", ex);
        }
    }
}
