package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection: the RFC 9293 state machine. Read §3.3.2 (states), §3.10 (user calls and segment arrival, in
 * the order implemented below) and RFC 5961 (RST and SYN validation, challenge ACKs) first.
 *
 * <p>The work is split by job, as gVisor splits snd.go, rcv.go and connect.go: {@link TcpSender} (send sequence
 * space, segmentation, retransmission, persist, RTT, congestion control), {@link TcpReceiver} (receive sequence
 * space, reassembly, the announced window, delayed ACK), {@link TcpHandshake} (opening). This class keeps the user
 * calls, the §3.10.7.4 dispatcher and the state transitions. It emits segments through the {@link TcpOutput} it is
 * given and tells its {@link TcpConnectionOwner} about its life; it never calls its layer.
 *
 * <p>Owned by the stack thread; the application calls it from {@link TcpHandler} callbacks or, when it drives the
 * stack itself, between duty cycles.
 */
public final class TcpConnection
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpConnection.class);
    static final long NONE = Long.MAX_VALUE;
    /** RFC 9293 §3.7.1: the MSS to assume when the peer sends none. */
    static final int DEFAULT_PEER_MSS = 536;
    static final int MAX_UNSCALED_WINDOW = 65535;

    private final TcpConnectionOwner owner;
    private final TcpOutput output;
    private final TcpConfig config;
    private final StackCounters counters;
    /** The table's key: by remote address, or for a foreign local address (gateway mode) by that address. */
    final long key;
    /** Our address, or in gateway mode the address the peer connected to (then {@code foreign}). */
    private final int localAddress;
    final boolean foreign;
    private final int localPort;
    private final int remoteAddress;
    private final int remotePort;
    private final int ourMss;
    final TcpSender snd;
    final TcpReceiver rcv;
    private final TcpHandshake handshake;
    private final TcpTeardown teardown;
    private final TcpSegmentArrival arrival;
    private final TcpKeepAlive keepAlive;
    private final TcpTimestamps ts;
    private final TcpTimeouts timeouts;
    final IdleBufferRelease idleBuffers;

    private TcpState state = TcpState.CLOSED;
    private TcpHandler handler;
    /** The listener of a passive open until the application accepts the connection. */
    TcpListener listener;
    private String resetReason;
    /** Queued for output at the owner's next flush. */
    boolean dirty;
    /** The owner's slot for this connection (its timer id), -1 when it holds none (owned by {@link TcpLayer}). */
    int slot = -1;
    /** When the owner made this connection, in its count of connections made (owned by {@link TcpLayer}). */
    long sequence;
    /** The owner's duty cycle that last ran this connection's timers (owned by {@link TcpLayer}). */
    long timerRound;

    TcpConnection(final TcpConnectionOwner owner, final TcpOutput output, final TcpConfig config,
        final StackCounters counters, final int localAddress, final boolean foreign, final int localPort,
        final int remoteAddress, final int remotePort, final int ourMss, final int tsOffset)
    {
        this.owner = owner;
        this.output = output;
        this.config = config;
        this.counters = counters;
        this.localAddress = localAddress;
        this.foreign = foreign;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.key = TcpConnectionTable.key(localPort, foreign ? localAddress : remoteAddress, remotePort);
        this.ourMss = ourMss;
        this.ts = new TcpTimestamps(tsOffset);
        this.snd = new TcpSender(this, config, counters, ourMss, ts, owner.memory());
        this.rcv = new TcpReceiver(this, config, counters, ts, owner.memory());
        snd.receiver = rcv;
        this.handshake = new TcpHandshake(this, snd, rcv, ts, config, counters, ourMss);
        this.teardown = new TcpTeardown(this, snd, rcv, ts, config);
        this.arrival = new TcpSegmentArrival(this, snd, rcv, handshake, teardown, ts, config, counters);
        this.keepAlive = new TcpKeepAlive(this, snd, config, counters);
        this.timeouts = new TcpTimeouts(this, snd, handshake, counters);
        this.idleBuffers = new IdleBufferRelease(this, config.idleBuffers, counters, snd.sendBuffer, rcv);
    }

    /** Active open (RFC 9293 §3.10.1): send SYN, enter SYN-SENT. */
    void open(final int isn, final long nowNs)
    {
        handshake.open(isn, nowNs);
    }

    /** Passive open on a SYN for a listener (RFC 9293 §3.10.7.2): send SYN-ACK, enter SYN-RECEIVED. */
    void acceptSyn(final TcpListener listener, final TcpHeader seg, final TcpOptions options, final int isn,
        final long nowNs)
    {
        this.listener = listener;
        handshake.acceptSyn(seg, options, isn, nowNs);
    }

    /**
     * RFC 4987 §3.6: the ACK of a SYN-ACK that carried a cookie; the handshake completes from what the cookie kept
     * (ISS, MSS, and the options its TSval carried: {@link SynCookies#tsOptions}), then the segment goes through
     * ESTABLISHED's steps for any text it carries.
     */
    void acceptCookie(final TcpListener listener, final TcpHeader seg, final TcpOptions options, final int iss,
        final int mss, final int tsOptions, final long nowNs)
    {
        this.listener = listener;
        handshake.acceptCookie(seg, options, iss, mss, tsOptions, nowNs);
        onSegment(seg, options, nowNs);
    }

    /** RFC 4987 §3.4: a half-open connection recycled for a newer SYN goes quietly (no RST to a likely spoof). */
    void forget(final long nowNs)
    {
        terminate(TcpState.CLOSED, nowNs);
    }

    // ------------------------------------------------------------------------------------------------ user API

    public TcpState state()
    {
        // in TIME-WAIT the owner keeps only a record (TimeWaitTable): the connection is CLOSED once that is gone
        return state == TcpState.TIME_WAIT && !owner.timeWaits().holds(this) ? TcpState.CLOSED : state;
    }

    public int localAddress()
    {
        return localAddress;
    }

    public int localPort()
    {
        return localPort;
    }

    public int remoteAddress()
    {
        return remoteAddress;
    }

    public int remotePort()
    {
        return remotePort;
    }

    public TcpConnection handler(final TcpHandler handler)
    {
        this.handler = handler;
        return this;
    }

    public TcpHandler handler()
    {
        return handler;
    }

    /** Why the connection was reset ("connection refused", "reset by peer", "user timeout", ...), or null. */
    public String resetReason()
    {
        return resetReason;
    }

    /** Nagle's algorithm on or off for this connection (RFC 9293 §3.7.4); TCP_NODELAY is {@code nagle(false)}. */
    public TcpConnection nagle(final boolean enabled)
    {
        snd.nagle = enabled;
        markDirty();
        return this;
    }

    public boolean nagle()
    {
        return snd.nagle;
    }

    /** This connection's congestion control, chosen before it sends data (else IllegalStateException). */
    public TcpConnection congestionControl(final CongestionAlgorithm algorithm)
    {
        return handshake.congestionControl(algorithm, owner.nowNs());
    }

    /** Keep-alive probes on or off for this connection (RFC 1122 §4.2.3.6; SO_KEEPALIVE); see {@link TcpConfig}. */
    public TcpConnection keepAlive(final boolean enabled)
    {
        keepAlive.enabled(enabled, owner.nowNs());
        markDirty(); // the owner learns the new deadline at its next flush
        return this;
    }

    public boolean keepAlive()
    {
        return keepAlive.enabled();
    }

    /**
     * Queues up to {@code length} bytes to send; returns how many were taken (only what the send buffer has room
     * for: back-pressure). Writing is allowed from SYN-SENT on (§3.10.2: data queued until established).
     *
     * @return bytes taken, or -1 when the connection can no longer send (closed, reset, output shut down)
     */
    public int write(final DirectBuffer src, final int offset, final int length)
    {
        if (!isOutputOpen())
        {
            return -1;
        }
        return afterWrite(snd.sendBuffer.append(src, offset, length));
    }

    public int write(final byte[] src, final int offset, final int length)
    {
        if (!isOutputOpen())
        {
            return -1;
        }
        return afterWrite(snd.sendBuffer.append(src, offset, length));
    }

    private int afterWrite(final int taken)
    {
        if (taken > 0)
        {
            markDirty();
        }
        return taken;
    }

    private boolean canSend()
    {
        return state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED || state == TcpState.ESTABLISHED
            || state == TcpState.CLOSE_WAIT;
    }

    /** Room left in the send buffer. */
    public int writable()
    {
        return isOutputOpen() ? snd.sendBuffer.free() : 0;
    }

    /** True while {@link #write} can take bytes (when there is room): not closed, reset or shut down for output. */
    public boolean isOutputOpen()
    {
        return canSend() && !snd.finQueued;
    }

    /** Bytes ready to read. */
    public int readable()
    {
        return rcv.receiveBuffer.size();
    }

    /**
     * Reads up to {@code length} bytes.
     *
     * @return bytes read; 0 when none are buffered yet; -1 at end of stream (the peer's FIN, all bytes read)
     */
    public int read(final MutableDirectBuffer dst, final int offset, final int length)
    {
        return afterRead(rcv.receiveBuffer.read(dst, offset, length));
    }

    public int read(final byte[] dst, final int offset, final int length)
    {
        return afterRead(rcv.receiveBuffer.read(dst, offset, length));
    }

    private int afterRead(final int n)
    {
        // receive autotuning, and a window update as soon as the freed space is worth announcing
        if (n > 0 && rcv.onApplicationRead(n, snd.sendMss, state.canReceive(), owner.nowNs()))
        {
            markDirty();
        }
        if (n > 0 && rcv.receiveBuffer.isEmpty() && idleBuffers.onEmptied(owner.nowNs()))
        {
            markDirty(); // the owner learns the new deadline at its next flush
        }
        return n > 0 ? n : rcv.isEndOfStream() ? -1 : 0;
    }

    /** True once the peer's FIN arrived and every byte before it was read. */
    public boolean isEndOfStream()
    {
        return rcv.isEndOfStream();
    }

    /** Sends FIN after the queued bytes; reading goes on (half-close, RFC 9293 §3.10.4). */
    public void shutdownOutput()
    {
        teardown.shutdownOutput(owner.nowNs());
    }

    /**
     * Closes both directions. Unread data, or data arriving later, resets the connection (RFC 1122 §4.2.2.13);
     * otherwise a FIN follows the queued bytes.
     */
    public void close()
    {
        teardown.close(owner.nowNs());
    }

    /** Sends RST and forgets the connection at once (RFC 9293 §3.10.5). */
    public void abort()
    {
        teardown.abort(null, false, owner.nowNs());
    }

    // ------------------------------------------------------------------------------------------------ arrival

    /** RFC 9293 §3.10.7: a validated segment for this connection. */
    void onSegment(final TcpHeader seg, final TcpOptions options, final long nowNs)
    {
        keepAlive.onHeard(nowNs);
        switch (state)
        {
            case SYN_SENT:
                handshake.onSegmentInSynSent(seg, options, nowNs);
                break;
            case CLOSED:
            case LISTEN:
                break;
            default:
                arrival.onSegment(seg, options, nowNs);
        }
        if (state != TcpState.CLOSED)
        {
            output(nowNs);
        }
    }

    /** Data or FIN riding on a SYN-ACK (RFC 9293 §3.10.7.3 fourth, sixth) goes through §3.10.7.4's text steps. */
    void acceptTextOnSynAck(final TcpHeader seg, final long nowNs)
    {
        arrival.acceptTextOnSynAck(seg, nowNs);
    }

    /** RFC 9293 §3.10.7: reset (by the peer, refused, timed out): CLOSED, and the application is told. */
    void resetBy(final String reason, final long nowNs)
    {
        resetReason = reason;
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{}: {}", this, reason);
        }
        terminate(TcpState.CLOSED, nowNs);
        if (handler != null)
        {
            handler.onReset(this);
        }
    }

    /** CLOSED after an abort: the reason kept for the application, which is told if {@code notify}. */
    void resetWith(final String reason, final boolean notify, final long nowNs)
    {
        if (reason != null)
        {
            resetReason = reason;
        }
        terminate(TcpState.CLOSED, nowNs);
        if (notify && handler != null)
        {
            handler.onReset(this);
        }
    }

    // ------------------------------------------------------------------------------------------------ output

    /** Sends what the windows, Nagle and the ACK policy allow now. */
    void output(final long nowNs)
    {
        dirty = false;
        if (state == TcpState.CLOSED || state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED)
        {
            if (rcv.ackNow && state == TcpState.SYN_RECEIVED)
            {
                emit(snd.sndUna, 0, TcpFlags.SYN | TcpFlags.ACK, nowNs);
            }
            rcv.ackNow = false;
            return;
        }
        if (state != TcpState.TIME_WAIT)
        {
            snd.sendData(nowNs);
        }
        if (rcv.ackNow)
        {
            // RFC 9293 §3.3.1: a pure ACK carries the highest sequence number sent (SND.NXT before go-back-N, and
            // past a zero-window probe byte the peer may have taken), or a peer that received everything finds it
            // unacceptable and ignores its ACK field; a zero-window peer that dropped the probe byte takes it
            // through the special allowance of §3.10.7.4
            emit(snd.sndMax, 0, TcpFlags.ACK, nowNs);
        }
    }

    /**
     * Emits one segment: {@code length} bytes of data from sequence number {@code seq} with the receiver's ACK and
     * window. SYN segments carry our MSS option (and the RFC 7323 options offered); timestamps, once negotiated, go
     * on every segment.
     */
    boolean emit(final int seq, final int length, final int flags, final long nowNs)
    {
        final boolean syn = (flags & TcpFlags.SYN) != 0;
        final boolean windowOpen = state.isSynchronized() || state == TcpState.SYN_RECEIVED
            || state == TcpState.SYN_SENT;
        final int window = rcv.advertiseWindow(windowOpen, snd.sendMss, syn);
        final boolean sent = output.sendSegment(this, seq, rcv.rcvNxt, flags, window,
            handshake.optionsFor(syn, length, nowNs), snd.sendBuffer, length > 0 ? SeqNum.diff(seq, snd.dataStart) : 0,
            length, nowNs);
        if (sent)
        {
            if ((flags & TcpFlags.ACK) != 0)
            {
                rcv.onAckSent(nowNs);
                ts.lastAckSent = rcv.rcvNxt; // RFC 7323 §4.3: Last.ACK.sent
            }
            snd.lastSendNs = nowNs;
        }
        return sent;
    }

    /** A reset with {@code seq} and no ACK (RFC 9293 §3.10.7: for aborts, timeouts and unacceptable ACKs). */
    void sendReset(final int seq, final long nowNs)
    {
        output.sendReset(localAddress, remoteAddress, localPort, remotePort, seq, nowNs);
    }

    /** The sender sent our FIN. */
    void onFinSent(final long nowNs)
    {
        teardown.onFinSent(nowNs);
    }

    // ------------------------------------------------------------------------------------------------ timers

    long nextDeadlineNs()
    {
        return Math.min(Math.min(Math.min(snd.lossDeadlineNs(), rcv.delayedAckDeadline), Math.min(snd.persist.deadline,
            teardown.closeDeadline)), Math.min(keepAlive.deadlineNs, idleBuffers.deadlineNs));
    }

    /** Runs the timers that are due. */
    void onTimer(final long nowNs)
    {
        if (teardown.closeDeadline <= nowNs && teardown.onCloseTimeout(nowNs))
        {
            return;
        }
        if (snd.rack.deadlineNs() <= nowNs)
        {
            snd.rack.onTimer(nowNs); // RFC 8985 §6.2 step 5's reordering timer, §7.3's probe (which re-arms the RTO)
        }
        if (snd.rtoDeadline <= nowNs)
        {
            snd.rtoDeadline = NONE;
            timeouts.onRetransmissionTimeout(nowNs);
            if (state == TcpState.CLOSED)
            {
                return;
            }
        }
        if (snd.persist.deadline <= nowNs)
        {
            snd.persist.deadline = NONE;
            if (!snd.persist.onTimeout(state.isSynchronized(), nowNs))
            {
                timeouts.userTimeout(false, "user timeout: zero-window probes unanswered", nowNs);
            }
        }
        if (keepAlive.deadlineNs <= nowNs && !keepAlive.onTimeout(nowNs))
        {
            timeouts.userTimeout(false, "connection timed out: keep-alive probes unanswered", nowNs);
        }
        if (rcv.delayedAckDeadline <= nowNs)
        {
            rcv.delayedAckDeadline = NONE;
            rcv.ackNow = true;
        }
        if (idleBuffers.deadlineNs <= nowNs)
        {
            idleBuffers.onTimer(nowNs);
        }
        output(nowNs);
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    TcpEventListener events()
    {
        return owner.events();
    }

    /** The state this connection holds (unlike {@link #state()}, which reports an ended TIME-WAIT record). */
    TcpState currentState()
    {
        return state;
    }

    TcpConnectionOwner owner()
    {
        return owner;
    }

    TcpConfig config()
    {
        return config;
    }

    void transition(final TcpState to, final long nowNs)
    {
        final TcpState from = state;
        state = to;
        if (to == TcpState.ESTABLISHED)
        {
            keepAlive.onEstablished(nowNs);
        }
        else if (to == TcpState.TIME_WAIT || to == TcpState.CLOSED)
        {
            snd.sendBuffer.dispose(); // nothing more will be sent: the buffers' memory goes back to the account
            rcv.onClosed();
            idleBuffers.stop();
        }
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{} {} -> {}", this, from, to);
        }
        owner.events().onStateChange(this, from, to, nowNs);
    }

    void terminate(final TcpState to, final long nowNs)
    {
        if (state == TcpState.SYN_RECEIVED && listener != null)
        {
            listener.onHalfOpenGone(this);
        }
        if (listener != null)
        {
            listener.remove(this);
        }
        if (state != to)
        {
            transition(to, nowNs);
        }
        snd.stopTimers();
        rcv.delayedAckDeadline = NONE;
        teardown.closeDeadline = NONE;
        keepAlive.deadlineNs = NONE;
        owner.closed(this);
    }

    void notifyConnected()
    {
        if (handler != null)
        {
            handler.onConnected(this);
        }
    }

    /** A passive open completed: the listener queues it for accept; an active one (simultaneous open) is told. */
    void notifyEstablished()
    {
        final TcpListener l = listener;
        if (l != null)
        {
            l.onEstablished(this);
        }
        else
        {
            notifyConnected();
        }
    }

    /** Acknowledged data left the send buffer: an application waiting for room may write again. */
    void onSendBufferFreed()
    {
        if (handler != null && canSend())
        {
            handler.onWritable(this);
        }
    }

    void notifyEndOfStream()
    {
        if (handler != null)
        {
            handler.onEndOfStream(this);
        }
    }

    void notifyClosed()
    {
        if (handler != null)
        {
            handler.onClosed(this);
        }
    }

    void detachFromListener()
    {
        listener = null;
    }

    void markDirty()
    {
        owner.markDirty(this);
    }

    // ------------------------------------------------------------------------------------------------ views

    public int sndUna()
    {
        return snd.sndUna;
    }

    public int sndNxt()
    {
        return snd.sndNxt;
    }

    public int sndMax()
    {
        return snd.sndMax;
    }

    public int sndWnd()
    {
        return snd.sndWnd;
    }

    public int rcvNxt()
    {
        return rcv.rcvNxt;
    }

    public int iss()
    {
        return snd.iss;
    }

    public int sendMss()
    {
        return snd.sendMss;
    }

    public int cwnd()
    {
        return snd.cc.cwnd();
    }

    public int ssthresh()
    {
        return snd.cc.ssthresh();
    }

    public long rtoNs()
    {
        return snd.rtt.rtoNs();
    }

    public long srttNs()
    {
        return snd.rtt.srttNs();
    }

    /** Bytes written but not yet acknowledged (in flight or waiting). */
    public int sendBuffered()
    {
        return snd.sendBuffer.size();
    }

    @Override
    public String toString()
    {
        return "tcp " + (foreign ? Ipv4Address.toString(localAddress) + ":" : "") + localPort + " <-> "
            + Ipv4Address.toString(remoteAddress) + ":" + remotePort;
    }
}
