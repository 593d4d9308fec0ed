package io.tapstack.tcp;

import io.tapstack.wire.TcpFlags;

import static io.tapstack.tcp.TcpConnection.NONE;

/**
 * Closing a connection: half-close, close and abort from the application, our FIN acknowledged, the peer's FIN,
 * TIME-WAIT and the FIN-WAIT-2 timeout. Read RFC 9293 §3.6 (closing, figures 12-14), §3.10.4 (CLOSE), §3.10.5
 * (ABORT), §3.10.7.4 fifth and eighth (FIN states), and RFC 1122 §4.2.2.13 first. Owned by the stack thread.
 */
final class TcpTeardown
{
    private final TcpConnection connection;
    private final TcpSender snd;
    private final TcpReceiver rcv;
    private final TcpTimestamps ts;
    private final TcpConfig config;

    /** The application closed the connection: data arriving from now on resets it (RFC 1122 §4.2.2.13). */
    boolean appClosed;
    /** TIME-WAIT's 2·MSL, or FIN-WAIT-2's timeout after close (absolute ns, NONE when off). */
    long closeDeadline = NONE;

    TcpTeardown(final TcpConnection connection, final TcpSender snd, final TcpReceiver rcv, final TcpTimestamps ts,
        final TcpConfig config)
    {
        this.connection = connection;
        this.snd = snd;
        this.rcv = rcv;
        this.ts = ts;
        this.config = config;
    }

    /** RFC 9293 §3.10.4: the FIN goes after the queued bytes; reading goes on (half-close). */
    void shutdownOutput(final long nowNs)
    {
        if (snd.finQueued)
        {
            return;
        }
        switch (connection.state())
        {
            case SYN_SENT:
                // nothing was sent yet that needs closing: RFC 9293 §3.10.4 "delete the TCB"
                connection.terminate(TcpState.CLOSED, nowNs);
                return;
            case SYN_RECEIVED:
            case ESTABLISHED:
            case CLOSE_WAIT:
                snd.queueFin();
                connection.markDirty();
                return;
            default:
        }
    }

    /**
     * RFC 9293 §3.10.4 and RFC 1122 §4.2.2.13: closes both directions. Unread data resets the connection; otherwise
     * a FIN follows the queued bytes.
     */
    void close(final long nowNs)
    {
        appClosed = true;
        final TcpState state = connection.state();
        if (state == TcpState.CLOSED || state == TcpState.TIME_WAIT)
        {
            return;
        }
        if (!rcv.receiveBuffer.isEmpty())
        {
            abort("closed with unread data", true, nowNs);
            return;
        }
        shutdownOutput(nowNs);
    }

    /**
     * RFC 9293 §3.10.5: a RST if the peer knows of us (not in TIME-WAIT: "respond with ok and delete the TCB"), then
     * CLOSED; the application is told if {@code notify}.
     */
    void abort(final String reason, final boolean notify, final long nowNs)
    {
        final TcpState state = connection.state();
        if ((state.isSynchronized() && state != TcpState.TIME_WAIT) || state == TcpState.SYN_RECEIVED)
        {
            connection.sendReset(snd.resetSeq(), nowNs);
        }
        connection.resetWith(reason, notify, nowNs);
    }

    /** The sender sent our FIN (RFC 9293 §3.10.4): ESTABLISHED → FIN-WAIT-1, CLOSE-WAIT → LAST-ACK. */
    void onFinSent(final long nowNs)
    {
        final TcpState state = connection.state();
        if (state == TcpState.ESTABLISHED || state == TcpState.SYN_RECEIVED)
        {
            connection.transition(TcpState.FIN_WAIT_1, nowNs);
        }
        else if (state == TcpState.CLOSE_WAIT)
        {
            connection.transition(TcpState.LAST_ACK, nowNs);
        }
    }

    /**
     * RFC 9293 §3.10.7.4 fifth: what an acceptable ACK means in the closing states.
     *
     * @return false when the connection closed and the segment is done with
     */
    boolean onAck(final long nowNs)
    {
        if (!snd.finAcked())
        {
            return true;
        }
        switch (connection.state())
        {
            case FIN_WAIT_1:
                connection.transition(TcpState.FIN_WAIT_2, nowNs);
                if (appClosed)
                {
                    closeDeadline = nowNs + config.finWait2TimeoutNs();
                }
                return true;
            case CLOSING:
                enterTimeWait(nowNs, true);
                return true;
            case LAST_ACK:
                connection.terminate(TcpState.CLOSED, nowNs);
                connection.notifyClosed();
                return false;
            default:
                return true;
        }
    }

