package io.tapstack.socket;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpState;
import io.tapstack.wire.Ipv4Address;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.net.ConnectException;
import java.net.SocketException;

/**
 * The stack thread's half of a {@link TcpSocket}: TCP's callbacks, the socket's commands, and the pumps that
 * move bytes between TCP's buffers and the socket's rings. A separate object so that the class applications
 * hold has none of TCP's callbacks among its public methods. Owned by the stack thread.
 */
final class TcpSocketPump implements TcpHandler
{
    /** Room kept free in a ring beyond a chunk: its record header and alignment. */
    private static final int SLACK = 2 * RingBufferDescriptor.TRAILER_LENGTH;

    private final TcpSocket socket;
    private final SocketStack owner;
    private final SocketOptions options;
    private final LazyRing sendRing;
    private final LazyRing receiveRing;
    private final int receiveChunk;
    /** Bytes moved through a ring since the last idle sweep: a busy connection keeps its rings. */
    private boolean activeSinceSweep;
    /** In the stack's list of sockets holding a ring (swept for idle ones). */
    boolean holdingRings;
    private final ControlledMessageHandler drainToTcp = this::drainToTcp;
    private TcpConnection tcp;
    private boolean closeRequested;
    private boolean shutdownRequested;
    private boolean endOfStreamWritten;
    private boolean forgotten;
    private boolean sendAborted;
    /**
     * Bytes of the send ring's first record already in TCP's send buffer. A record stays in the ring until all of
     * it has moved (a ring record cannot be consumed in part), so a chunk larger than TCP's free room still moves.
     */
    private int movedOfRecord;
    /** TCP closed the connection in order; it is forgotten once the reader has been handed everything. */
    private boolean terminated;
    /** Bytes went straight from a segment into the receive ring since the last pumpReceive: the reader is told. */
    private boolean deliveredDirect;

    TcpSocketPump(final TcpSocket socket, final SocketStack owner, final SocketOptions options)
    {
        this.socket = socket;
        this.owner = owner;
        this.options = options;
        this.sendRing = socket.sendRing;
        this.receiveRing = socket.receiveRing;
        this.receiveChunk = receiveRing.maxMsgLength();
    }

    TcpSocket socket()
    {
        return socket;
    }

    /** For diagnostics only, from any thread: a racy view of TCP's side. */
    String describe()
    {
        final TcpConnection t = tcp;
        return t == null ? "none" : t + " state=" + t.state() + " readable=" + t.readable() + " writable="
            + t.writable() + " sndWnd=" + t.sndWnd() + " inflight=" + (t.sndMax() - t.sndUna()) + " buffered="
            + t.sendBuffered();
    }

    /** The TCP connection, or null before it exists (a connect waiting for ARP). Stack thread. */
    TcpConnection tcp()
    {
        return tcp;
    }

    void attach(final TcpConnection connection)
    {
        this.tcp = connection;
        socket.localPort = connection.localPort();
        if (options.nagle() != null)
        {
            connection.nagle(options.nagle());
        }
        if (options.keepAlive() != null)
        {
            connection.keepAlive(options.keepAlive());
        }
    }

    /** An accepted connection: it may already hold data and even the peer's FIN. */
    void attachAccepted(final TcpConnection connection)
    {
        attach(connection);
        connection.handler(this);
        socket.connectFuture.complete(socket);
        pumpReceive();
    }

    void failConnect(final IOException ex)
    {
        socket.failure = ex;
        owner.finished(socket);
        owner.executor().execute(() -> socket.connectFuture.completeExceptionally(ex));
        socket.readiness.signal();
    }

    /** Still connecting (SYN-SENT): the connect future is not yet completed by the stack. Stack thread. */
    boolean isConnecting()
    {
        return tcp != null && tcp.state() == io.tapstack.tcp.TcpState.SYN_SENT && !forgotten;
    }

    /** The stack gave up on the connect (no route, ARP unanswered): abort it and tell the caller. Stack thread. */
    void failConnecting(final IOException ex)
    {
        if (socket.failure == null)
        {
            socket.failure = ex;
        }
        owner.executor().execute(() -> socket.connectFuture.completeExceptionally(ex));
        tcp.abort();
        forget();
        socket.readiness.signal();
    }

    void onPumpSend()
    {
        socket.sendScheduled.set(false);
        VarHandle.fullFence(); // clear the flag before looking at the ring (see TcpSocket.tryWrite)
        if (sendRing.current() != null)
        {
            owner.holdsRings(this); // the writer took a ring
        }
        pumpSend();
    }

