package io.tapstack.ip;

import io.tapstack.StackConfig;
import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteOrder;

/**
 * ICMP for IPv4. Read RFC 792 and RFC 1122 §3.2.2 (when a host must not send an error) first.
 *
 * <p>Answers echo requests by copying the request into the reply and patching type and checksum (RFC 1624);
 * sends echo requests and reports replies with their RTT; sends rate-limited errors. Owned by the stack
 * thread.
 */
public final class IcmpLayer implements Ipv4Transport
{
    private static final Logger LOG = LoggerFactory.getLogger(IcmpLayer.class);
    /** RFC 1812 §4.3.2.3: an error quotes as much of the datagram as fits in 576 bytes. */
    private static final int MAX_ERROR_DATAGRAM = 576;
    private static final long NS_PER_TOKEN = 1_000_000_000L;

    private final Ipv4Layer ipv4;
    private final StackCounters counters;
    private final boolean answerBroadcastPing;
    private final IcmpMessage message = new IcmpMessage();
    private final IcmpMessage reply = new IcmpMessage();
    private final Ipv4Header quoted = new Ipv4Header();
    /** A rebuilt datagram head (IP header + 8 bytes) for errors about datagrams no longer at hand. */
    private final UnsafeBuffer rebuilt = new UnsafeBuffer(new byte[Ipv4Header.MIN_HEADER_LENGTH + 8]);
    private EchoListener echoListener;

    // token bucket for errors, in token-nanoseconds: one token is NS_PER_TOKEN
    private final long errorRatePerSecond;
    private final long errorBucketCapacity;
    private long errorTokens;
    private long errorRefillNs = Long.MIN_VALUE;

    public IcmpLayer(final StackConfig config, final Ipv4Layer ipv4, final StackCounters counters)
    {
        this.ipv4 = ipv4;
        this.counters = counters;
        this.answerBroadcastPing = config.answerBroadcastPing();
        this.errorRatePerSecond = config.icmpErrorsPerSecond();
        this.errorBucketCapacity = config.icmpErrorBurst() * NS_PER_TOKEN;
        this.errorTokens = errorBucketCapacity;
    }

    public void echoListener(final EchoListener listener)
    {
        this.echoListener = listener;
    }

    /** One received ICMP message inside {@code datagram}. */
    @Override
    public void onPacket(final Ipv4Header datagram, final boolean broadcast, final long nowNs)
    {
        counters.increment(Counter.ICMP_RX);
        final MutableDirectBuffer buffer = datagram.buffer();
        final int offset = datagram.payloadOffset();
        final int length = datagram.payloadLength();
        message.wrap(buffer, offset, length);
        switch (message.validate())
        {
            case OK:
                break;
            case TOO_SHORT:
                counters.increment(Counter.ICMP_DROP_TOO_SHORT);
                LOG.debug("dropped a {}-byte ICMP message: too short", length);
                return;
            default:
                counters.increment(Counter.ICMP_DROP_BAD_CHECKSUM);
                LOG.debug("dropped an ICMP message: checksum does not verify");
                return;
        }
        switch (message.type())
        {
            case IcmpMessage.TYPE_ECHO_REQUEST:
                counters.increment(Counter.ICMP_ECHO_REQUESTS_RX);
                if (broadcast && !answerBroadcastPing)
                {
                    counters.increment(Counter.ICMP_DROP_BROADCAST_ECHO);
                    return;
                }
                answerEcho(datagram.source(), buffer, offset, length, nowNs);
                break;
            case IcmpMessage.TYPE_ECHO_REPLY:
                counters.increment(Counter.ICMP_ECHO_REPLIES_RX);
                onEchoReply(datagram.source(), nowNs);
                break;
            case IcmpMessage.TYPE_DESTINATION_UNREACHABLE:
            case IcmpMessage.TYPE_TIME_EXCEEDED:
            case IcmpMessage.TYPE_PARAMETER_PROBLEM:
                counters.increment(Counter.ICMP_ERRORS_RX);
                if (LOG.isDebugEnabled())
                {
                    LOG.debug("ICMP error type {} code {} from {}", message.type(), message.code(),
                        Ipv4Address.toString(datagram.source()));
                }
                if (!broadcast)
                {
                    // RFC 1122 §3.2.2: an error goes up to the protocol that sent the datagram it quotes
                    ipv4.onIcmpError(message.type(), message.code(), buffer, message.dataOffset(),
                        message.dataLength(), nowNs);
                }
                break;
            default:
                counters.increment(Counter.ICMP_DROP_UNKNOWN_TYPE);
                LOG.debug("ignored ICMP type {}", message.type());
        }
    }

