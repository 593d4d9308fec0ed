package io.tapstack.forward.dns;

import io.tapstack.forward.dns.DnsCounters.Counter;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * One guest query in flight to the host's resolvers, over a non-blocking host socket of its own (java.nio): a
 * connected UDP socket (its source port chosen by the host, and a fresh random ID, RFC 5452 §9.2), or a TCP
 * connection carrying the query with its two-octet length (RFC 1035 §4.2.2). An answer is taken only when its ID
 * and question match (RFC 5452 §9.1); a truncated UDP answer is asked again over TCP (RFC 7766 §5); each attempt
 * has a timeout, and attempts go round the resolvers in order. {@link #poll} moves it on without blocking; the
 * forwarder owns a fixed set of these, reused, so the number of host sockets is bounded. Owned by the stack thread.
 */
final class UpstreamQuery
{
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamQuery.class);
    /** Datagrams read from one query's socket per duty cycle. */
    private static final int MAX_DATAGRAMS_PER_POLL = 8;

    enum Status
    {
        /** Nothing to do until an answer or a deadline. */
        WAITING,
        /** {@link #answer()} holds a matching answer of {@link #answerLength()} octets. */
        ANSWERED,
        /** Every attempt failed: answer SERVFAIL. */
        FAILED
    }

    /** Where the query came from: a guest UDP port, or a guest TCP connection. */
    GuestTcpSession session;
    int guestAddress;
    int guestPort;
    int guestId;

    private final DnsCounters counters;
    private final byte[] queryBytes;
    private final UnsafeBuffer query;
    private final ByteBuffer queryOut;
    private final ByteBuffer lengthPrefix = ByteBuffer.allocate(2);
    /** Room for the largest DNS message (over TCP: 65,535 octets). */
    private final byte[] answerBytes = new byte[65535];
    private final UnsafeBuffer answer = new UnsafeBuffer(answerBytes);
    private final ByteBuffer answerIn = ByteBuffer.wrap(answerBytes);
    private final DnsMessage queryView = new DnsMessage();
    private final DnsMessage answerView = new DnsMessage();

    private boolean active;
    private int queryLength;
    private int upstreamId;
    private int attempt;
    private int attempts;
    private List<InetSocketAddress> resolvers;
    private long attemptTimeoutNs;
    private boolean tcpForTruncated;
    private long deadlineNs;
    private boolean overTcp;
    private DatagramChannel udp;
    private SocketChannel tcp;
    private boolean tcpConnected;
    private int tcpExpected;
    private int answerLength;

    UpstreamQuery(final int maxQueryBytes, final DnsCounters counters)
    {
        this.counters = counters;
        this.queryBytes = new byte[maxQueryBytes];
        this.query = new UnsafeBuffer(queryBytes);
        this.queryOut = ByteBuffer.wrap(queryBytes);
    }

    boolean isActive()
    {
        return active;
    }

    /**
     * Takes the validated {@code guestQuery} and sends it to the first resolver.
     *
     * @param upstreamId the ID the resolver sees (random; the guest's is put back into the answer)
     * @param overTcp ask over TCP from the start (the guest asked over TCP)
     */
    void start(final DnsMessage guestQuery, final int upstreamId, final boolean overTcp,
        final List<InetSocketAddress> resolvers, final DnsForwarderConfig config, final long nowNs)
    {
        this.active = true;
        this.queryLength = guestQuery.length();
        query.putBytes(0, guestQuery.buffer(), guestQuery.offset(), queryLength);
        this.guestId = guestQuery.id();
        this.upstreamId = upstreamId;
        queryView.wrap(query, 0, queryLength).id(upstreamId);
        queryView.validate();
        this.resolvers = resolvers;
        this.attempts = config.attempts();
        this.attemptTimeoutNs = config.attemptTimeoutNs();
        this.tcpForTruncated = config.tcpForTruncated();
        this.attempt = 0;
        this.overTcp = overTcp;
        this.answerLength = 0;
        send(nowNs);
    }

    /** The query as the guest sent it, ID aside (for SERVFAIL and TC answers built from it). */
    DnsMessage query()
    {
        return queryView;
    }

    UnsafeBuffer answer()
    {
        return answer;
    }

    /** When the current attempt times out. */
    long deadlineNs()
    {
        return deadlineNs;
    }

    int answerLength()
    {
        return answerLength;
    }

    /** Moves the query on at {@code nowNs}: reads what arrived, retries on timeout or error. */
    Status poll(final long nowNs)
    {
        if (!active)
        {
            return Status.WAITING;
        }
        try
        {
            if (overTcp ? pollTcp() : pollUdp(nowNs))
            {
                return Status.ANSWERED;
            }
        }
        catch (final IOException ex)
        {
            counters.increment(Counter.DNS_UPSTREAM_ERRORS);
            LOG.debug("DNS query to {} failed: {}", resolver(), ex.toString());
            return nextAttempt(nowNs);
        }
        if (nowNs - deadlineNs >= 0)
        {
            counters.increment(Counter.DNS_UPSTREAM_TIMEOUTS);
            LOG.debug("DNS query to {} timed out", resolver());
            return nextAttempt(nowNs);
        }
        return Status.WAITING;
    }

    /** Closes the host socket; the query is free for reuse. */
    void finish()
    {
        closeChannels();
        active = false;
        session = null;
    }

    private Status nextAttempt(final long nowNs)
    {
        closeChannels();
        attempt++;
        if (attempt >= attempts)
        {
            return Status.FAILED;
        }
        send(nowNs);
        return Status.WAITING;
    }

    private InetSocketAddress resolver()
    {
        return resolvers.get(attempt % resolvers.size());
    }

    private void send(final long nowNs)
    {
        deadlineNs = nowNs + attemptTimeoutNs;
        try
        {
            if (overTcp)
            {
                tcp = SocketChannel.open();
                tcp.configureBlocking(false);
                tcpConnected = tcp.connect(resolver());
                tcpExpected = -1;
                lengthPrefix.clear();
                lengthPrefix.putShort(0, (short)queryLength);
                queryOut.clear().limit(queryLength);
                answerIn.clear();
                counters.increment(Counter.DNS_UPSTREAM_TCP_TX);
            }
            else
            {
                udp = DatagramChannel.open();
                udp.configureBlocking(false);
                udp.connect(resolver());
                queryOut.clear().limit(queryLength);
                udp.write(queryOut);
                counters.increment(Counter.DNS_UPSTREAM_UDP_TX);
            }
        }
        catch (final IOException ex)
        {
            // the next poll tries the next resolver (or fails) once this attempt's deadline passes
            counters.increment(Counter.DNS_UPSTREAM_ERRORS);
            LOG.debug("cannot send a DNS query to {}: {}", resolver(), ex.toString());
            closeChannels();
            deadlineNs = nowNs;
        }
    }

    private boolean pollUdp(final long nowNs) throws IOException
    {
        if (udp == null)
        {
            return false;
        }
        for (int i = 0; i < MAX_DATAGRAMS_PER_POLL; i++)
        {
            answerIn.clear();
            final int n = udp.read(answerIn);
            if (n <= 0)
            {
                return false;
            }
            if (!matches(n))
            {
                continue;
            }
            if (answerView.isTruncated() && tcpForTruncated)
            {
                // RFC 7766 §5: the full answer over TCP, from the same resolver
                counters.increment(Counter.DNS_UPSTREAM_TRUNCATED);
                closeChannels();
                overTcp = true;
                send(nowNs);
                return false;
            }
            answerLength = n;
            return true;
        }
        return false; // more next cycle: a flood of wrong answers cannot hold the stack thread
    }

    private boolean pollTcp() throws IOException
    {
        if (tcp == null)
        {
            return false;
        }
        if (!tcpConnected)
        {
            if (!tcp.finishConnect())
            {
                return false;
            }
            tcpConnected = true;
        }
        if (lengthPrefix.hasRemaining() || queryOut.hasRemaining())
        {
            if (lengthPrefix.hasRemaining())
            {
                tcp.write(lengthPrefix);
            }
            if (!lengthPrefix.hasRemaining())
            {
                tcp.write(queryOut);
            }
            if (lengthPrefix.hasRemaining() || queryOut.hasRemaining())
            {
                return false;
            }
        }
        if (tcpExpected < 0)
        {
            answerIn.limit(2);
            if (tcp.read(answerIn) < 0)
            {
                throw new IOException("the resolver closed the connection before answering");
            }
            if (answerIn.position() < 2)
            {
                return false;
            }
            tcpExpected = answer.getShort(0, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            answerIn.clear().limit(tcpExpected);
        }
        if (tcp.read(answerIn) < 0 && answerIn.hasRemaining())
        {
            throw new IOException("the resolver closed the connection mid-answer");
        }
        if (answerIn.hasRemaining())
        {
            return false;
        }
        if (!matches(tcpExpected))
        {
            throw new IOException("the resolver's TCP answer does not match the query");
        }
        answerLength = tcpExpected;
        return true;
    }

    /** RFC 5452 §9.1: a response, with our ID and our question. */
    private boolean matches(final int length)
    {
        answerView.wrap(answer, 0, length);
        if (answerView.validate() == DnsMessage.Verdict.OK && answerView.isResponse()
            && answerView.id() == upstreamId && answerView.sameQuestion(queryView))
        {
            return true;
        }
        counters.increment(Counter.DNS_ANSWER_MISMATCH);
        return false;
    }

    private void closeChannels()
    {
        try
        {
            if (udp != null)
            {
                udp.close();
            }
            if (tcp != null)
            {
                tcp.close();
            }
        }
        catch (final IOException ex)
        {
            LOG.debug("closing a DNS socket: {}", ex.toString());
        }
        udp = null;
        tcp = null;
    }
}
