package io.tapstack.forward;

import io.tapstack.forward.ForwardCounters.Counter;
import io.tapstack.tcp.HeldSyn;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One guest TCP connection relayed through one host {@code SocketChannel}. Its life: the guest's SYN is held while
 * the host connects; then the guest's handshake goes on (or a reset, or ICMP unreachable, answers it); then bytes
 * move both ways through two bounded buffers, half-closes and resets carried across, until both directions are
 * closed or either side resets.
 *
 * <p>Back-pressure: bytes read from the guest's connection wait in {@code toHost} until the host socket takes them;
 * while they wait nothing more is read from the connection, so its receive buffer fills and the window it
 * announces closes. Bytes read from the host socket wait in {@code toGuest} until the connection's send buffer
 * takes them; while they wait the host socket is not read (no OP_READ), so the host's TCP window closes. Owned by
 * the engine's thread.
 */
final class TcpFlow implements TcpHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(TcpFlow.class);

    private final ForwardEngine engine;
    /** The guest's held SYN (outbound flows); null for an inbound port forward's. */
    private final HeldSyn syn;
    /** The port forward whose host socket accepted this flow (inbound flows); null for outbound ones. */
    private final InboundForwards.TcpForward inbound;
    private final int target;
    final long connectDeadlineNs;
    private SocketChannel channel;
    private SelectionKey key;
    private IOException connectFailure;
    /** The failure was ours (no host socket to be had: file descriptors, say), not the destination's. */
    private boolean localFailure;
    private boolean synDecided;
    private TcpConnection guest;
    private ByteBuffer toHost;
    private UnsafeBuffer toHostView;
    private ByteBuffer toGuest;
    private UnsafeBuffer toGuestView;
    /** The guest's FIN was passed on: the host socket's output is shut down. */
    private boolean hostOutputShut;
    /** The host's EOF was read (after the bytes before it reach the guest, its FIN). */
    private boolean hostEof;
    /** The host's EOF was passed on: the guest connection's output is shut down. */
    private boolean guestOutputShut;
    /** In this pump, a read from the host socket came back short (so it is empty now). */
    private boolean hostDrained;
    /** The host socket is closed and the flow no longer counts. */
    private boolean finished;
    private int interest = -1;
    /** The connect finished (either way) inside {@link #startConnect}: the engine never timed it. */
    boolean connectedAtOnce;
    /** Index in the engine's list of relaying flows, -1 when not in it. */
    int relayIndex = -1;
    /** When a byte last moved either way (or the relay began). */
    long lastActiveNs;

    TcpFlow(final ForwardEngine engine, final HeldSyn syn, final int target, final long connectDeadlineNs)
    {
        this.engine = engine;
        this.syn = syn;
        this.inbound = null;
        this.target = target;
        this.connectDeadlineNs = connectDeadlineNs;
    }

    /** An inbound flow: a host connection {@code accepted} on {@code forward}'s host socket, carried to the guest. */
    TcpFlow(final ForwardEngine engine, final InboundForwards.TcpForward forward, final SocketChannel accepted)
    {
        this.engine = engine;
        this.syn = null;
        this.inbound = forward;
        this.target = 0;
        this.connectDeadlineNs = Long.MAX_VALUE;
        this.channel = accepted;
        this.synDecided = true;
    }

    /**
     * An inbound flow's active open (RFC 9293 §3.10.1) from the gateway to {@code guestAddress}; the host socket is
     * read only once the guest's handshake completes ({@link #onConnected}).
     *
     * @return false when the stack can make no connection (its limit): the caller closes the host socket
     */
    boolean startInbound(final int guestAddress, final long nowNs) throws IOException
    {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        guest = engine.tcp.connect(guestAddress, inbound.forward.guestPort(), this, nowNs);
        if (guest == null)
        {
            return false;
        }
        key = channel.register(engine.selector, 0, this);
        return true;
    }

    @Override
    public void onConnected(final TcpConnection connection)
    {
        if (inbound != null && toHost == null && !finished)
        {
            inbound.connected++;
            beginRelay(engine.nowNs());
            pumpToHost(); // the guest may speak first
        }
    }
    /**
     * Opens the host socket and starts its connect. A loopback connect has already finished (or been refused)
     * when connect(2) returns EINPROGRESS, so the flow asks at once: then the guest's SYN is answered in this duty
     * cycle and the socket joins the selector once, for reading, rather than for OP_CONNECT first.
     *
     * @return false when no host socket could be had: the SYN is answered in the next cycle, the flow never counted
     */
    boolean startConnect()
    {
        boolean done;
        try
        {
            localFailure = true;
            channel = SocketChannel.open(StandardProtocolFamily.INET); // IPv4 only: no dual-stack socket options
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true); // the guest's TCP already decided segmenting
            localFailure = false;
            done = channel.connect(ForwardEngine.socketAddress(target, syn.localPort())) || channel.finishConnect();
        }
        catch (final IOException ex)
        {
            connectFailure = ex;
            closeQuietly();
            if (localFailure)
            {
                finished = true;
                engine.connectedAtOnce(this);
                return false;
            }
            done = true; // refused (or unreachable) at once: answered in this cycle, counted as a connect
        }
        if (done)
        {
            connectedAtOnce = true;
            engine.counters.increment(Counter.TCP_CONNECTS_AT_ONCE);
            engine.connectedAtOnce(this);
            return true;
        }
        try
        {
            key = channel.register(engine.selector, SelectionKey.OP_CONNECT, this);
            interest = SelectionKey.OP_CONNECT;
        }
        catch (final IOException ex)
        {
            connectFailure = ex;
            closeQuietly();
            connectedAtOnce = true; // nothing will report it: answered in this cycle
            engine.connectedAtOnce(this);
        }
        return true;
    }

    void onReady(final int readyOps, final long nowNs)
    {
        if ((readyOps & SelectionKey.OP_CONNECT) != 0)
        {
            onConnectFinished(nowNs);
            return;
        }
        if ((readyOps & SelectionKey.OP_WRITE) != 0)
        {
            pumpToHost();
        }
        if ((readyOps & SelectionKey.OP_READ) != 0)
        {
            pumpToGuest();
        }
    }

    /** The host connect completed (or failed): answer the held SYN. */
    void onConnectFinished(final long nowNs)
    {
        if (synDecided)
        {
            return;
        }
        if (!connectedAtOnce)
        {
            engine.doneConnecting(this);
        }
        if (connectFailure == null)
        {
            try
            {
                if (!channel.finishConnect())
                {
                    return; // not yet (a spurious wake-up)
                }
            }
            catch (final IOException ex)
            {
                connectFailure = ex;
            }
        }
        synDecided = true;
        if (connectFailure != null)
        {
            refuseOrReportUnreachable(connectFailure, nowNs);
            finish();
            return;
        }
        guest = engine.tcp.acceptHeld(syn, this, nowNs);
        if (guest == null)
        {
            finish(); // the stack's connection limit: it refused the SYN itself
            return;
        }
        engine.counters.increment(Counter.TCP_CONNECTED);
        beginRelay(nowNs);
        // a host that speaks first (a banner) may: OP_READ reports it, and the connection queues its bytes until
        // the guest's handshake completes; reading now would mostly find nothing
        if (key == null)
        {
            try
            {
                key = channel.register(engine.selector, 0, this);
            }
            catch (final IOException ex)
            {
                hostFailed(ex);
                return;
            }
        }
        updateInterest();
    }

    private void beginRelay(final long nowNs)
    {
        lastActiveNs = nowNs;
        engine.relaying(this, nowNs);
        toHost = engine.takeBuffer();
        toHost.limit(0);
        toHostView = new UnsafeBuffer(toHost);
        toGuest = engine.takeBuffer();
        toGuest.limit(0);
        toGuestView = new UnsafeBuffer(toGuest);
        if (inbound != null)
        {
            pumpToGuest();
        }
    }

    /** The connect took longer than the engine's connect timeout: ICMP host unreachable, as a router's ARP failing. */
    void connectTimedOut(final long nowNs)
    {
        if (synDecided)
        {
            return;
        }
        synDecided = true;
        LOG.debug("{}: host connect timed out", syn);
        engine.counters.increment(Counter.TCP_UNREACHABLE);
        engine.unreachable(syn, ForwardEngine.CODE_HOST_UNREACHABLE, nowNs);
        finish();
    }

    /** RFC 9293 §3.10.7.1 for a refused connect (a reset); RFC 1812 §4.3.2 destination unreachable for the rest. */
    private void refuseOrReportUnreachable(final IOException failure, final long nowNs)
    {
        final String message = String.valueOf(failure.getMessage());
        if (localFailure)
        {
            engine.counters.increment(Counter.TCP_HOST_ERRORS);
            engine.tcp.refuseHeld(syn, nowNs); // refused cleanly: the engine could not open a host socket
        }
        else if (failure instanceof ConnectException && message.contains("refused"))
        {
            engine.counters.increment(Counter.TCP_REFUSED);
            engine.tcp.refuseHeld(syn, nowNs);
        }
        else if (failure instanceof NoRouteToHostException || !message.contains("Network is unreachable"))
        {
            engine.counters.increment(Counter.TCP_UNREACHABLE);
            engine.unreachable(syn, ForwardEngine.CODE_HOST_UNREACHABLE, nowNs);
        }
        else
        {
            engine.counters.increment(Counter.TCP_UNREACHABLE);
            engine.unreachable(syn, ForwardEngine.CODE_NET_UNREACHABLE, nowNs);
        }
        LOG.debug("{}: host connect failed: {}", syn, message);
    }

    // ------------------------------------------------------------------------------------------------ the guest

    @Override
    public void onReadable(final TcpConnection connection)
    {
        pumpToHost();
    }

    @Override
    public void onEndOfStream(final TcpConnection connection)
    {
        pumpToHost();
    }

    @Override
    public void onWritable(final TcpConnection connection)
    {
        // only bytes the guest's send buffer stopped wait for room; with none waiting the host socket is read when
        // the selector says so (OP_READ is on whenever toGuest is empty), not on every ACK from the guest
        if (toGuest != null && toGuest.hasRemaining())
        {
            pumpToGuest();
        }
    }

    @Override
    public void onClosed(final TcpConnection connection)
    {
        finish();
    }

    @Override
    public void onReset(final TcpConnection connection)
    {
        if (!finished && inbound != null && toHost == null)
        {
            // the guest refused the forwarded port (or never answered): the host client is reset, as a refused port
            inbound.refused++;
            engine.counters.increment(Counter.PF_TCP_REFUSED);
            abortHost();
        }
        else if (!finished)
        {
            // the guest reset (or timed out): the host peer gets a reset too (SO_LINGER 0 closes with RST)
            engine.counters.increment(Counter.TCP_GUEST_RESETS);
            try
            {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
            catch (final IOException ex)
            {
                LOG.debug("SO_LINGER", ex);
            }
            finish();
        }
    }

    // ------------------------------------------------------------------------------------------------ relay

    /** Guest -> host: what waits in {@code toHost} first, then more from the connection while the host takes it. */
    private void pumpToHost()
    {
        if (finished || toHost == null)
        {
            return;
        }
        try
        {
            while (true)
            {
                if (toHost.hasRemaining())
                {
                    final int n = channel.write(toHost);
                    engine.counters.add(Counter.TCP_BYTES_TO_HOST, n);
                    if (inbound != null)
                    {
                        inbound.bytesFromGuest += n;
                    }
                    lastActiveNs = engine.nowNs();
                    if (toHost.hasRemaining())
                    {
                        break; // the host socket is full: OP_WRITE, and the guest's window closes meanwhile
                    }
                }
                final int n = hostOutputShut ? -1 : guest.read(toHostView, 0, toHost.capacity());
                if (n > 0)
                {
                    toHost.limit(n).position(0);
                    continue;
                }
                toHost.limit(0);
                if (n < 0 && !hostOutputShut)
                {
                    // the guest's FIN, after every byte before it: half-close towards the host (RFC 9293 §3.6)
                    hostOutputShut = true;
                    engine.counters.increment(Counter.TCP_GUEST_FINS);
                    channel.shutdownOutput();
                    closeIfBothShut();
                }
                break;
            }
        }
        catch (final IOException ex)
        {
            hostFailed(ex);
            return;
        }
        updateInterest();
    }

    /** Host -> guest: what waits in {@code toGuest} first, then more from the host while the guest takes it. */
    private void pumpToGuest()
    {
        if (finished || toHost == null)
        {
            return;
        }
        hostDrained = false;
        try
        {
            while (true)
            {
                if (toGuest.hasRemaining())
                {
                    final int n = guest.write(toGuestView, toGuest.position(), toGuest.remaining());
                    if (n < 0)
                    {
                        abortHost(); // the guest's side can no longer take bytes (reset meanwhile)
                        return;
                    }
                    toGuest.position(toGuest.position() + n);
                    engine.counters.add(Counter.TCP_BYTES_TO_GUEST, n);
                    if (inbound != null)
                    {
                        inbound.bytesToGuest += n;
                    }
                    lastActiveNs = engine.nowNs();
                    if (toGuest.hasRemaining())
                    {
                        break; // the guest's send buffer is full: onWritable resumes; the host is not read meanwhile
                    }
                }
                if (hostEof)
                {
                    if (!guestOutputShut)
                    {
                        guestOutputShut = true;
                        engine.counters.increment(Counter.TCP_HOST_FINS);
                        guest.shutdownOutput(); // the host's EOF: our FIN after the bytes before it
                        closeIfBothShut();
                    }
                    break;
                }
                if (hostDrained)
                {
                    break; // the last read left the socket empty: the (level-triggered) selector reports more
                }
                toGuest.clear();
                final int n = channel.read(toGuest);
                if (n < 0)
                {
                    hostEof = true;
                    toGuest.limit(0);
                    continue;
                }
                // a read that did not fill the buffer took all the socket had: asking again would find nothing
                hostDrained = n < toGuest.capacity();
                toGuest.flip();
                if (n == 0)
                {
                    break;
                }
            }
        }
        catch (final IOException ex)
        {
            hostFailed(ex);
            return;
        }
        updateInterest();
    }

    private void updateInterest()
    {
        if (finished)
        {
            return;
        }
        final boolean read = !hostEof && !toGuest.hasRemaining();
        final boolean write = toHost.hasRemaining();
        final int ops = (read ? SelectionKey.OP_READ : 0) | (write ? SelectionKey.OP_WRITE : 0);
        if (ops != interest && key.isValid())
        {
            interest = ops;
            key.interestOps(ops);
        }
    }

    private void closeIfBothShut()
    {
        if (hostOutputShut && guestOutputShut && !toGuest.hasRemaining())
        {
            guest.close(); // both FINs passed on: the host socket is done; the guest's FIN exchange finishes alone
            finish();
        }
    }

    /** The idle timeout: a reset to the guest (RFC 9293 §3.10.5 abort) and to the host (SO_LINGER 0). */
    void resetBothSides()
    {
        if (finished)
        {
            return;
        }
        final TcpConnection connection = guest;
        abortHost(); // first: the guest's reset then finds the flow finished
        if (connection != null)
        {
            connection.abort();
        }
    }

    /** A reset or error on the host socket ends this flow only: the guest gets a reset (RFC 9293 §3.10.5). */
    private void hostFailed(final IOException ex)
    {
        LOG.debug("{}: host socket failed: {}", syn, ex.toString());
        engine.counters.increment(Counter.TCP_HOST_ERRORS);
        guest.abort();
        finish();
    }

    private void abortHost()
    {
        try
        {
            channel.setOption(StandardSocketOptions.SO_LINGER, 0);
        }
        catch (final IOException ex)
        {
            LOG.debug("SO_LINGER", ex);
        }
        finish();
    }

    /** Closes the host socket and stops counting this flow (once). */
    private void finish()
    {
        if (finished)
        {
            return;
        }
        finished = true;
        closeQuietly();
        if (inbound != null)
        {
            inbound.flowEnded(this);
        }
        if (toHost != null)
        {
            // nothing touches them once finished: every entry point checks it first
            engine.giveBuffer(toHost);
            engine.giveBuffer(toGuest);
        }
        engine.flowClosed(this);
    }

    private void closeQuietly()
    {
        if (channel != null && key != null && key.isValid())
        {
            // a registered channel's close costs the JDK a getsockopt(SO_LINGER) and a shutdown(2) more (which
            // fails: the FIN went with shutdownOutput): cancel now, close once a select has deregistered it
            key.cancel();
            engine.closeAfterSelect(channel);
        }
        else if (channel != null)
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
}
