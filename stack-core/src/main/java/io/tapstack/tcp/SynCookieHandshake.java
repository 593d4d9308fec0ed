package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.ip.Ipv4Layer;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stateless half of a listener's handshake (RFC 4987 §3.6): when the half-open queue is full, a SYN is answered
 * with a SYN-ACK whose sequence number is a {@link SynCookies cookie} and, when the SYN carried timestamps, whose
 * TSval carries the window scale and SACK-permitted options the SYN asked for; nothing is kept. The ACK that brings
 * the cookie back (SEG.ACK - 1, and its TSecr) is checked here, and what it carried is left in this holder's fields
 * for the layer to make the connection with; an ACK without timestamps makes a connection with the MSS alone. Read RFC 4987 §3.6, RFC 7323 §2.2, §3.2 and RFC 2018 §2 first.
 * Allocation free. Owned by the stack thread.
 */
final class SynCookieHandshake
{
    private static final Logger LOG = LoggerFactory.getLogger(SynCookieHandshake.class);

    private final SynCookies cookies;
    private final TcpSegmentWriter writer;
    private final StackCounters counters;
    private final TcpConfig config;
    private final Ipv4Layer ipv4;
    private final int ourMss;
    /** The options of the SYN-ACK (one holder, reused). */
    private final TcpOptions sent = new TcpOptions();
    /** Tests only: when set, the timestamp clock of cookie connections uses this offset. */
    Integer fixedTsOffset;

    /** What the last cookie {@link #validate validated} carried: the ISS, the MSS, the options, the clock offset. */
    int iss;
    int mss;
    /** {@link SynCookies#tsOptions}, or {@link SynCookies#NO_TIMESTAMPS}. */
    int tsOptions;
    int tsOffset;

    SynCookieHandshake(final SynCookies cookies, final TcpSegmentWriter writer, final StackCounters counters,
        final TcpConfig config, final Ipv4Layer ipv4, final int ourMss)
    {
        this.cookies = cookies;
        this.writer = writer;
        this.counters = counters;
        this.config = config;
        this.ipv4 = ipv4;
        this.ourMss = ourMss;
    }

    /** The window a cookie's SYN-ACK announces: the whole receive buffer, unscaled as on every SYN (RFC 7323 §2.2). */
    static int synAckWindow(final TcpConfig config)
    {
        return Math.min(config.receiveBufferBytes(), TcpConnection.MAX_UNSCALED_WINDOW);
    }

    /**
     * The window scale our SYN-ACK offers: the shift every connection's receiver offers for this configuration
     * ({@link TcpReceiver#offeredWindShift}); a test checks they agree.
     */
    static int offeredWindShift(final TcpConfig config)
    {
        return TcpReceiver.windowShiftFor(config.receiveBufferMaxBytes());
    }

