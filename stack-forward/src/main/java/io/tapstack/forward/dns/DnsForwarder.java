package io.tapstack.forward.dns;

import io.tapstack.NetStack;
import io.tapstack.forward.dns.DnsCounters.Counter;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpListener;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.wire.Ipv4Address;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * A DNS forwarder on the stack's port 53, UDP and TCP: each guest query goes to the host's resolvers (those of a
 * resolv.conf, read at install) through host sockets, and the matching answer comes back to the guest with the
 * guest's ID. Read RFC 1035 §4.1-4.2, RFC 5452 §9 (accepting answers), RFC 7766 (TCP) and RFC 6891 §6.2.3 (UDP
 * sizes) first.
 *
 * <p>Only the header and the question are parsed ({@link DnsMessage}); the rest passes through as bytes. Bounded
 * everywhere: queries in flight ({@link DnsForwarderConfig#maxOutstandingQueries}, each one host socket), guest TCP
 * connections, query sizes; each attempt times out, attempts go round the resolvers, and a query none answers gets
 * SERVFAIL. Bad input is counted in {@link DnsCounters} and dropped, or answered FORMERR/NOTIMP.
 *
 * <p>Runs on the stack thread: call {@link #doWork} every duty cycle with its time, after {@link NetStack#doWork}.
 * Host sockets are non-blocking and polled there; nothing wakes the stack thread when a resolver answers, so its
 * idle wait must be short (the answer waits at most that long) or include the forwarder's host sockets.
 */
public final class DnsForwarder implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(DnsForwarder.class);
    public static final int PORT = 53;
    /** Guest UDP queries handled per duty cycle. */
    private static final int BURST = 32;

    private final NetStack stack;
    private final DnsForwarderConfig config;
    private final List<InetSocketAddress> resolvers;
    private final UdpEndpoint udp;
    private final TcpListener tcpListener;
    private final DnsCounters counters = new DnsCounters();
    private final UpstreamQuery[] queries;
    private final List<GuestTcpSession> sessions = new ArrayList<>();
    private final UnsafeBuffer receiveBuffer;
    private final UnsafeBuffer replyBuffer = new UnsafeBuffer(new byte[65535]);
    private final DnsMessage message = new DnsMessage();
    private final SecureRandom random = new SecureRandom();
    private boolean tcpOutput;
    /** The last duty cycle's time: listeners are told of connections during the stack's doWork, without a time. */
    private long acceptTimeNs;

    private DnsForwarder(final NetStack stack, final DnsForwarderConfig config,
        final List<InetSocketAddress> resolvers, final UdpEndpoint udp)
    {
        this.stack = stack;
        this.config = config;
        this.resolvers = resolvers;
        this.udp = udp;
        this.receiveBuffer = new UnsafeBuffer(new byte[config.maxQueryBytes()]);
        this.queries = new UpstreamQuery[config.maxOutstandingQueries()];
        for (int i = 0; i < queries.length; i++)
        {
            queries[i] = new UpstreamQuery(config.maxQueryBytes(), counters);
        }
        this.tcpListener = config.maxTcpConnections() > 0 ? stack.tcp().listen(PORT, this::onAcceptable) : null;
    }

    /**
     * Binds UDP port 53 and listens on TCP port 53 of {@code stack} (at the stack's address), with the resolvers of
     * {@code config} (given, or read from its resolv.conf now). Call on the stack thread or before it runs; then
     * call {@link #doWork} every duty cycle.
     *
     * @throws UncheckedIOException if the resolv.conf cannot be read
     * @throws IllegalStateException if port 53 is taken
     */
    public static DnsForwarder install(final NetStack stack, final DnsForwarderConfig config)
    {
        config.validate();
        final List<InetSocketAddress> resolvers;
        try
        {
            resolvers = config.resolvers() != null ? config.resolvers() : ResolvConf.read(config.resolvConf());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + config.resolvConf(), ex);
        }
        if (resolvers.isEmpty())
        {
            LOG.warn("no name server {}: every query will get SERVFAIL",
                config.resolvers() != null ? "given" : "in " + config.resolvConf());
        }
        final UdpEndpoint udp = stack.udp().bind(PORT, null);
        if (udp == null)
        {
            throw new IllegalStateException("cannot bind UDP port " + PORT + " for the DNS forwarder");
        }
        LOG.info("DNS forwarder on {}:{} to {}", Ipv4Address.toString(stack.ipAddress()), PORT, resolvers);
        return new DnsForwarder(stack, config, resolvers, udp);
    }

    public DnsCounters counters()
    {
        return counters;
    }

    /** The resolvers queries go to, in order. */
    public List<InetSocketAddress> resolvers()
    {
        return resolvers;
    }

    /** Queries with a resolver now. */
    public int outstandingQueries()
    {
        int n = 0;
        for (final UpstreamQuery q : queries)
        {
            n += q.isActive() ? 1 : 0;
        }
        return n;
    }

    /**
     * The earliest time {@link #doWork} has something to do without new input: an attempt's timeout or a guest
     * connection's idle timeout; {@link Long#MAX_VALUE} when none. An answer from a resolver comes sooner: while
     * {@link #outstandingQueries()} is not zero, the driver should not idle for long (or poll the host sockets).
     */
    public long nextDeadlineNs()
    {
        long next = Long.MAX_VALUE;
        for (final UpstreamQuery q : queries)
        {
            if (q.isActive())
            {
                next = Math.min(next, q.deadlineNs());
            }
        }
        for (final GuestTcpSession s : sessions)
        {
            if (!s.waiting)
            {
                next = Math.min(next, s.lastActivityNs + config.tcpIdleTimeoutNs());
            }
        }
        return next;
    }

    /** Guest TCP connections open now. */
    public int tcpConnections()
    {
        return sessions.size();
    }

    /** Guest queries in, resolvers' answers back, timeouts, at the duty cycle's time {@code nowNs}. */
    public int doWork(final long nowNs)
    {
        int work = readGuestUdp(nowNs);
        for (final UpstreamQuery q : queries)
        {
            if (!q.isActive())
            {
                continue;
            }
            switch (q.poll(nowNs))
            {
                case ANSWERED:
                    work++;
                    deliver(q, q.answer(), q.answerLength(), nowNs);
                    counters.increment(Counter.DNS_ANSWERS_TX);
                    q.finish();
                    break;
                case FAILED:
                    work++;
                    final int length = q.query().writeEmptyAnswer(replyBuffer, 0, DnsMessage.RCODE_SERVFAIL, false);
                    deliver(q, replyBuffer, length, nowNs);
                    counters.increment(Counter.DNS_SERVFAIL_TX);
                    q.finish();
                    break;
                default:
                    break;
            }
        }
        work += serveTcp(nowNs);
        if (tcpOutput)
        {
            tcpOutput = false;
            stack.tcp().flush(nowNs);
        }
        return work;
    }

    /** Unbinds port 53, closes the guest connections and every host socket. */
    @Override
    public void close()
    {
        udp.close();
        if (tcpListener != null)
        {
            tcpListener.close();
        }
        for (final GuestTcpSession s : sessions)
        {
            s.connection.abort();
        }
        sessions.clear();
        for (final UpstreamQuery q : queries)
        {
            q.finish();
        }
    }

    // ------------------------------------------------------------------------------------------ guest UDP

    private int readGuestUdp(final long nowNs)
    {
        int work = 0;
        while (work < BURST)
        {
            final int length = udp.receive(receiveBuffer, 0, receiveBuffer.capacity());
            if (length < 0)
            {
                break;
            }
            work++;
            counters.increment(Counter.DNS_UDP_QUERIES_RX);
            if (length > receiveBuffer.capacity())
            {
                counters.increment(Counter.DNS_DROP_TOO_LONG);
                continue;
            }
            onQuery(receiveBuffer, 0, length, udp.lastRemoteAddress(), udp.lastRemotePort(), null, nowNs);
        }
        return work;
    }

    /** A query from the guest, over UDP ({@code session} null) or TCP. */
    private void onQuery(final MutableDirectBuffer buffer, final int offset, final int length, final int guestAddress,
        final int guestPort, final GuestTcpSession session, final long nowNs)
    {
        message.wrap(buffer, offset, length);
        final DnsMessage.Verdict verdict = message.validate();
        if (verdict == DnsMessage.Verdict.TOO_SHORT)
        {
            counters.increment(Counter.DNS_DROP_TOO_SHORT);
            return;
        }
        if (message.isResponse())
        {
            counters.increment(Counter.DNS_DROP_NOT_A_QUERY);
            return;
        }
        if (verdict != DnsMessage.Verdict.OK)
        {
            counters.increment(Counter.DNS_FORMERR_TX); // RFC 1035 §4.1.1: the server was unable to interpret it
            replyDirect(DnsMessage.RCODE_FORMERR, guestAddress, guestPort, session, nowNs);
            return;
        }
        if (message.opcode() != DnsMessage.OPCODE_QUERY)
        {
            counters.increment(Counter.DNS_NOTIMP_TX);
            replyDirect(DnsMessage.RCODE_NOTIMP, guestAddress, guestPort, session, nowNs);
            return;
        }
        if (resolvers.isEmpty())
        {
            counters.increment(Counter.DNS_SERVFAIL_TX);
            replyDirect(DnsMessage.RCODE_SERVFAIL, guestAddress, guestPort, session, nowNs);
            return;
        }
        UpstreamQuery free = null;
        for (final UpstreamQuery q : queries)
        {
            if (!q.isActive())
            {
                free = free == null ? q : free;
            }
            else if (session == null && q.session == null && q.guestAddress == guestAddress
                && q.guestPort == guestPort && q.guestId == message.id())
            {
                counters.increment(Counter.DNS_DUPLICATE_QUERIES); // a retransmission: the first answer serves it
                return;
            }
        }
        if (free == null)
        {
            counters.increment(Counter.DNS_OUTSTANDING_LIMIT);
            counters.increment(Counter.DNS_SERVFAIL_TX);
            replyDirect(DnsMessage.RCODE_SERVFAIL, guestAddress, guestPort, session, nowNs);
            return;
        }
        free.session = session;
        free.guestAddress = guestAddress;
        free.guestPort = guestPort;
        free.start(message, random.nextInt(65536), session != null, resolvers, config, nowNs);
        if (session != null)
        {
            session.waiting = true;
        }
    }

    /** An answer of our own (no records) to the query {@link #message} wraps. */
    private void replyDirect(final int rcode, final int guestAddress, final int guestPort,
        final GuestTcpSession session, final long nowNs)
    {
        final int length = message.writeEmptyAnswer(replyBuffer, 0, rcode, false);
        sendToGuest(replyBuffer, length, guestAddress, guestPort, session, nowNs);
    }

    /** The answer to query {@code q}, with the guest's ID; over UDP cut to an empty TC answer if too big. */
    private void deliver(final UpstreamQuery q, final MutableDirectBuffer answer, final int length, final long nowNs)
    {
        answer.putShort(DnsMessage.ID_OFFSET, (short)q.guestId, ByteOrder.BIG_ENDIAN);
        if (q.session == null && length > q.query().requestorUdpPayloadSize())
        {
            // RFC 1035 §4.2.1 / RFC 6891 §7: no more than the requestor takes; TC tells it to ask over TCP
            counters.increment(Counter.DNS_TRUNCATED_TO_GUEST);
            final int truncated = q.query().writeEmptyAnswer(replyBuffer, 0, 0, true);
            replyBuffer.putShort(DnsMessage.ID_OFFSET, (short)q.guestId, ByteOrder.BIG_ENDIAN);
            sendToGuest(replyBuffer, truncated, q.guestAddress, q.guestPort, null, nowNs);
            return;
        }
        sendToGuest(answer, length, q.guestAddress, q.guestPort, q.session, nowNs);
    }

    private void sendToGuest(final MutableDirectBuffer buffer, final int length, final int guestAddress,
        final int guestPort, final GuestTcpSession session, final long nowNs)
    {
        if (session != null)
        {
            if (!session.closed)
            {
                session.answer(buffer, 0, length, nowNs);
                tcpOutput = true;
            }
            return;
        }
        if (!udp.send(guestAddress, guestPort, buffer, 0, length, nowNs))
        {
            counters.increment(Counter.DNS_TX_FAILED);
        }
    }

    // ------------------------------------------------------------------------------------------ guest TCP

    private void onAcceptable(final TcpListener listener)
    {
        TcpConnection c;
        while ((c = listener.accept()) != null)
        {
            if (sessions.size() >= config.maxTcpConnections())
            {
                counters.increment(Counter.DNS_TCP_CONNECTION_LIMIT);
                c.abort();
                continue;
            }
            final GuestTcpSession session = new GuestTcpSession(c, config.maxQueryBytes(), acceptTimeNs);
            c.handler(session);
            sessions.add(session);
        }
    }

    private int serveTcp(final long nowNs)
    {
        acceptTimeNs = nowNs;
        int work = 0;
        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            final GuestTcpSession s = sessions.get(i);
            if (s.closed)
            {
                abandon(s);
                sessions.remove(i);
                continue;
            }
            if (s.flush())
            {
                tcpOutput = true;
                work++;
            }
            switch (s.readQuery(nowNs))
            {
                case QUERY:
                    work++;
                    counters.increment(Counter.DNS_TCP_QUERIES_RX);
                    onQuery(s.query(), 2, s.queryLength(), s.connection.remoteAddress(), s.connection.remotePort(), s,
                        nowNs);
                    break;
                case TOO_LONG:
                    counters.increment(Counter.DNS_DROP_TOO_LONG);
                    s.connection.abort();
                    abandon(s);
                    sessions.remove(i);
                    break;
                case END:
                    if (!s.waiting && !s.hasPendingOutput())
                    {
                        s.connection.close(); // RFC 7766 §6.2.3: the client closed; so do we
                        tcpOutput = true;
                        abandon(s);
                        sessions.remove(i);
                    }
                    break;
                default:
                    if (!s.waiting && !s.hasPendingOutput() && nowNs - s.lastActivityNs > config.tcpIdleTimeoutNs())
                    {
                        counters.increment(Counter.DNS_TCP_IDLE_CLOSED); // RFC 7766 §6.2.3: the server closes idle ones
                        s.connection.close();
                        tcpOutput = true;
                        abandon(s);
                        sessions.remove(i);
                    }
                    break;
            }
        }
        return work;
    }

    /** The session's query in flight, if any, is no longer wanted. */
    private void abandon(final GuestTcpSession s)
    {
        s.closed = true;
        for (final UpstreamQuery q : queries)
        {
            if (q.isActive() && q.session == s)
            {
                q.finish();
            }
        }
    }
}