    private void answerEcho(final int requester, final MutableDirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        final int payload = ipv4.beginDatagram(requester, IpProtocol.ICMP, length, nowNs);
        if (payload < 0)
        {
            return;
        }
        final MutableDirectBuffer out = ipv4.transmitBuffer();
        out.putBytes(payload, buffer, offset, length);
        reply.wrap(out, payload, length);
        // RFC 792: the reply is the request with type 0; RFC 1624 patches the checksum for that one word
        final int oldWord = (IcmpMessage.TYPE_ECHO_REQUEST << 8) | reply.code();
        final int newWord = (IcmpMessage.TYPE_ECHO_REPLY << 8) | reply.code();
        reply.type(IcmpMessage.TYPE_ECHO_REPLY);
        final int adjusted = Checksum.adjust(reply.checksum(), oldWord, newWord);
        if (adjusted == 0)
        {
            // all-zero message: eqn. 3 yields -0 (0x0000), which does not verify; recompute to get 0xFFFF
            reply.updateChecksum();
        }
        else
        {
            reply.checksum(adjusted);
        }
        ipv4.commitDatagram(nowNs);
        counters.increment(Counter.ICMP_TX);
        counters.increment(Counter.ICMP_ECHO_REPLIES_TX);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("echo request {} from {} ({} bytes): replied", message.sequence(), Ipv4Address.toString(requester),
                length);
        }
    }

    private void onEchoReply(final int source, final long nowNs)
    {
        final EchoListener listener = echoListener;
        if (listener == null)
        {
            return;
        }
        final int dataLength = message.dataLength();
        // the request carries the time it was sent; whoever drives the stack must not hand a cycle that reads a
        // reply an older time than the one that sent its request (a TAP answers within microseconds)
        final long rttNs = dataLength >= 8
            ? nowNs - message.buffer().getLong(message.dataOffset(), ByteOrder.BIG_ENDIAN)
            : -1;
        listener.onEchoReply(source, message.identifier(), message.sequence(), dataLength, rttNs);
    }

    /**
     * Sends an echo request whose data begins with the send time (for the RTT) followed by a byte pattern.
     *
     * @return false when it could not be sent (no route, no buffer)
     */
    public boolean sendEchoRequest(final int destination, final int identifier, final int sequence,
        final int dataLength, final long nowNs)
    {
        final int length = IcmpMessage.HEADER_LENGTH + dataLength;
        final int payload = ipv4.beginDatagram(destination, IpProtocol.ICMP, length, nowNs);
        if (payload < 0)
        {
            return false;
        }
        final MutableDirectBuffer out = ipv4.transmitBuffer();
        reply.wrap(out, payload, length)
            .type(IcmpMessage.TYPE_ECHO_REQUEST)
            .code(0)
            .identifier(identifier)
            .sequence(sequence);
        final int data = payload + IcmpMessage.HEADER_LENGTH;
        int i = 0;
        if (dataLength >= 8)
        {
            out.putLong(data, nowNs, ByteOrder.BIG_ENDIAN);
            i = 8;
        }
        for (; i < dataLength; i++)
        {
            out.putByte(data + i, (byte)i);
        }
        reply.updateChecksum();
        ipv4.commitDatagram(nowNs);
        counters.increment(Counter.ICMP_TX);
        counters.increment(Counter.ICMP_ECHO_REQUESTS_TX);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("echo request {} to {}", sequence, Ipv4Address.toString(destination));
        }
        return true;
    }

    /**
     * Sends an ICMP error about the datagram at {@code ipOffset}, unless RFC 1122 §3.2.2 forbids one or the
     * rate limit is reached. The caller has already excluded broadcast destinations.
     */
    public void sendError(final int type, final int code, final MutableDirectBuffer buffer, final int ipOffset,
        final int ipLength, final long nowNs)
    {
        quoted.wrap(buffer, ipOffset, ipLength);
        if ((quoted.flagsAndFragmentOffset() & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0)
        {
            return; // RFC 1122 §3.2.2: not about a non-initial fragment
        }
        if (quoted.protocol() == IpProtocol.ICMP && quoted.payloadLength() >= 1)
        {
            final int quotedType = buffer.getByte(quoted.payloadOffset()) & 0xFF;
            if (quotedType != IcmpMessage.TYPE_ECHO_REQUEST && quotedType != IcmpMessage.TYPE_ECHO_REPLY)
            {
                return; // RFC 1122 §3.2.2: never an error about an error
            }
        }
        if (!takeErrorToken(nowNs))
        {
            counters.increment(Counter.ICMP_ERRORS_RATE_LIMITED);
            return;
        }
        final int quotedLength = Math.min(ipLength,
            MAX_ERROR_DATAGRAM - Ipv4Header.MIN_HEADER_LENGTH - IcmpMessage.HEADER_LENGTH);
        final int length = IcmpMessage.HEADER_LENGTH + quotedLength;
        final int payload = ipv4.beginDatagram(quoted.source(), IpProtocol.ICMP, length, nowNs);
        if (payload < 0)
        {
            return;
        }
        final MutableDirectBuffer out = ipv4.transmitBuffer();
        out.putBytes(payload + IcmpMessage.HEADER_LENGTH, buffer, ipOffset, quotedLength);
        reply.wrap(out, payload, length).type(type).code(code).restOfHeader(0).updateChecksum();
        ipv4.commitDatagram(nowNs);
        counters.increment(Counter.ICMP_TX);
        counters.increment(Counter.ICMP_ERRORS_TX);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("sent ICMP type {} code {} to {}", type, code, Ipv4Address.toString(quoted.source()));
        }
    }

    /**
     * Sends an ICMP error about a datagram that is no longer at hand (a SYN a forwarding engine held, a datagram it
     * forwarded): its IP header is rebuilt from the addresses and protocol, followed by the first 8 bytes of its
     * transport header at {@code transportHeader}, which is what RFC 792 quotes (the internet header plus 64 bits of
     * data) and what the receiver matches its socket by. Sent from our address, as a router sends it (RFC 1812
     * §4.3.2.4), with the same rules and rate limit as {@link #sendError(int, int, MutableDirectBuffer, int, int,
     * long)}.
     */
    public void sendErrorAbout(final int type, final int code, final int source, final int destination,
        final int protocol, final DirectBuffer transportHeader, final int offset, final long nowNs)
    {
        final int length = Ipv4Header.MIN_HEADER_LENGTH + 8;
        Ipv4Header.write(rebuilt, 0, length, 0, 0, 64, protocol, source, destination);
        rebuilt.putBytes(Ipv4Header.MIN_HEADER_LENGTH, transportHeader, offset, 8);
        sendError(type, code, rebuilt, 0, length, nowNs);
    }

    /** RFC 792 / RFC 1122 §3.3.2: time exceeded (code 1) when fragment zero arrived but the rest did not. */
    void onReassemblyTimeout(final MutableDirectBuffer buffer, final int headerOffset, final int available,
        final long nowNs)
    {
        sendError(IcmpMessage.TYPE_TIME_EXCEEDED, IcmpMessage.CODE_REASSEMBLY_TIME_EXCEEDED, buffer, headerOffset,
            available, nowNs);
    }

    private boolean takeErrorToken(final long nowNs)
    {
        if (errorRefillNs == Long.MIN_VALUE)
        {
            errorRefillNs = nowNs;
        }
        final long elapsed = Math.min(nowNs - errorRefillNs, 60_000_000_000L);
        errorRefillNs = nowNs;
        errorTokens = Math.min(errorBucketCapacity, errorTokens + elapsed * errorRatePerSecond);
        if (errorTokens < NS_PER_TOKEN)
        {
            return false;
        }
        errorTokens -= NS_PER_TOKEN;
        return true;
    }
}
