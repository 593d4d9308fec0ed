package io.tapstack.socket;

import io.tapstack.wire.Ipv4Address;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.invoke.VarHandle;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * A TCP connection as an application sees it, the counterpart of {@code java.net.Socket}:
 * {@link #getInputStream()} / {@link #getOutputStream()}, or {@link #readAsync} / {@link #writeAsync} completing
 * on the callback executor.
 *
 * <p>Bytes travel through two single-producer rings: the application writes into the send ring and the stack
 * thread moves into TCP's send buffer only what it takes; the stack reads from TCP's receive buffer only what
 * the receive ring has room for, so a slow reader closes TCP's window instead of growing a queue. Reads are
 * serialized among reader threads, writes among writer threads; a reader and a writer may run at once. The
 * stack thread's half (TCP's callbacks, the pumps) is a {@link TcpSocketPump}, out of the application's sight.
 */
public final class TcpSocket implements AutoCloseable
{
    static final int DATA = 1;
    static final int END_OF_STREAM = 2;

    private final SocketStack owner;
    private final int id;
    private final int remoteAddress;
    private final int remotePort;
    private final int sendChunk;
    private final TcpSocketPump pump;
    private final InputStream input = new SocketInputStream(this);
    private final OutputStream output = new SocketOutputStream(this);
    private volatile boolean outputShutdown;
    private volatile long readTimeoutNs = Long.MAX_VALUE;

    // shared with the stack thread's pump (the rings are single-producer: the application writes the send ring,
    // the stack the receive ring)
    final Readiness readiness;
    /** Taken by the writer when it writes, given back by the stack when idle (see {@link LazyRing}). */
    final LazyRing sendRing;
    /** Taken by the stack when bytes arrive for the reader, given back by it when idle. */
    final LazyRing receiveRing;
    final CompletableFuture<TcpSocket> connectFuture = new CompletableFuture<>();
    /** Set by the application after it wrote into the send ring; cleared by the stack before it drains. */
    final AtomicBoolean sendScheduled = new AtomicBoolean();
    /** Set by the stack when the receive ring was too full to move more; cleared by whoever asks it to resume. */
    final AtomicBoolean receiveBlocked = new AtomicBoolean();
    /** Why the connection failed, as the stack thread (or {@link #abort()}) saw it; callers get a copy. */
    volatile IOException failure;
    volatile boolean closedByApplication;
    volatile int localPort;

    // reader side (under readLock)
    private final Object readLock = new Object();
    /** What is left of a record larger than the last read's room; taken only then (a reader of small reads). */
    private byte[] chunk;
    private int chunkStart;
    private int chunkEnd;
    private boolean endOfStreamSeen;
    /** Where {@link #takeRecord} copies to, for one read. */
    private byte[] readDst;
    private int readOffset;
    private int readLength;
    private int readCount;
    private final MessageHandler takeRecord = this::takeRecord;
    /** Stored once: a bound method reference made per read would allocate per read. */
    private final BooleanSupplier readableCondition = this::readable;
    private final BooleanSupplier writableCondition = this::writable;

    /** The one pending completion-handler read and write, reused for each call (nothing allocated per call). */
    private final PendingTcpRead pendingRead = new PendingTcpRead(this);
    private final PendingTcpWrite pendingWrite = new PendingTcpWrite(this);

    // writer side (under writeLock)
    private final Object writeLock = new Object();
    private final UnsafeBuffer writeSource = new UnsafeBuffer(0, 0);

    TcpSocket(final SocketStack owner, final int id, final int remoteAddress, final int remotePort,
        final SocketOptions options)
    {
        this.owner = owner;
        this.id = id;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.readiness = owner.newReadiness(options);
        this.sendRing = owner.newRing(options.sendBufferBytes(owner.config()));
        this.receiveRing = owner.newRing(options.receiveBufferBytes(owner.config()));
        readTimeout(options.readTimeout());
        this.sendChunk = sendRing.maxMsgLength();
        this.pump = new TcpSocketPump(this, owner, options);
    }

    int id()
    {
        return id;
    }