    /**
     * The idle sweep: gives back each ring that is empty when nothing moved through either since the last sweep.
     * Stack thread.
     *
     * @return whether the socket still holds a ring (it stays on the sweep's list)
     */
    boolean sweepIdleRings()
    {
        if (forgotten)
        {
            return false; // its rings go with the socket object; what the reader has not read stays readable
        }
        if (activeSinceSweep)
        {
            activeSinceSweep = false;
            return true;
        }
        boolean holds = false;
        if (receiveRing.current() != null)
        {
            if (receiveRing.tryLock())
            {
                try
                {
                    holds = !receiveRing.releaseIfEmpty();
                }
                finally
                {
                    receiveRing.unlock();
                }
            }
            else
            {
                holds = true; // a reader is at it: busy after all
            }
        }
        if (sendRing.current() != null)
        {
            if (sendRing.tryLock())
            {
                try
                {
                    holds |= movedOfRecord > 0 || !sendRing.releaseIfEmpty();
                }
                finally
                {
                    sendRing.unlock();
                }
            }
            else
            {
                holds = true; // a writer is at it: busy after all
            }
        }
        return holds;
    }

    /**
     * The socket is forgotten: when the application has closed it, no one reads or writes its rings again, so
     * they go back to the pool whatever they hold (reset there). Otherwise the reader may still read what waits,
     * and the rings stay with the socket object. A ring whose other end is busy right now (a read or write racing
     * the close) stays too. Stack thread.
     */
    private void releaseRingsOfClosed()
    {
        if (!socket.closedByApplication)
        {
            return;
        }
        releaseDiscarding(receiveRing);
        releaseDiscarding(sendRing);
        movedOfRecord = 0;
    }

    private static void releaseDiscarding(final LazyRing ring)
    {
        if (ring.current() != null && ring.tryLock())
        {
            try
            {
                ring.releaseDiscarding();
            }
            finally
            {
                ring.unlock();
            }
        }
    }

    void onCommand(final int type, final int arg)
    {
        if (type == SocketStack.PUMP_SEND || type == SocketStack.PUMP_RECEIVE)
        {
            // before the check below: the doorbell's flag is cleared even before TCP is attached
            if (type == SocketStack.PUMP_SEND)
            {
                onPumpSend();
            }
            else
            {
                pumpReceive();
            }
            return;
        }
        if (tcp == null)
        {
            return;
        }
        switch (type)
        {
            case SocketStack.SHUTDOWN_OUTPUT ->
            {
                shutdownRequested = true;
                pumpSend();
            }
            case SocketStack.CLOSE ->
            {
                closeRequested = true;
                pumpSend();
            }
            case SocketStack.ABORT ->
            {
                tcp.abort();
                forget();
            }
            case SocketStack.NAGLE -> tcp.nagle(arg != 0);
            default ->
            {
            }
        }
    }

    /** Moves what TCP's send buffer takes from the send ring; FIN once the ring is empty and asked for. */
    private void pumpSend()
    {
        if (tcp == null || tcp.state() == TcpState.SYN_SENT)
        {
            return; // onConnected pumps
        }
        int moved = 0;
        long before;
        sendAborted = false;
        final OneToOneRingBuffer ring = sendRing.current();
        if (ring != null)
        {
            // one read stops at the ring's end (Agrona reads contiguous blocks), and a read that meets only the
            // padding before the wrap returns 0 messages although it moved the head: go on while the head moves
            do
            {
                before = ring.consumerPosition();
                moved += ring.controlledRead(drainToTcp, Integer.MAX_VALUE);
            }
            while (!sendAborted && ring.consumerPosition() != before);
        }
        if (moved > 0)
        {
            activeSinceSweep = true;
            socket.readiness.signalWritable(); // room for the writer; no news for a reader
        }
        if (sendRing.size() == 0)
        {
            if (closeRequested)
            {
                tcp.close();
                if (tcp.state() == TcpState.CLOSED)
                {
                    forget(); // closed at once (in SYN-SENT, or reset for unread data): no callback follows
                }
            }
            else if (shutdownRequested)
            {
                tcp.shutdownOutput();
            }
        }
    }

