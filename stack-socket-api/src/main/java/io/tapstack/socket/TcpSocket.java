package io.tapstack.socket;

import io.tapstack.wire.Ipv4Address;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.invoke.VarHandle;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP connection as an application sees it: {@link #getInputStream()} / {@link #getOutputStream()} like
 * {@code java.net.Socket}, or {@link #readAsync} / {@link #writeAsync} completing on the callback executor.
 *
 * <p>Bytes travel through two single-producer rings: the application writes into the send ring and the stack
 * thread moves into TCP's send buffer only what it takes; the stack reads from TCP's receive buffer only what
 * the receive ring has room for, so a slow reader closes TCP's window instead of growing a queue. Reads are
 * serialized among reader threads, writes among writer threads; a reader and a writer may run at once.
 */
public final class TcpConnection implements AutoCloseable, io.tapstack.tcp.TcpHandler
{
    private static final int DATA = 1;
    private static final int END_OF_STREAM = 2;
    /** Room kept free in a ring beyond a chunk: its record header and alignment. */
    private static final int SLACK = 2 * RingBufferDescriptor.TRAILER_LENGTH;

    private final SocketStack owner;
    private final SocketOptions options;
    private final int id;
    private final int remoteAddress;
    private final int remotePort;
    private final Readiness readiness;
    private final OneToOneRingBuffer sendRing;
    private final OneToOneRingBuffer receiveRing;
    private final int sendChunk;
    private final int receiveChunk;
    private final CompletableFuture<TcpConnection> connectFuture = new CompletableFuture<>();
    /** Set by the application after it wrote into the send ring; cleared by the stack before it drains. */
    private final AtomicBoolean sendScheduled = new AtomicBoolean();
    /** Set by the stack when the receive ring was too full to move more; cleared by whoever asks it to resume. */
    private final AtomicBoolean receiveBlocked = new AtomicBoolean();
    private final Input input = new Input();
    private final Output output = new Output();
    private volatile IOException failure;
    private volatile boolean peerClosedAndDrained;
    private volatile boolean closedByApplication;
    private volatile boolean outputShutdown;
    private volatile boolean finished;
    private volatile int localPort;
    private volatile long readTimeoutNs = Long.MAX_VALUE;

    // reader side (under readLock)
    private final Object readLock = new Object();
    private final byte[] chunk;
    private final UnsafeBuffer chunkBuffer;
    private int chunkStart;
    private int chunkEnd;
    private boolean endOfStreamSeen;
    private final MessageHandler takeChunk = this::takeChunk;
    /** Stored once: a bound method reference made per read would allocate per read. */
    private final java.util.function.BooleanSupplier readableCondition = this::readable;
    private final java.util.function.BooleanSupplier writableCondition = this::writable;

    // writer side (under writeLock)
    private final Object writeLock = new Object();
    private final UnsafeBuffer writeSource = new UnsafeBuffer(0, 0);

    // stack thread only
    private io.tapstack.tcp.TcpConnection tcp;
    private boolean closeRequested;
    private boolean shutdownRequested;
    private boolean endOfStreamWritten;
    private boolean forgotten;
    private boolean sendAborted;
    /** TCP closed the connection in order; it is forgotten once the reader has been handed everything. */
    private boolean terminated;
    private final ControlledMessageHandler drainToTcp = this::drainToTcp;

    TcpConnection(final SocketStack owner, final int id, final int remoteAddress, final int remotePort,
        final SocketOptions options)
    {
        this.owner = owner;
        this.id = id;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.readiness = new Readiness(owner.executor());
        this.options = options;
        this.sendRing = ring(options.sendBufferBytes(owner.config()));
        this.receiveRing = ring(options.receiveBufferBytes(owner.config()));
        readTimeout(options.readTimeout());
        this.sendChunk = sendRing.maxMsgLength();
        this.receiveChunk = receiveRing.maxMsgLength();
        this.chunk = new byte[receiveChunk];
        this.chunkBuffer = new UnsafeBuffer(chunk);
    }

    private static OneToOneRingBuffer ring(final int bytes)
    {
        return new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(bytes + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    int id()
    {
        return id;
    }

    CompletableFuture<TcpConnection> connectFuture()
    {
        return connectFuture;
    }

    // ------------------------------------------------------------------------------------------ application

    /** A blocking stream of what the peer sent; -1 at its FIN. Honors {@link #readTimeout(Duration)}. */
    public InputStream getInputStream()
    {
        return input;
    }

    /** A blocking stream to the peer: {@code write} returns once every byte is queued (back-pressure). */
    public OutputStream getOutputStream()
    {
        return output;
    }

    /**
     * Reads what is there, waiting up to the read timeout for at least one byte.
     *
     * @return bytes read, or -1 at end of stream
     * @throws SocketTimeoutException when the read timeout passes with nothing to read
     */
    public int read(final byte[] dst, final int offset, final int length) throws IOException
    {
        return read(dst, offset, length, readTimeoutNs);
    }

    /**
     * The non-blocking style: completes with the number of bytes read (at least 1) or -1 at end of stream, on
     * the callback executor. Reads complete in the order they were asked for.
     */
    public CompletableFuture<Integer> readAsync(final byte[] dst, final int offset, final int length)
    {
        return readiness.async(() ->
        {
            final int n = tryRead(dst, offset, length);
            return n == 0 ? null : n;
        });
    }

    /**
     * The non-blocking style: completes once every byte is queued to send (not yet acknowledged), on the
     * callback executor.
     */
    public CompletableFuture<Void> writeAsync(final byte[] src, final int offset, final int length)
    {
        final CompletableFuture<Void> result = new CompletableFuture<>();
        final int[] written = {0};
        readiness.submitWrite(() ->
        {
            try
            {
                written[0] += tryWrite(src, offset + written[0], length - written[0]);
                if (written[0] < length)
                {
                    return false;
                }
                result.complete(null);
            }
            catch (final IOException ex)
            {
                result.completeExceptionally(ex);
            }
            return true;
        });
        return result;
    }

    /** Writes every byte, waiting for ring space as long as it takes (the stack's user timeout bounds it). */
    public void write(final byte[] src, final int offset, final int length) throws IOException
    {
        int done = 0;
        while (done < length)
        {
            done += tryWrite(src, offset + done, length - done);
            if (done < length)
            {
                awaitReady(writableCondition, Long.MAX_VALUE, "write");
            }
        }
    }

    /** Sends FIN after what was written (half-close); reading goes on. */
    public void shutdownOutput() throws IOException
    {
        if (outputShutdown)
        {
            return;
        }
        outputShutdown = true;
        owner.send(SocketStack.SHUTDOWN_OUTPUT, id, 0, 0);
    }

    /**
     * Closes both directions: what was written still goes, then FIN. Unread data (arrived or arriving) resets
     * the connection, as in Linux (RFC 1122 §4.2.2.13). Idempotent.
     */
    @Override
    public void close()
    {
        if (closedByApplication)
        {
            return;
        }
        closedByApplication = true;
        outputShutdown = true;
        owner.sendQuietly(SocketStack.CLOSE, id, 0, 0);
        readiness.signal();
    }

    /**
     * The close a request/response server wants: sends FIN after what was written, then reads and discards what
     * the peer still sends until its FIN or {@code timeout}, then closes. A plain {@link #close()} with unread
     * data resets the connection, and a reset can destroy a response the peer has not read yet.
     */
    public void closeAfterDraining(final Duration timeout)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        try
        {
            shutdownOutput();
            final byte[] sink = new byte[4096];
            while (true)
            {
                final long left = deadline - System.nanoTime();
                if (left <= 0 || read(sink, 0, sink.length, left) < 0)
                {
                    break;
                }
            }
        }
        catch (final IOException ex)
        {
            // timed out, reset or closed meanwhile: close below either way
        }
        close();
    }

    /** Resets the connection at once (RST); unsent data is discarded. */
    public void abort()
    {
        closedByApplication = true;
        outputShutdown = true;
        if (failure == null)
        {
            failure = new SocketException("connection aborted by the application");
        }
        owner.sendQuietly(SocketStack.ABORT, id, 0, 0);
        readiness.signal();
    }

    /** Nagle's algorithm (RFC 9293 §3.7.4) on or off; {@code setNagle(false)} is TCP_NODELAY. */
    public TcpConnection nagle(final boolean enabled) throws IOException
    {
        owner.send(SocketStack.NAGLE, id, enabled ? 1 : 0, 0);
        return this;
    }

    /** How long a blocking read waits for data; {@link Duration#ZERO} or null waits forever. */
    public TcpConnection readTimeout(final Duration timeout)
    {
        readTimeoutNs = timeout == null || timeout.isZero() ? Long.MAX_VALUE : timeout.toNanos();
        return this;
    }

    public int localAddress()
    {
        return owner.address();
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

    /** Bytes that can be read now without blocking (a lower bound). */
    public int available()
    {
        synchronized (readLock)
        {
            return chunkEnd - chunkStart + Math.max(0, receiveRing.size() - RingBufferDescriptor.TRAILER_LENGTH);
        }
    }

    /** True once the connection was reset, timed out, aborted or closed, or the stack closed. */
    public boolean isClosed()
    {
        return closedByApplication || failure != null || owner.isClosed();
    }

    @Override
    public String toString()
    {
        return "tcp " + Ipv4Address.toString(owner.address()) + ":" + localPort + " <-> "
            + Ipv4Address.toString(remoteAddress) + ":" + remotePort;
    }

    private int read(final byte[] dst, final int offset, final int length, final long timeoutNs) throws IOException
    {
        if (length == 0)
        {
            return 0;
        }
        final long deadline = timeoutNs == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeoutNs;
        while (true)
        {
            final int n = tryRead(dst, offset, length);
            if (n != 0)
            {
                return n;
            }
            // no Attempt here: a read returns a primitive, and the blocking read is the fast path (no boxing)
            awaitOrThrow(readableCondition, deadline, "read");
        }
    }

    /** A blocked writer may go on: half the send ring is free, or it is to learn of a failure. */
    private boolean writable()
    {
        return failure != null || owner.isClosed() || sendRing.size() < sendRing.capacity() / 2;
    }

    /** For diagnostics only: a racy view of both sides' state. */
    String describe()
    {
        final io.tapstack.tcp.TcpConnection t = tcp;
        return this + " sendRing=" + sendRing.size() + " receiveRing=" + receiveRing.size() + " sendScheduled="
            + sendScheduled.get() + " receiveBlocked=" + receiveBlocked.get() + " chunk=" + (chunkEnd - chunkStart)
            + " failure=" + failure + " tcp=" + (t == null ? "none" : t + " state=" + t.state() + " readable="
            + t.readable() + " writable=" + t.writable() + " sndWnd=" + t.sndWnd() + " inflight="
            + (t.sndMax() - t.sndUna()) + " buffered=" + t.sendBuffered());
    }

    private boolean readable()
    {
        return receiveRing.size() > 0 || failure != null || owner.isClosed() || closedByApplication;
    }

    /** Reads what is buffered without waiting: bytes read, 0 if none, -1 at end of stream. */
    private int tryRead(final byte[] dst, final int offset, final int length) throws IOException
    {
        synchronized (readLock)
        {
            while (true)
            {
                if (chunkEnd > chunkStart)
                {
                    final int n = Math.min(length, chunkEnd - chunkStart);
                    System.arraycopy(chunk, chunkStart, dst, offset, n);
                    chunkStart += n;
                    return n;
                }
                if (endOfStreamSeen)
                {
                    return -1;
                }
                if (readOne(receiveRing, takeChunk) == 0)
                {
                    if (failure != null)
                    {
                        throw failure;
                    }
                    if (owner.isClosed())
                    {
                        throw new StackClosedException();
                    }
                    if (closedByApplication)
                    {
                        throw new SocketException("socket closed");
                    }
                    return 0;
                }
                resumeReceive();
            }
        }
    }

    /**
     * Reads one message; 0 only when the ring is empty (a read that meets the padding before the ring's wrap
     * returns 0 although a message waits at the start: read again then).
     */
    static int readOne(final OneToOneRingBuffer ring, final MessageHandler handler)
    {
        final long before = ring.consumerPosition();
        final int n = ring.read(handler, 1);
        return n == 0 && ring.consumerPosition() != before ? ring.read(handler, 1) : n;
    }

    private void takeChunk(final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (type == END_OF_STREAM)
        {
            endOfStreamSeen = true;
            return;
        }
        buffer.getBytes(index, chunk, 0, length);
        chunkStart = 0;
        chunkEnd = length;
    }

    private void resumeReceive()
    {
        VarHandle.fullFence(); // the freed ring space must be visible before we look at the flag
        if (receiveBlocked.get() && receiveBlocked.compareAndSet(true, false))
        {
            owner.sendQuietly(SocketStack.PUMP_RECEIVE, id, 0, 0);
        }
    }

    /** Queues what fits in the send ring without waiting; returns bytes taken. */
    private int tryWrite(final byte[] src, final int offset, final int length) throws IOException
    {
        synchronized (writeLock)
        {
            int done = 0;
            writeSource.wrap(src);
            while (done < length)
            {
                if (failure != null)
                {
                    throw failure;
                }
                owner.checkOpen();
                if (outputShutdown)
                {
                    throw new SocketException(closedByApplication ? "socket closed" : "output shut down");
                }
                final int n = Math.min(length - done, sendChunk);
                if (!sendRing.write(DATA, writeSource, offset + done, n))
                {
                    break;
                }
                done += n;
            }
            if (done > 0)
            {
                // the bytes must be visible before we look at the flag, or the stack may clear it, drain
                // without seeing them, and never hear of them (a store-load race)
                VarHandle.fullFence();
                if (!sendScheduled.get() && sendScheduled.compareAndSet(false, true))
                {
                    owner.send(SocketStack.PUMP_SEND, id, 0, 0);
                }
            }
            return done;
        }
    }

    private void awaitOrThrow(final java.util.function.BooleanSupplier ready, final long deadline, final String what)
        throws IOException
    {
        if (!awaitReady(ready, deadline, what))
        {
            throw new SocketTimeoutException(what + " timed out");
        }
    }

    private boolean awaitReady(final java.util.function.BooleanSupplier ready, final long deadline, final String what)
        throws IOException
    {
        try
        {
            return readiness.await(ready, deadline);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted in " + what);
        }
    }

    private final class Input extends InputStream
    {
        private final byte[] one = new byte[1];

        @Override
        public int read() throws IOException
        {
            final int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException
        {
            return TcpConnection.this.read(b, off, len, readTimeoutNs);
        }

        @Override
        public int available()
        {
            return TcpConnection.this.available();
        }

        @Override
        public void close()
        {
            TcpConnection.this.close();
        }
    }

    private final class Output extends OutputStream
    {
        private final byte[] one = new byte[1];

        @Override
        public void write(final int b) throws IOException
        {
            one[0] = (byte)b;
            TcpConnection.this.write(one, 0, 1);
        }

        @Override
        public void write(final byte[] b, final int off, final int len) throws IOException
        {
            TcpConnection.this.write(b, off, len);
        }

        @Override
        public void close()
        {
            TcpConnection.this.close();
        }
    }

    // ------------------------------------------------------------------------------------------ stack thread

    void attach(final io.tapstack.tcp.TcpConnection connection)
    {
        this.tcp = connection;
        this.localPort = connection.localPort();
        if (options.nagle() != null)
        {
            connection.nagle(options.nagle());
        }
    }

    /** An accepted connection: it may already hold data and even the peer's FIN. */
    void attachAccepted(final io.tapstack.tcp.TcpConnection connection)
    {
        attach(connection);
        connection.handler(this);
        connectFuture.complete(this);
        pumpReceive();
    }

    void failConnect(final IOException ex)
    {
        failure = ex;
        owner.finished(this);
        owner.executor().execute(() -> connectFuture.completeExceptionally(ex));
        readiness.signal();
    }

    void onPumpSend()
    {
        sendScheduled.set(false);
        VarHandle.fullFence(); // clear the flag before looking at the ring (see tryWrite)
        pumpSend();
    }

    void onCommand(final int type, final int arg)
    {
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
        if (tcp == null || tcp.state() == io.tapstack.tcp.TcpState.SYN_SENT)
        {
            return; // onConnected pumps
        }
        int moved = 0;
        long before;
        sendAborted = false;
        // one read stops at the ring's end (Agrona reads contiguous blocks), and a read that meets only the
        // padding before the wrap returns 0 messages although it moved the head: go on while the head moves
        do
        {
            before = sendRing.consumerPosition();
            moved += sendRing.controlledRead(drainToTcp, Integer.MAX_VALUE);
        }
        while (!sendAborted && sendRing.consumerPosition() != before);
        if (moved > 0)
        {
            readiness.signal();
        }
        if (sendRing.size() == 0)
        {
            if (closeRequested)
            {
                tcp.close();
                if (tcp.state() == io.tapstack.tcp.TcpState.CLOSED)
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
            if (tcp.writable() < length)
            {
                sendAborted = true;
                return ControlledMessageHandler.Action.ABORT; // TCP's send buffer is full: onWritable resumes
            }
            tcp.write(buffer, index, length);
        }
        // else TCP can no longer send (reset, closed): the bytes are dropped and the failure tells the writer
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /** Moves what the receive ring has room for out of TCP's receive buffer; end of stream after the data. */
    void pumpReceive()
    {
        if (tcp == null || closedByApplication)
        {
            if (terminated)
            {
                forget();
            }
            return;
        }
        boolean progressed = false;
        while (true)
        {
            final int readable = tcp.readable();
            if (readable > 0)
            {
                final int free = receiveRing.capacity() - receiveRing.size() - SLACK;
                final int n = Math.min(Math.min(readable, receiveChunk), free);
                final int index = n > 0 ? receiveRing.tryClaim(DATA, n) : RingBuffer.INSUFFICIENT_CAPACITY;
                if (index > 0)
                {
                    tcp.read(receiveRing.buffer(), index, n);
                    receiveRing.commit(index);
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
                final int index = receiveRing.tryClaim(END_OF_STREAM, 0);
                if (index > 0)
                {
                    receiveRing.commit(index);
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
            readiness.signal();
        }
        if (terminated && endOfStreamWritten)
        {
            forget();
        }
    }

    /** The ring is full: ask the reader to wake us; true if it drained meanwhile (try again now). */
    private boolean blockReceive()
    {
        receiveBlocked.set(true);
        VarHandle.fullFence();
        if (receiveRing.capacity() - receiveRing.size() - SLACK >= Math.min(receiveChunk, 4096))
        {
            return receiveBlocked.compareAndSet(true, false);
        }
        return false;
    }

    private void forget()
    {
        if (!forgotten)
        {
            forgotten = true;
            owner.forget(this);
            owner.finished(this);
        }
    }

    void stackClosed()
    {
        if (failure == null)
        {
            failure = new StackClosedException();
        }
        connectFuture.completeExceptionally(new StackClosedException());
        readiness.signal();
    }

    @Override
    public void onConnected(final io.tapstack.tcp.TcpConnection connection)
    {
        localPort = connection.localPort();
        owner.executor().execute(() -> connectFuture.complete(this));
        pumpSend();
    }

    @Override
    public void onReadable(final io.tapstack.tcp.TcpConnection connection)
    {
        pumpReceive();
    }

    @Override
    public void onWritable(final io.tapstack.tcp.TcpConnection connection)
    {
        pumpSend();
    }

    @Override
    public void onEndOfStream(final io.tapstack.tcp.TcpConnection connection)
    {
        pumpReceive();
    }

    @Override
    public void onClosed(final io.tapstack.tcp.TcpConnection connection)
    {
        // an orderly end: TCP may still hold bytes the reader's ring had no room for; the connection stays known
        // (PUMP_RECEIVE finds it) until they and the end of stream are handed over
        terminated = true;
        pumpReceive();
        readiness.signal();
    }

    @Override
    public void onReset(final io.tapstack.tcp.TcpConnection connection)
    {
        final String reason = connection.resetReason();
        final IOException ex;
        if (!connectFuture.isDone())
        {
            ex = new ConnectException((reason == null ? "connection failed" : reason) + ": "
                + Ipv4Address.toString(remoteAddress) + ":" + remotePort);
            owner.executor().execute(() -> connectFuture.completeExceptionally(ex));
        }
        else
        {
            ex = new SocketException(reason == null ? "connection reset" : "connection reset: " + reason);
        }
        if (failure == null)
        {
            failure = ex;
        }
        forget();
        readiness.signal();
    }
}