    /** The stack thread's half of this socket. */
    TcpSocketPump pump()
    {
        return pump;
    }

    CompletableFuture<TcpSocket> connectFuture()
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

    /**
     * The completion-handler style of {@link #readAsync(byte[], int, int)} (NIO.2's shape): {@code handler} gets
     * the bytes read (at least 1) or -1 at end of stream, as a primitive, on the callback executor; nothing is
     * allocated per call. At most one such read is pending per socket (another throws
     * {@link IllegalStateException}); it runs after any future-style reads left before it.
     *
     * @param timeout how long to wait for a byte before {@code handler.failed} gets a
     *                {@link SocketTimeoutException}; {@link Duration#ZERO} or null waits without limit. The stack
     *                thread checks it (no task per read).
     */
    public <A> void readAsync(final byte[] dst, final int offset, final int length, final Duration timeout,
        final A attachment, final TcpCompletionHandler<? super A> handler)
    {
        readAsync(dst, offset, length, timeout == null || timeout.isZero() ? 0 : timeout.toNanos(), attachment,
            handler);
    }

    /** {@link #readAsync(byte[], int, int, Duration, Object, TcpCompletionHandler)} with a timeout in ns (0: none). */
    public <A> void readAsync(final byte[] dst, final int offset, final int length, final long timeoutNs,
        final A attachment, final TcpCompletionHandler<? super A> handler)
    {
        final long deadline = timeoutNs <= 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNs;
        pendingRead.set(dst, offset, length, deadline, attachment, handler);
        if (deadline != Long.MAX_VALUE && owner.readDeadlines.armed(deadline))
        {
            owner.wake(); // a runner parked for longer than this timeout parks again for less
        }
        readiness.submitRead(pendingRead);
    }

    /**
     * The completion-handler style of {@link #writeAsync(byte[], int, int)}: {@code handler} gets {@code length}
     * once every byte is queued to send; nothing is allocated per call. At most one such write is pending per
     * socket; it runs after any future-style writes left before it. The array must stay untouched until then.
     */
    public <A> void writeAsync(final byte[] src, final int offset, final int length, final A attachment,
        final TcpCompletionHandler<? super A> handler)
    {
        pendingWrite.set(src, offset, length, attachment, handler);
        readiness.submitWrite(pendingWrite);
    }

