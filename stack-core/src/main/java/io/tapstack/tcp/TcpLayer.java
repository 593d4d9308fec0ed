package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameHandler;
import io.tapstack.ip.Ipv4Layer;
import io.tapstack.ip.Ipv4Transport;
import io.tapstack.time.RandomSource;
import io.tapstack.time.Secrets;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;
import org.agrona.collections.Int2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;

/**
 * TCP demultiplexing and the stack-side API. Read RFC 9293 §3.1 (header), §3.10 (events) and RFC 1122
 * §4.2.3.10 first.
 *
 * <p>Validates every segment (length, data offset, checksum over the pseudo-header, options), then finds its
 * connection by 4-tuple (a {@code long} key: no boxing) or its listener; a segment for neither is answered
 * with a reset (RFC 9293 §3.10.7.1). Owns every connection and listener, their timers, and the queue of
 * connections with output to send. Owned by the stack thread.
 */
public final class TcpLayer implements Ipv4Transport
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpLayer.class);
    private static final TcpEventListener NO_EVENTS = new TcpEventListener()
    {
    };

    private final Ipv4Layer ipv4;
    private final StackCounters counters;
    private final TcpConfig config;
    private final IsnGenerator isnGenerator;
    private final EphemeralPorts ephemeralPorts;
    private final SynCookieHandshake cookies;
    private final TcpSegmentWriter writer;
    /** TIME-WAIT's light records (RFC 9293 §3.6.1) and the rules that answer for them. */
    private final TimeWaitTable timeWaits;
    private final TcpTimeWait timeWait;
    /** Gateway mode: SYNs held for the interceptor (a forwarding engine). */
    private final HeldSyns held;
    /** Unpredictable per-connection choices (RFC 7323 §7.1 timestamp offsets), drawn from the stack's secrets. */
    private final RandomSource random;
    private final int ourMss;
    private final TcpHeader segment = new TcpHeader();
    private final TcpOptions options = new TcpOptions();
    private final TcpConnectionTable connections = new TcpConnectionTable();
    private final TcpMemory memory;
    private final Int2ObjectHashMap<TcpListener> listeners = new Int2ObjectHashMap<>();
    private final ArrayList<TcpConnection> dirty = new ArrayList<>();
    /** What each connection sees of this layer: its owner and its output (not public methods of the layer). */
    private final Host host = new Host();
    private TcpEventListener events = NO_EVENTS;
    /** The time of the current duty cycle (the latest time given to this layer): application calls happen then. */
    private long nowNs;
    /** Tests only: when set, every new connection uses this ISS instead of RFC 6528's. */
    private Integer fixedIsn;
    /** Tests only: when set, every new connection's timestamp clock uses this offset. */
    private Integer fixedTsOffset;
    private long challengeWindowStartNs = Long.MIN_VALUE;
    private int challengeAcksInWindow;

    public TcpLayer(final Ipv4Layer ipv4, final StackCounters counters, final TcpConfig config,
        final Secrets secrets)
    {
        this.ipv4 = ipv4;
        this.counters = counters;
        this.config = config;
        // RFC 6528 §3 and RFC 6056 §3.3.4: keys an off-path attacker cannot learn from another instance
        this.isnGenerator = new IsnGenerator(secrets.key(16));
        this.ephemeralPorts = new EphemeralPorts(secrets.key(16), secrets.key(16));
        final SynCookies synCookies = new SynCookies(secrets::key);
        this.random = secrets.randomSource();
        this.memory = new TcpMemory(config, counters);
        // RFC 9293 §3.7.1: MSS = MTU minus fixed IPv4 and TCP headers
        this.ourMss = ipv4.mtu() - Ipv4Header.MIN_HEADER_LENGTH - TcpHeader.MIN_HEADER_LENGTH;
        this.writer = new TcpSegmentWriter(ipv4, counters);
        this.cookies = new SynCookieHandshake(synCookies, writer, counters, config, ipv4, ourMss);
        this.timeWaits = new TimeWaitTable(config, counters);
        this.timeWait = new TcpTimeWait(timeWaits, writer, host, config, counters);
        this.held = new HeldSyns(counters, writer);
    }

    /** Tests only: pins the ISS of new connections (to cross 2^32 on the send side). */
    void fixedIsnForTests(final Integer isn)
    {
        this.fixedIsn = isn;
    }

    private int isn(final int localPort, final int remoteAddress, final int remotePort, final long nowNs)
    {
        return isn(ipv4.ourAddress(), localPort, remoteAddress, remotePort, nowNs);
    }

    private int isn(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final long nowNs)
    {
        return fixedIsn != null ? fixedIsn : isnGenerator.isn(localAddress, localPort, remoteAddress, remotePort,
            nowNs);
    }

    private static long key(final int localPort, final int remoteAddress, final int remotePort)
    {
        return TcpConnectionTable.key(localPort, remoteAddress, remotePort);
    }

    public TcpConfig config()
    {
        return config;
    }

    /** Installs the one listener that follows every connection's events (null for none). */
    public void eventListener(final TcpEventListener listener)
    {
        this.events = listener == null ? NO_EVENTS : listener;
        // a listener hears TIME-WAIT -> CLOSED when a record ends, so the records keep their connection handles
        timeWaits.keepHandles(listener != null);
    }

    /**
     * The time of the duty cycle that starts: calls the application makes on connections until the next one (close,
     * abort, shutdownOutput, from a handler or between cycles) happen at this time. {@code NetStack.doWork} and the
     * socket API call it first; every other entry point takes {@code nowNs} itself.
     */
    public void onTime(final long nowNs)
    {
        this.nowNs = nowNs;
    }

    public int connectionCount()
    {
        return connections.size();
    }

    /** Connections in TIME-WAIT: light records, not counted against the connection limit. */
    public int timeWaitCount()
    {
        return timeWaits.size();
    }

    /** Connections that count against {@link TcpConfig#maxConnections()} (not TIME-WAIT), or memory's hard limit. */
    private boolean atConnectionLimit()
    {
        return connections.size() >= config.maxConnections() || memory.refusesNewConnection();
    }

    // ------------------------------------------------------------------------------------------------ API

    /**
     * Listens on {@code port} (RFC 9293 §3.10.1 passive open).
     *
     * @param backlog half-open plus not yet accepted connections; SYNs beyond it are dropped and counted
     */
    public TcpListener listen(final int port, final int backlog, final TcpListener.Handler handler)
    {
        if (port <= 0 || port > 65535)
        {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
        if (listeners.containsKey(port))
        {
            throw new IllegalStateException("port " + port + " is already listening");
        }
        final TcpListener listener = new TcpListener(this, port, backlog > 0 ? backlog : config.defaultBacklog(),
            handler);
        listeners.put(port, listener);
        LOG.debug("listening on port {}", port);
        return listener;
    }

    public TcpListener listen(final int port, final TcpListener.Handler handler)
    {
        return listen(port, 0, handler);
    }

    void closeListener(final TcpListener listener)
    {
        listeners.remove(listener.port());
        // half-open connections of this listener are reset too (RFC 9293 §3.10.4: closing LISTEN), newest first
        for (final TcpConnection c : connections.ofListener(listener))
        {
            c.abort();
        }
    }

    /**
     * Opens a connection (RFC 9293 §3.10.1 active open) from an ephemeral port.
     *
     * @return the connection in SYN-SENT, or null when no connection can be made (limit reached, no port)
     */
    public TcpConnection connect(final int remoteAddress, final int remotePort, final TcpHandler handler,
        final long nowNs)
    {
        final long now = nowNs;
        if (atConnectionLimit())
        {
            counters.increment(Counter.TCP_CONNECTION_LIMIT);
            return null;
        }
        final int port = ephemeralPorts.choose(ipv4.ourAddress(), remoteAddress, remotePort,
            p -> !listeners.containsKey(p) && !connections.containsKey(key(p, remoteAddress, remotePort))
                && timeWaits.find(key(p, remoteAddress, remotePort)) < 0);
        if (port >= 0)
        {
            final TcpConnection c = new TcpConnection(host, host, config, counters, ipv4.ourAddress(), false, port,
                remoteAddress, remotePort, ourMss, tsOffset());
            c.handler(handler);
            add(c);
            counters.increment(Counter.TCP_ACTIVE_OPENS);
            c.open(isn(port, remoteAddress, remotePort, now), now);
            noteTimer(c);
            return c;
        }
        counters.increment(Counter.TCP_CONNECTION_LIMIT);
        return null;
    }

    /**
     * Gateway mode: SYNs that no connection or listener of ours takes (to our address or, in gateway mode, any other)
     * go to {@code interceptor}, held until it decides (at most {@code maxHeld}, 1..65,536; beyond, reset and
     * counted); null stops intercepting.
     */
    public void synInterceptor(final SynInterceptor interceptor, final int maxHeld)
    {
        if (interceptor != null && (maxHeld < 1 || maxHeld > 65536))
        {
            throw new IllegalArgumentException("maxHeld must be 1..65536: " + maxHeld);
        }
        held.interceptor(interceptor, maxHeld);
    }

    /** SYNs held now. */
    public int heldSynCount()
    {
        return held.size();
    }

    /**
     * Goes on with a held SYN's handshake (RFC 9293 §3.10.7.2): a SYN-ACK from the address and port the peer
     * connected to; {@code handler} hears {@code onConnected} when the peer's ACK arrives.
     *
     * @return the connection in SYN-RECEIVED, or null at the connection limit (the SYN is refused with a reset)
     */
    public TcpConnection acceptHeld(final HeldSyn syn, final TcpHandler handler, final long nowNs)
    {
        this.nowNs = nowNs;
        final boolean foreign = syn.localAddress != ipv4.ourAddress();
        final long key = foreign ? syn.key : key(syn.localPort, syn.remoteAddress, syn.remotePort);
        if (atConnectionLimit() || (foreign ? connections.getForeign(key) : connections.get(key)) != null)
        {
            counters.increment(Counter.TCP_CONNECTION_LIMIT);
            held.refuse(syn, nowNs);
            return null;
        }
        held.release(syn);
        held.rewrap(syn);
        final TcpConnection c = new TcpConnection(host, host, config, counters, syn.localAddress, foreign,
            syn.localPort, syn.remoteAddress, syn.remotePort, ourMss, tsOffset());
        c.handler(handler);
        add(c);
        counters.increment(Counter.TCP_PASSIVE_OPENS);
        counters.increment(Counter.TCP_HELD_SYNS_ACCEPTED);
        c.acceptSyn(null, held.segment, held.options,
            isn(syn.localAddress, syn.localPort, syn.remoteAddress, syn.remotePort, nowNs), nowNs);
        noteTimer(c);
        return c;
    }

    /** Refuses a held SYN with a reset from the address the peer connected to (RFC 9293 §3.10.7.1). */
    public void refuseHeld(final HeldSyn syn, final long nowNs)
    {
        held.refuse(syn, nowNs);
    }

    /** Forgets a held SYN without an answer (the caller may send an ICMP error about {@link HeldSyn#header()}). */
    public void dropHeld(final HeldSyn syn)
    {
        held.drop(syn);
    }

    // ------------------------------------------------------------------------------------------------ input

    /** One received TCP segment inside {@code datagram}. */
    @Override
    public void onPacket(final Ipv4Header datagram, final boolean broadcast, final long nowNs)
    {
        this.nowNs = nowNs;
        counters.increment(Counter.TCP_RX);
        final int source = datagram.source();
        final int destination = datagram.destination();
        segment.wrap(datagram.buffer(), datagram.payloadOffset(), datagram.payloadLength());
        final int checksumState = ipv4.receivedChecksum();
        switch (segment.validate(source, destination, checksumState == FrameHandler.CHECKSUM_UNVERIFIED))
        {
            case OK:
                countOffloadedChecksum(checksumState);
                break;
            case TOO_SHORT:
                drop(Counter.TCP_DROP_TOO_SHORT, "shorter than a TCP header");
                return;
            case BAD_DATA_OFFSET:
                drop(Counter.TCP_DROP_BAD_DATA_OFFSET, "data offset out of range");
                return;
            default:
                drop(Counter.TCP_DROP_BAD_CHECKSUM, "checksum does not verify");
                return;
        }
        if (options.parse(segment.buffer(), segment.optionsOffset(), segment.optionsLength())
            != TcpOptions.Verdict.OK)
        {
            drop(Counter.TCP_DROP_BAD_OPTIONS, "an option overruns the header or has a bad length");
            return;
        }
        if (broadcast)
        {
            // RFC 1122 §4.2.3.10: TCP is unicast only; never answer a broadcast with a reset
            drop(Counter.TCP_DROP_BROADCAST, "sent to a broadcast address");
            return;
        }
        if (destination != ipv4.ourAddress())
        {
            onForeignSegment(source, destination, nowNs);
            return;
        }
        final long key = key(segment.destinationPort(), source, segment.sourcePort());
        final TcpConnection c = connections.get(key);
        if (c != null)
        {
            final int sndUnaBefore = c.sndUna();
            c.onSegment(segment, options, nowNs);
            if (c.sndUna() != sndUnaBefore)
            {
                // RFC 1122 §2.3.2.1: an ACK of new data is advice that the next hop reaches the peer
                ipv4.confirmReachable(source, nowNs);
            }
            noteTimer(c);
            return;
        }
        final int record = timeWaits.find(key);
        if (record >= 0 && !timeWait.onSegment(record, segment, options, nowNs))
        {
            return;
        }
        onSegmentWithoutConnection(source, nowNs); // or a SYN that ended a TIME-WAIT record (RFC 6191)
    }

    /** A checksum the device verified (virtio-net DATA_VALID) or left partial (NEEDS_CSUM), skipped and counted. */
    private void countOffloadedChecksum(final int checksumState)
    {
        if (checksumState == FrameHandler.CHECKSUM_VALID)
        {
            counters.increment(Counter.TCP_RX_CHECKSUM_VALID_BY_DEVICE);
        }
        else if (checksumState == FrameHandler.CHECKSUM_PARTIAL)
        {
            counters.increment(Counter.TCP_RX_CHECKSUM_PARTIAL);
        }
    }

    /**
     * Gateway mode: a segment for another destination (IPv4 takes those in only then). Its connection has that
     * destination as local address; a bare SYN for none goes to the interceptor; anything else is answered as a
     * closed port would be, from that destination (RFC 9293 §3.10.7.1).
     */
    private void onForeignSegment(final int source, final int destination, final long nowNs)
    {
        final TcpConnection c = connections.getForeign(key(segment.destinationPort(), destination,
            segment.sourcePort()));
        if (c != null && c.remoteAddress() == source)
        {
            c.onSegment(segment, options, nowNs);
            noteTimer(c);
            return;
        }
        if (!interceptSyn(destination, source, nowNs))
        {
            counters.increment(Counter.TCP_TO_CLOSED_PORT);
            resetFor(destination, source, nowNs);
        }
    }

    /** A bare SYN that nothing of ours takes, to the interceptor (gateway mode); false when it was not held. */
    private boolean interceptSyn(final int local, final int source, final long nowNs)
    {
        return held.intercepting() && (segment.flags() & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) == TcpFlags.SYN
            && held.offer(segment, local, source, nowNs);
    }

    private void onSegmentWithoutConnection(final int source, final long nowNs)
    {
        final TcpListener listener = listeners.get(segment.destinationPort());
        if (listener != null)
        {
            onListenSegment(listener, source, nowNs);
            return;
        }
        if (interceptSyn(ipv4.ourAddress(), source, nowNs))
        {
            return;
        }
        counters.increment(Counter.TCP_TO_CLOSED_PORT);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{} {}:{} -> port {}: no connection or listener", TcpFlags.describe(segment.flags()),
                Ipv4Address.toString(source), segment.sourcePort(), segment.destinationPort());
        }
        resetFor(source, nowNs);
    }

    /** RFC 9293 §3.10.7.2 (LISTEN). */
    private void onListenSegment(final TcpListener listener, final int source, final long nowNs)
    {
        final int flags = segment.flags();
        if ((flags & TcpFlags.RST) != 0)
        {
            return; // first: ignore a reset
        }
        if ((flags & TcpFlags.ACK) != 0)
        {
            if ((flags & TcpFlags.SYN) == 0 && cookies.mayComeBack(listener, nowNs)
                && establishFromCookie(listener, source, nowNs))
            {
                return;
            }
            resetFor(source, nowNs); // second: an ACK to a listener is answered <SEQ=SEG.ACK><CTL=RST>
            return;
        }
        if ((flags & TcpFlags.SYN) == 0)
        {
            return; // fourth: anything else is dropped
        }
        if (!listener.hasRoom())
        {
            if (!listener.acceptQueueHasRoom())
            {
                // the application does not accept fast enough: no cookie or recycling makes room for that
                counters.increment(Counter.TCP_LISTEN_OVERFLOWS);
                LOG.debug("accept queue of port {} full: SYN dropped", listener.port());
                return;
            }
            if (config.synCookies())
            {
                cookies.sendSynAck(listener, source, segment, options, nowNs); // RFC 4987 §3.6: no state kept
                return;
            }
            // RFC 4987 §3.4: without cookies, the oldest half-open connection makes room for the new SYN
            final TcpConnection oldest = listener.oldestHalfOpen();
            if (oldest == null)
            {
                counters.increment(Counter.TCP_LISTEN_OVERFLOWS);
                return;
            }
            counters.increment(Counter.TCP_HALF_OPEN_RECYCLED);
            oldest.forget(nowNs);
        }
        if (atConnectionLimit())
        {
            counters.increment(Counter.TCP_CONNECTION_LIMIT);
            return;
        }
        final TcpConnection c = new TcpConnection(host, host, config, counters, ipv4.ourAddress(), false,
            listener.port(), source, segment.sourcePort(), ourMss, tsOffset());
        add(c);
        listener.addHalfOpen(c);
        counters.increment(Counter.TCP_PASSIVE_OPENS);
        c.acceptSyn(listener, segment, options,
            isn(listener.port(), source, segment.sourcePort(), nowNs), nowNs);
        noteTimer(c);
    }

    /**
     * RFC 4987 §3.6: an ACK to a listener whose SEG.ACK - 1 is a valid cookie completes a handshake we kept no state
     * for: the connection starts in ESTABLISHED with what the cookie carried.
     *
     * @return false when it is not a valid cookie (or there is no room): the caller answers with a reset
     */
    private boolean establishFromCookie(final TcpListener listener, final int source, final long nowNs)
    {
        if (!cookies.validate(listener, source, segment, options, nowNs))
        {
            return false;
        }
        if (!listener.acceptQueueHasRoom() || atConnectionLimit())
        {
            counters.increment(Counter.TCP_LISTEN_OVERFLOWS);
            return true; // dropped: the client retransmits its ACK or data, or times out
        }
        counters.increment(Counter.TCP_SYN_COOKIES_VALID);
        // the timestamp clock of the SYN-ACK goes on (offset 0 when the cookie carried no timestamps)
        final TcpConnection c = new TcpConnection(host, host, config, counters, ipv4.ourAddress(), false,
            listener.port(), source, segment.sourcePort(), ourMss, cookies.tsOffset);
        add(c);
        counters.increment(Counter.TCP_PASSIVE_OPENS);
        c.acceptCookie(listener, segment, options, cookies.iss, cookies.mss, cookies.tsOptions, nowNs);
        noteTimer(c);
        return true;
    }

    /** RFC 9293 §3.10.7.1: a reset answering the current segment. */
    private void resetFor(final int remote, final long nowNs)
    {
        resetFor(ipv4.ourAddress(), remote, nowNs);
    }

    private void resetFor(final int local, final int remote, final long nowNs)
    {
        final int flags = segment.flags();
        if ((flags & TcpFlags.RST) != 0)
        {
            return;
        }
        if ((flags & TcpFlags.ACK) != 0)
        {
            writer.sendControl(local, remote, segment.destinationPort(), segment.sourcePort(),
                segment.acknowledgmentNumber(), 0, TcpFlags.RST, 0, null, nowNs);
        }
        else
        {
            writer.sendControl(local, remote, segment.destinationPort(), segment.sourcePort(), 0,
                segment.sequenceNumber() + segment.segmentLength(), TcpFlags.RST | TcpFlags.ACK, 0, null, nowNs);
        }
    }

    // ------------------------------------------------------------------------------------------------ output


    /** RFC 7323 §5.4, §7.1: each connection's timestamp clock starts at a random offset (drawn only when in use). */
    private int tsOffset()
    {
        if (fixedTsOffset != null)
        {
            return fixedTsOffset;
        }
        return config.timestamps() ? random.nextInt() : 0;
    }

    /** Tests only: pins the timestamp offset of new connections (golden bytes). */
    void fixedTsOffsetForTests(final Integer offset)
    {
        this.fixedTsOffset = offset;
        cookies.fixedTsOffset = offset;
    }

    // ------------------------------------------------------------------------------------------------ timers

    /** Runs due timers and sends pending output; returns the work done. */
    public int onTimer(final long nowNs)
    {
        this.nowNs = nowNs;
        int work = connections.runDue(nowNs) + timeWaits.expire(nowNs);
        work += flush(nowNs);
        return work;
    }

    /** Sends the output of connections the application wrote to, read from or closed. */
    public int flush(final long nowNs)
    {
        this.nowNs = nowNs;
        int work = 0;
        while (!dirty.isEmpty())
        {
            final TcpConnection c = dirty.remove(dirty.size() - 1);
            if (c.dirty)
            {
                work++;
                c.output(nowNs);
                noteTimer(c);
            }
        }
        return work;
    }

    public long nextDeadlineNs()
    {
        return dirty.isEmpty() ? Math.min(connections.nextDeadlineNs(), timeWaits.nextDeadlineNs()) : Long.MIN_VALUE;
    }

    /** RFC 5961 §7: at most {@link TcpConfig#challengeAcksPerSecond()} challenge ACKs per second, stack-wide. */
    private boolean allowChallengeAck(final long now)
    {
        if (challengeWindowStartNs == Long.MIN_VALUE || now - challengeWindowStartNs >= 1_000_000_000L)
        {
            challengeWindowStartNs = now;
            challengeAcksInWindow = 0;
        }
        return ++challengeAcksInWindow <= config.challengeAcksPerSecond();
    }

    private void markDirty(final TcpConnection c)
    {
        if (!c.dirty)
        {
            c.dirty = true;
            dirty.add(c);
        }
    }

    private void noteTimer(final TcpConnection c)
    {
        connections.noteTimer(c);
    }

    private void add(final TcpConnection c)
    {
        connections.add(c);
    }

    private void remove(final TcpConnection c)
    {
        connections.remove(c);
    }

    private void drop(final Counter counter, final String why)
    {
        counters.increment(counter);
        LOG.debug("dropped a TCP segment: {}", why);
    }

    /** The layer as each connection's {@link TcpConnectionOwner} and {@link TcpOutput}. */
    private final class Host implements TcpConnectionOwner, TcpOutput
    {
        @Override
        public TcpEventListener events()
        {
            return events;
        }

        @Override
        public long nowNs()
        {
            return nowNs;
        }

        @Override
        public void markDirty(final TcpConnection connection)
        {
            TcpLayer.this.markDirty(connection);
        }

        @Override
        public void closed(final TcpConnection connection)
        {
            remove(connection);
            timeWaits.removeRecordOf(connection); // aborted in TIME-WAIT: RFC 9293 §3.10.5 deletes the TCB
        }

        @Override
        public TimeWaitTable timeWaits()
        {
            return timeWaits;
        }

        @Override
        public void leftForTimeWait(final TcpConnection connection)
        {
            remove(connection);
        }

        @Override
        public TcpMemory memory()
        {
            return memory;
        }

        @Override
        public boolean allowChallengeAck(final long nowNs)
        {
            return TcpLayer.this.allowChallengeAck(nowNs);
        }

        @Override
        public boolean sendSegment(final TcpConnection connection, final int seq, final int ack, final int flags,
            final int window, final TcpOptions options, final SendBuffer data, final int dataOffset,
            final int dataLength, final long nowNs)
        {
            return writer.sendSegment(connection, seq, ack, flags, window, options, data, dataOffset, dataLength,
                nowNs);
        }

        @Override
        public void sendReset(final int localAddress, final int remoteAddress, final int localPort,
            final int remotePort, final int seq, final long nowNs)
        {
            // RFC 9293 §3.10.7: a reset with SEQ and no ACK (aborts, timeouts, bad ACKs)
            writer.sendControl(localAddress, remoteAddress, localPort, remotePort, seq, 0, TcpFlags.RST, 0, null,
                nowNs);
        }
    }
}