    private ControlledMessageHandler.Action drainToTcp(final int type, final MutableDirectBuffer buffer,
        final int index, final int length)
    {
        if (tcp.isOutputOpen())
        {
            // what fits now: a chunk may be larger than TCP's whole send buffer (a large ring, a small buffer)
            final int rest = length - movedOfRecord;
            final int taken = tcp.write(buffer, index + movedOfRecord, rest);
            if (taken < rest)
            {
                movedOfRecord += Math.max(0, taken);
                sendAborted = true;
                return ControlledMessageHandler.Action.ABORT; // TCP's send buffer is full: onWritable resumes
            }
        }
        // else TCP can no longer send (reset, closed): the bytes are dropped and the failure tells the writer
        movedOfRecord = 0;
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /** Moves what the receive ring has room for out of TCP's receive buffer; end of stream after the data. */
    void pumpReceive()
    {
        if (tcp == null || socket.closedByApplication)
        {
            if (terminated)
            {
                forget();
            }
            return;
        }
        boolean progressed = deliveredDirect;
        deliveredDirect = false;
        while (true)
        {
            final int readable = tcp.readable();
            if (readable > 0)
            {
                final OneToOneRingBuffer ring = takeReceiveRing();
                final int free = ring.capacity() - ring.size() - SLACK;
                final int n = Math.min(Math.min(readable, receiveChunk), free);
                final int index = n > 0 ? ring.tryClaim(TcpSocket.DATA, n) : RingBuffer.INSUFFICIENT_CAPACITY;
                if (index > 0)
                {
                    tcp.read(ring.buffer(), index, n);
                    ring.commit(index);
                    progressed = true;
                    continue;
                }
                if (blockReceive())
                {
                    continue;
                }
                break;
            }
            if (tcp.isEndOfStream() && !endOfStreamWritten)
            {
                final OneToOneRingBuffer ring = takeReceiveRing();
                final int index = ring.tryClaim(TcpSocket.END_OF_STREAM, 0);
                if (index > 0)
                {
                    ring.commit(index);
                    endOfStreamWritten = true;
                    progressed = true;
                }
                else if (blockReceive())
                {
                    continue;
                }
            }
            break;
        }
        if (progressed)
        {
            activeSinceSweep = true;
            socket.readiness.signalReadable();
        }
        if (terminated && endOfStreamWritten)
        {
            forget();
        }
    }

    /** The receive ring, taken if none is held (bytes or the end of stream wait for the reader). */
    private OneToOneRingBuffer takeReceiveRing()
    {
        if (receiveRing.current() == null)
        {
            owner.holdsRings(this);
        }
        return receiveRing.take();
    }

    /** The ring is full: ask the reader to wake us; true if it drained meanwhile (try again now). */
    private boolean blockReceive()
    {
        socket.receiveBlocked.set(true);
        VarHandle.fullFence();
        if (receiveRing.capacity() - receiveRing.size() - SLACK >= Math.min(receiveChunk, 4096))
        {
            return socket.receiveBlocked.compareAndSet(true, false);
        }
        return false;
    }

    private void forget()
    {
        if (!forgotten)
        {
            forgotten = true;
            releaseRingsOfClosed();
            owner.forget(socket);
            owner.finished(socket);
        }
    }

    // ------------------------------------------------------------------------------------------ TCP's callbacks

    @Override
    public void onConnected(final TcpConnection connection)
    {
        socket.localPort = connection.localPort();
        owner.executor().execute(() -> socket.connectFuture.complete(socket));
        pumpSend();
    }

    @Override
    public void onReadable(final TcpConnection connection)
    {
        pumpReceive();
    }

    /**
     * In-order bytes with nothing buffered before them: copied from the frame into the receive ring at once, the
     * copy into TCP's receive buffer and out of it skipped (what the ring cannot hold TCP buffers, and
     * {@link #pumpReceive} moves later, as before). The reader is signalled by the onReadable that follows.
     */
    @Override
    public int onInOrderData(final TcpConnection connection, final DirectBuffer segment, final int offset,
        final int length)
    {
        if (socket.closedByApplication || forgotten || tcp != connection)
        {
            return 0;
        }
        final OneToOneRingBuffer ring = takeReceiveRing();
        int taken = 0;
        while (taken < length)
        {
            final int free = ring.capacity() - ring.size() - SLACK;
            final int n = Math.min(Math.min(length - taken, receiveChunk), free);
            final int index = n > 0 ? ring.tryClaim(TcpSocket.DATA, n) : RingBuffer.INSUFFICIENT_CAPACITY;
            if (index <= 0)
            {
                break;
            }
            ring.buffer().putBytes(index, segment, offset + taken, n);
            ring.commit(index);
            taken += n;
        }
        if (taken > 0)
        {
            deliveredDirect = true;
        }
        return taken;
    }

    @Override
    public void onWritable(final TcpConnection connection)
    {
        pumpSend();
    }

    @Override
    public void onEndOfStream(final TcpConnection connection)
    {
        pumpReceive();
    }

    @Override
    public void onClosed(final TcpConnection connection)
    {
        // an orderly end: TCP may still hold bytes the reader's ring had no room for; the connection stays known
        // (PUMP_RECEIVE finds it) until they and the end of stream are handed over
        terminated = true;
        pumpReceive();
        socket.readiness.signal();
    }

    @Override
    public void onReset(final TcpConnection connection)
    {
        final String reason = connection.resetReason();
        final IOException ex;
        if (!socket.connectFuture.isDone())
        {
            ex = new ConnectException((reason == null ? "connection failed" : reason) + ": "
                + Ipv4Address.toString(socket.remoteAddress()) + ":" + socket.remotePort());
            owner.executor().execute(() -> socket.connectFuture.completeExceptionally(ex));
        }
        else
        {
            ex = new SocketException(reason == null ? "connection reset" : "connection reset: " + reason);
        }
        if (socket.failure == null)
        {
            socket.failure = ex;
        }
        forget();
        socket.readiness.signal();
    }
}