    /**
     * RFC 4987 §3.6: answers {@code syn} (to {@code listener}, from {@code source}) with a SYN-ACK that carries the
     * connection's state: the MSS in the cookie; with timestamps, the RFC 7323 and RFC 2018 options in the TSval.
     */
    void sendSynAck(final TcpListener listener, final int source, final TcpHeader syn, final TcpOptions synOptions,
        final long nowNs)
    {
        final int clientIsn = syn.sequenceNumber();
        final int peerMss = synOptions.mss > 0 ? synOptions.mss : TcpConnection.DEFAULT_PEER_MSS;
        // RFC 7323 §3.2: timestamps only if the SYN has them; §2.2 and RFC 2018 §2: likewise window scale and SACK
        final int options = config.timestamps() && synOptions.hasTimestamps
            ? SynCookies.tsOptions(config.windowScaling() ? synOptions.windowScale : -1,
                config.sack() && synOptions.sackPermitted)
            : SynCookies.NO_TIMESTAMPS;
        final int cookie = cookies.encode(ipv4.ourAddress(), listener.port(), source, syn.sourcePort(), clientIsn,
            Math.min(peerMss, ourMss), options, nowNs);
        final TcpOptions o = sent;
        o.clear();
        o.mss = ourMss;
        if (options != SynCookies.NO_TIMESTAMPS)
        {
            final int offset = fixedTsOffset != null ? fixedTsOffset
                : cookies.tsOffset(ipv4.ourAddress(), listener.port(), source, syn.sourcePort(), cookie, nowNs);
            o.hasTimestamps = true;
            o.tsVal = SynCookies.synAckTsVal(TcpTimestamps.clock(nowNs, offset), options);
            o.tsEcr = synOptions.tsVal;
            o.sackPermitted = SynCookies.sackPermittedOf(options);
            if (SynCookies.windowScaleOf(options) >= 0)
            {
                o.windowScale = offeredWindShift(config);
            }
            counters.increment(Counter.TCP_SYN_COOKIES_WITH_OPTIONS);
        }
        if (writer.sendControl(source, listener.port(), syn.sourcePort(), cookie, clientIsn + 1,
            TcpFlags.SYN | TcpFlags.ACK, synAckWindow(config), o, nowNs))
        {
            counters.increment(Counter.TCP_SYN_COOKIES_SENT);
            listener.lastCookieNs = nowNs;
        }
    }

    /** Linux's tcp_synq_no_recent_overflow: only soon after sending cookies is an ACK to a listener checked for one. */
    boolean mayComeBack(final TcpListener listener, final long nowNs)
    {
        return config.synCookies() && listener.lastCookieNs != Long.MIN_VALUE
            && nowNs - listener.lastCookieNs <= (SynCookies.MAX_AGE_SLOTS + 1) * SynCookies.SLOT_NS;
    }

    /**
     * RFC 4987 §3.6: checks that {@code ack} (to {@code listener}, from {@code source}) brings back one of our
     * cookies, with the options its TSecr echoes; on success the fields hold what the connection is made from.
     *
     * @return false when it is no valid cookie (counted): a forgery, a replay from elsewhere, too old, or a TSecr
     *     that is not the one our SYN-ACK sent
     */
    boolean validate(final TcpListener listener, final int source, final TcpHeader ack, final TcpOptions ackOptions,
        final long nowNs)
    {
        final int cookie = ack.acknowledgmentNumber() - 1;
        // with timestamps off our SYN-ACKs carry none, so a TSecr is no echo of ours (RFC 7323 §3.2: ignored)
        final boolean echoed = config.timestamps() && ackOptions.hasTimestamps;
        final int options = echoed ? SynCookies.tsOptionsOf(ackOptions.tsEcr) : SynCookies.NO_TIMESTAMPS;
        // RFC 7323 §3.2: an ACK without timestamps means they are not in use, whatever our SYN-ACK's TSval carried;
        // the cookie is valid with any options, and the connection gets its MSS alone (Linux: cookie_timestamp_decode)
        final int checked = echoed || !config.timestamps() ? options : SynCookies.ANY_OPTIONS;
        final int cookieMss = cookies.validate(ipv4.ourAddress(), listener.port(), source, ack.sourcePort(),
            ack.sequenceNumber() - 1, cookie, checked, nowNs);
        if (cookieMss < 0)
        {
            counters.increment(Counter.TCP_SYN_COOKIES_INVALID);
            return false;
        }
        if (checked == SynCookies.ANY_OPTIONS && cookies.lastTsOptions != SynCookies.NO_TIMESTAMPS)
        {
            counters.increment(Counter.TCP_SYN_COOKIES_OPTIONS_LOST);
            LOG.debug("a SYN cookie came back without the timestamps of its SYN-ACK: its connection has the MSS alone");
        }
        iss = cookie;
        mss = cookieMss;
        tsOptions = options;
        tsOffset = options == SynCookies.NO_TIMESTAMPS ? 0 : fixedTsOffset != null ? fixedTsOffset
            : cookies.tsOffset(ipv4.ourAddress(), listener.port(), source, ack.sourcePort(), cookie, nowNs);
        return true;
    }
}