    /** RFC 9293 §3.10.7.4 eighth: the FIN, once every byte before it has arrived. */
    void onPeerFin(final long nowNs)
    {
        if (!rcv.consumePeerFin())
        {
            return;
        }
        boolean closedHere = false;
        switch (connection.state())
        {
            case SYN_RECEIVED:
            case ESTABLISHED:
                connection.transition(TcpState.CLOSE_WAIT, nowNs);
                break;
            case FIN_WAIT_1:
                if (snd.finAcked())
                {
                    enterTimeWait(nowNs, false);
                    closedHere = true;
                }
                else
                {
                    connection.transition(TcpState.CLOSING, nowNs);
                }
                break;
            case FIN_WAIT_2:
                enterTimeWait(nowNs, false);
                closedHere = true;
                break;
            default:
        }
        connection.notifyEndOfStream();
        if (closedHere)
        {
            connection.notifyClosed(); // after the end of stream: the owner hears "end" before "closed"
        }
    }

    /**
     * RFC 9293 §3.6.1: TIME-WAIT. The peer's FIN is acknowledged now, by the connection; then the connection leaves
     * a light record in its owner's {@link TimeWaitTable} ({@link TcpTimeWait} answers what arrives for 2·MSL) and
     * goes: its buffers and its slot are freed, its handle reports TIME-WAIT while the record lasts.
     */
    private void enterTimeWait(final long nowNs, final boolean notify)
    {
        final TcpConnectionOwner owner = connection.owner();
        final TimeWaitTable records = owner.timeWaits();
        final int slot = records.add(connection, nowNs + config.timeWaitNs(), nowNs);
        if (slot < 0)
        {
            // no TIME-WAIT at all (a bound of 0, counted; Linux's tw bucket overflow): the risk is an old duplicate
            // segment meeting a new incarnation of this 4-tuple within 2·MSL. The FIN is still acknowledged.
            ackPeerFinNow(nowNs);
            connection.terminate(TcpState.CLOSED, nowNs);
            if (notify)
            {
                connection.notifyClosed();
            }
            return;
        }
        connection.transition(TcpState.TIME_WAIT, nowNs);
        ackPeerFinNow(nowNs);
        final int window = rcv.announcedWindow();
        records.sequenceSpace(slot, snd.sndMax, rcv.rcvNxt, window,
            Math.min(TcpConnection.MAX_UNSCALED_WINDOW, window >>> rcv.rcvWindShift), snd.maxSndWnd);
        if (ts.enabled)
        {
            records.timestamps(slot, ts.offset(), ts.tsRecent, ts.tsRecentNs);
        }
        snd.stopTimers();
        rcv.delayedAckDeadline = NONE;
        closeDeadline = NONE;
        owner.leftForTimeWait(connection);
        if (notify)
        {
            connection.notifyClosed();
        }
    }

    /** RFC 9293 §3.10.7.4 eighth: the peer's FIN is acknowledged by the connection, before it goes. */
    private void ackPeerFinNow(final long nowNs)
    {
        if (rcv.ackNow)
        {
            connection.emit(snd.sndMax, 0, TcpFlags.ACK, nowNs);
            rcv.ackNow = false;
        }
    }

    /**
     * The close deadline passed: TIME-WAIT ends, or FIN-WAIT-2 gives up on the peer's FIN.
     *
     * @return true when the connection closed
     */
    boolean onCloseTimeout(final long nowNs)
    {
        closeDeadline = NONE;
        final TcpState state = connection.state();
        if (state == TcpState.TIME_WAIT || state == TcpState.FIN_WAIT_2)
        {
            // FIN-WAIT-2 times out only after the user's close: it is told the connection is gone
            final boolean notify = state == TcpState.FIN_WAIT_2;
            connection.terminate(TcpState.CLOSED, nowNs);
            if (notify)
            {
                connection.notifyClosed();
            }
            return true;
        }
        return false;
    }
}