    /** Stack thread: fails the completion-handler read if its deadline passed; returns the deadline still ahead. */
    long expireRead(final long nowNs)
    {
        final long next = pendingRead.expire(nowNs);
        if (next == Long.MIN_VALUE)
        {
            readiness.signalReadable(); // the read's next attempt fails it
            return Long.MAX_VALUE;
        }
        return next;
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
        readiness.signal(); // a writer blocked in another thread learns of it
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
    public TcpSocket nagle(final boolean enabled) throws IOException
    {
        owner.send(SocketStack.NAGLE, id, enabled ? 1 : 0, 0);
        return this;
    }

    /** How long a blocking read waits for data; {@link Duration#ZERO} or null waits forever. */
    public TcpSocket readTimeout(final Duration timeout)
    {
        readTimeoutNs = timeout == null || timeout.isZero() ? Long.MAX_VALUE : timeout.toNanos();
        return this;
    }

    /** The stack's own IPv4 address (an int, as {@link Ipv4Address} reads it). */
    public int localAddress()
    {
        return owner.address();
    }

    /** The local port: ephemeral for a connect, the listening port for an accepted socket; 0 until known. */
    public int localPort()
    {
        return localPort;
    }

    /** The peer's IPv4 address. */
    public int remoteAddress()
    {
        return remoteAddress;
    }

    /** The stack's own address as java.net's {@link java.net.InetAddress} (like {@code Socket.getLocalAddress}). */
    public java.net.InetAddress localInetAddress()
    {
        return InetAddresses.toInet(owner.address());
    }

    /** The peer's address as java.net's {@link java.net.InetAddress} (like {@code Socket.getInetAddress}). */
    public java.net.InetAddress remoteInetAddress()
    {
        return InetAddresses.toInet(remoteAddress);
    }

    /** The peer's port. */
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

    /** The read behind {@link #read(byte[], int, int)} and the input stream, with a timeout of its own. */
    int read(final byte[] dst, final int offset, final int length, final long timeoutNs) throws IOException
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

    long readTimeoutNs()
    {
        return readTimeoutNs;
    }

    /** A blocked writer may go on: half the send ring is free, or it is to learn of a failure or a close. */
    private boolean writable()
    {
        return failure != null || owner.isClosed() || outputShutdown || sendRing.size() < sendRing.capacity() / 2;
    }

    /** For diagnostics only: a racy view of both sides' state. */
    String describe()
    {
        return this + " sendRing=" + sendRing.size() + " receiveRing=" + receiveRing.size() + " sendScheduled="
            + sendScheduled.get() + " receiveBlocked=" + receiveBlocked.get() + " chunk=" + (chunkEnd - chunkStart)
            + " failure=" + failure + " tcp=" + pump.describe();
    }

    private boolean readable()
    {
        return receiveRing.size() > 0 || failure != null || owner.isClosed() || closedByApplication;
    }

    /** Reads what is buffered without waiting: bytes read, 0 if none, -1 at end of stream. */
    int tryRead(final byte[] dst, final int offset, final int length) throws IOException
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
                readDst = dst;
                readOffset = offset;
                readLength = length;
                readCount = 0;
                final int records;
                receiveRing.lock(); // a ring given back goes to the pool and another socket: never while we read it
                try
                {
                    final OneToOneRingBuffer ring = receiveRing.current();
                    records = ring == null ? 0 : readOne(ring, takeRecord);
                }
                finally
                {
                    receiveRing.unlock();
                }
                readDst = null;
                if (records == 0)
                {
                    final IOException failed = failure;
                    if (failed != null)
                    {
                        throw Failures.forCaller(failed);
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
                if (readCount > 0)
                {
                    return readCount;
                }
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

    /** Copies a record straight into the read's array; what does not fit waits in {@link #chunk}. */
    private void takeRecord(final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (type == END_OF_STREAM)
        {
            endOfStreamSeen = true;
            return;
        }
        final int n = Math.min(length, readLength);
        buffer.getBytes(index, readDst, readOffset, n);
        readCount = n;
        if (n < length)
        {
            if (chunk == null)
            {
                chunk = new byte[receiveRing.maxMsgLength()];
            }
            buffer.getBytes(index + n, chunk, 0, length - n);
            chunkStart = 0;
            chunkEnd = length - n;
        }
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
    int tryWrite(final byte[] src, final int offset, final int length) throws IOException
    {
        synchronized (writeLock)
        {
            int done = 0;
            writeSource.wrap(src);
            sendRing.lock(); // the stack gives an idle ring back under this lock: never while we write into it
            try
            {
                done = writeLocked(offset, length);
            }
            finally
            {
                sendRing.unlock();
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

    /** Writes what fits into the send ring (taken if none is held); under the ring's lock. */
    private int writeLocked(final int offset, final int length) throws IOException
    {
        int done = 0;
        while (done < length)
        {
            final IOException failed = failure;
            if (failed != null)
            {
                throw Failures.forCaller(failed);
            }
            owner.checkOpen();
            if (outputShutdown)
            {
                throw new SocketException(closedByApplication ? "socket closed" : "output shut down");
            }
            final int n = Math.min(length - done, sendChunk);
            if (!sendRing.take().write(DATA, writeSource, offset + done, n))
            {
                break;
            }
            done += n;
        }
        return done;
    }

    private void awaitOrThrow(final BooleanSupplier ready, final long deadline, final String what)
        throws IOException
    {
        if (!awaitReady(ready, deadline, what))
        {
            throw new SocketTimeoutException(what + " timed out");
        }
    }

    private boolean awaitReady(final BooleanSupplier ready, final long deadline, final String what)
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

    /** The stack closed under this socket: every pending and later call fails. Any thread. */
    void stackClosed()
    {
        if (failure == null)
        {
            failure = new StackClosedException();
        }
        connectFuture.completeExceptionally(new StackClosedException());
        readiness.signal();
    }
}
