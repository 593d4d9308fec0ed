package io.tapstack.socket;

import io.tapstack.NetStack;
import io.tapstack.StackCounters;
import io.tapstack.wire.Ipv4Address;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What applications call, from any thread, to use one {@link NetStack}: TCP listeners and connections, UDP
 * sockets, ping. Calls never touch the stack's objects: they go to the stack thread as commands through an
 * Agrona {@link ManyToOneRingBuffer}, and data comes back through per-socket rings with back-pressure (a writer
 * waits for ring space; the stack moves only what TCP's send buffer takes, and reads from TCP only what the
 * reader's ring has room for, so the advertised window closes when a reader is slow).
 *
 * <p>Both styles: blocking calls with timeouts, like {@code java.net.Socket}, and non-blocking ones returning
 * {@link CompletableFuture}s completed on the callback executor (never on the stack thread, unless a socket asks
 * for {@link SocketOptions#directCallbacks}). Closing the stack
 * fails every pending and later call with {@link StackClosedException}.
 *
 * <p>A {@link StackRunner} drives it: {@link #doWork} runs on the stack thread.
 */
public final class SocketStack implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(SocketStack.class);
    private static final int COMMAND_BURST = 256;
    private static final long BIND_TIMEOUT_NS = 10_000_000_000L;

    // command types (the message type of the command ring); each body starts with the socket's id
    static final int CONNECT = 1;
    static final int PUMP_SEND = 2;
    static final int PUMP_RECEIVE = 3;
    static final int SHUTDOWN_OUTPUT = 4;
    static final int CLOSE = 5;
    static final int ABORT = 6;
    static final int NAGLE = 7;
    static final int LISTEN = 10;
    static final int CLOSE_LISTENER = 11;
    static final int ACCEPT_MORE = 12;
    static final int UDP_BIND = 20;
    static final int UDP_SEND = 21;
    static final int UDP_CLOSE = 22;
    static final int UDP_PUMP = 23;
    static final int PING = 30;
    static final int TCP_SNAPSHOT = 31;

    static final int ID_OFFSET = CommandRing.ID_OFFSET;
    static final int ARG1_OFFSET = CommandRing.ARG1_OFFSET;
    static final int ARG2_OFFSET = CommandRing.ARG2_OFFSET;
    static final int BODY_LENGTH = CommandRing.BODY_LENGTH;

    private final NetStack stack;
    private final SocketConfig config;
    private final CommandRing commands;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final AtomicInteger ids = new AtomicInteger();
    /** Sockets made by application threads, waiting for the stack thread to pick them up by id. */
    private final Map<Integer, Object> created = new ConcurrentHashMap<>();
    /** Every socket not yet finished, to fail when the stack closes. */
    private final Map<Object, Runnable> live = new ConcurrentHashMap<>();
    private final MessageHandler commandHandler = this::onCommand;
    private final PingService pings;
    private final TcpConnectionSnapshots snapshots = new TcpConnectionSnapshots(this);
    /** Returns of blocked application threads from their waits: each a signal that may have made one ready. */
    private final LongAdder blockedWakeups = new LongAdder();
    private volatile boolean closed;
    private volatile StackRunner runner;

    // owned by the stack thread
    private final Int2ObjectHashMap<TcpSocketPump> connections = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<TcpServerSocket> listeners = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<UdpSocket> udpSockets = new Int2ObjectHashMap<>();
    /** Opens and binds on the stack side; {@link SocketOpens#noRouteTo} is for any thread. */
    final SocketOpens opens;
    /** The time commands run at in this duty cycle (the stack takes time as a parameter, never reads a clock). */
    private long commandNowNs;
    /** Gives idle sockets' rings back. */
    private final IdleRingSweeper rings;
    final ReadDeadlines readDeadlines = new ReadDeadlines(); // completion-handler reads' timeouts, stack thread

    /** A socket API over {@code stack}, to be added to a {@link StackRunner} (which then owns the stack thread). */
    public SocketStack(final NetStack stack, final SocketConfig config)
    {
        this.stack = stack;
        this.config = config.validate();
        this.commands = new CommandRing(config.commandRingBytes());
        this.rings = new IdleRingSweeper(config.ringIdleReleaseNs(), config.ringPoolBytes());
        if (config.callbackExecutor() != null)
        {
            this.executor = config.callbackExecutor();
            this.ownedExecutor = null;
        }
        else
        {
            final AtomicInteger threads = new AtomicInteger();
            this.ownedExecutor = Executors.newCachedThreadPool(r ->
            {
                final Thread t = new Thread(r, "tapstack-callback-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.executor = ownedExecutor;
        }
        this.pings = new PingService(this);
        this.opens = new SocketOpens(stack, connections, listeners, udpSockets);
        stack.arp().resolutionFailureListener(opens::onResolutionFailed);
    }

    public SocketStack(final NetStack stack)
    {
        this(stack, new SocketConfig());
    }

    // ------------------------------------------------------------------------------------- application side

    /** Listens on {@code port} (0: an ephemeral port) with the stack's default backlog. */
    public TcpServerSocket listen(final int port) throws IOException
    {
        return listen(port, stack.tcp().config().defaultBacklog());
    }

    /** Listens on {@code port} with the default backlog; every accepted connection gets {@code options}. */
    public TcpServerSocket listen(final int port, final SocketOptions options) throws IOException
    {
        return listen(port, stack.tcp().config().defaultBacklog(), options);
    }

    /**
     * Listens on {@code port} (0: an ephemeral port, as {@code new ServerSocket(0)}; {@link TcpServerSocket#port()}
     * says which); {@code backlog} bounds half-open plus not-yet-accepted connections.
     *
     * @throws BindException when the port is taken
     */
    public TcpServerSocket listen(final int port, final int backlog) throws IOException
    {
        return listen(port, backlog, SocketOptions.defaults());
    }

    /** Listens on {@code port}; every accepted connection gets {@code options}. */
    public TcpServerSocket listen(final int port, final int backlog, final SocketOptions options) throws IOException
    {
        checkOpen();
        final TcpServerSocket listener = new TcpServerSocket(this, nextId(), port, backlog, config.acceptQueueLength(),
            options);
        register(listener.id(), listener, listener::stackClosed);
        send(LISTEN, listener.id(), port, backlog);
        listener.awaitBound();
        return listener;
    }

    /** Connects to {@code address}:{@code port} ("10.0.0.1"), waiting at most {@code timeout}. */
    public TcpSocket connect(final String address, final int port, final Duration timeout) throws IOException
    {
        return connect(Ipv4Address.parse(address), port, timeout);
    }

    /** Connects to {@code address}:{@code port} (an IPv4 address), waiting at most {@code timeout}. */
    public TcpSocket connect(final InetAddress address, final int port, final Duration timeout) throws IOException
    {
        return connect(InetAddresses.toInt(address), port, timeout);
    }

    /** {@link #connect(String, int, Duration)} with per-connection options. */
    public TcpSocket connect(final String address, final int port, final Duration timeout,
        final SocketOptions options) throws IOException
    {
        return connect(Ipv4Address.parse(address), port, timeout, options);
    }

    /** {@link #connect(InetAddress, int, Duration)} with per-connection options. */
    public TcpSocket connect(final InetAddress address, final int port, final Duration timeout,
        final SocketOptions options) throws IOException
    {
        return connect(InetAddresses.toInt(address), port, timeout, options);
    }

    /**
     * Connects to {@code address}:{@code port} (RFC 9293 active open), waiting at most {@code timeout}; a connect
     * that times out is aborted.
     *
     * @throws ConnectException when refused (RST) or no connection can be made
     * @throws NoRouteToHostException at once when the address is off the subnet and there is no gateway, or after
     *     the ARP retries when the next hop does not answer (as Linux's EHOSTUNREACH)
     * @throws SocketTimeoutException when the timeout passes first
     */
    public TcpSocket connect(final int address, final int port, final Duration timeout) throws IOException
    {
        return connect(address, port, timeout, SocketOptions.defaults());
    }

    /** {@link #connect(int, int, Duration)} with per-connection options (buffer sizes, Nagle, read timeout). */
    public TcpSocket connect(final int address, final int port, final Duration timeout,
        final SocketOptions options) throws IOException
    {
        final CompletableFuture<TcpSocket> future = connectAsync(address, port, options);
        try
        {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final TimeoutException ex)
        {
            future.cancel(false);
            throw new SocketTimeoutException("connect to " + Ipv4Address.toString(address) + ":" + port
                + " timed out after " + timeout.toMillis() + " ms");
        }
        catch (final InterruptedException ex)
        {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting");
        }
        catch (final ExecutionException ex)
        {
            throw Failures.unwrap(ex);
        }
    }

    /**
     * Starts a connect; the future completes on the callback executor. Cancelling it aborts the connection. It
     * fails as {@link #connect(int, int, Duration)} says (refused, no route).
     */
    public CompletableFuture<TcpSocket> connectAsync(final int address, final int port)
    {
        return connectAsync(address, port, SocketOptions.defaults());
    }

    /** {@link #connectAsync(int, int)} to "10.0.0.1". */
    public CompletableFuture<TcpSocket> connectAsync(final String address, final int port)
    {
        return connectAsync(Ipv4Address.parse(address), port, SocketOptions.defaults());
    }

    /** {@link #connectAsync(int, int)} to an IPv4 {@link InetAddress}. */
    public CompletableFuture<TcpSocket> connectAsync(final InetAddress address, final int port)
    {
        return connectAsync(InetAddresses.toInt(address), port, SocketOptions.defaults());
    }

    /** {@link #connectAsync(String, int)} with per-connection options. */
    public CompletableFuture<TcpSocket> connectAsync(final String address, final int port, final SocketOptions options)
    {
        return connectAsync(Ipv4Address.parse(address), port, options);
    }

    /** {@link #connectAsync(InetAddress, int)} with per-connection options. */
    public CompletableFuture<TcpSocket> connectAsync(final InetAddress address, final int port,
        final SocketOptions options)
    {
        return connectAsync(InetAddresses.toInt(address), port, options);
    }

    /** {@link #connectAsync(int, int)} with per-connection options. */
    public CompletableFuture<TcpSocket> connectAsync(final int address, final int port, final SocketOptions options)
    {
        final CompletableFuture<TcpSocket> failed = failIfClosed();
        if (failed != null)
        {
            return failed;
        }
        final TcpSocket connection = new TcpSocket(this, nextId(), address, port, options);
        register(connection.id(), connection, connection::stackClosed);
        connection.connectFuture().whenComplete((c, ex) ->
        {
            if (ex != null)
            {
                connection.abort();
            }
        });
        try
        {
            send(CONNECT, connection.id(), address, port);
        }
        catch (final IOException ex)
        {
            connection.connectFuture().completeExceptionally(ex);
        }
        return connection.connectFuture();
    }

    /** A UDP socket on {@code port} (0: an ephemeral port). */
    public UdpSocket bindUdp(final int port) throws IOException
    {
        checkOpen();
        final UdpSocket socket = new UdpSocket(this, nextId(), config.udpReceiveRingBytes());
        register(socket.id(), socket, socket::stackClosed);
        send(UDP_BIND, socket.id(), port, 0);
        socket.awaitBound();
        return socket;
    }

    /** Echo requests from this stack (ICMP, RFC 792). */
    public Ping ping()
    {
        return new Ping(pings);
    }

    /** Up to {@code max} (1..4096) TCP connections, each with a TcpInfo taken on the stack thread; for monitoring. */
    public CompletableFuture<TcpConnections> tcpConnections(final int max)
    {
        return snapshots.request(max);
    }

    /** The stack's counters; readable from any thread. */
    public StackCounters counters()
    {
        return stack.counters();
    }

    /** The stack's own address (an int, as {@link Ipv4Address} reads it). */
    public int address()
    {
        return stack.ipAddress();
    }

    /** The stack's own address as java.net's {@link InetAddress}. */
    public InetAddress inetAddress()
    {
        return InetAddresses.toInet(stack.ipAddress());
    }

    /** The stack behind this API: its objects belong to the stack thread; from others, only counters and config. */
    public NetStack netStack()
    {
        return stack;
    }

    public boolean isClosed()
    {
        return closed;
    }

    /** Sockets not yet finished (open, closing, or holding bytes for a reader): a leak shows here first. */
    public int openSockets()
    {
        return live.size();
    }

    /**
     * Wake-ups of application threads blocked in this stack's sockets: on a signal, or at their own timeout (they
     * never poll, so idle blocked readers add nothing here however long they wait). Any thread.
     */
    public long blockedWakeups()
    {
        return blockedWakeups.sum();
    }

    /** Stops the runner (if it runs only this stack) and fails every open socket and pending call. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final StackRunner r = runner;
        if (r != null)
        {
            r.remove(this);
        }
        failEverything();
        if (ownedExecutor != null)
        {
            ownedExecutor.shutdown();
        }
    }

    // ------------------------------------------------------------------------------------- shared internals

    SocketConfig config()
    {
        return config;
    }

    Executor executor()
    {
        return executor;
    }

    /** Bytes of TCP socket rings held by sockets now (not the pool's: {@link #ringPool()}). Any thread. */
    public long ringBytesHeld()
    {
        return rings.bytesHeld();
    }

    /** The TCP socket rings kept for reuse: their bytes, and rings reused vs allocated. Any thread. */
    public RingPool ringPool()
    {
        return rings.pool();
    }

    LazyRing newRing(final int capacity)
    {
        return rings.newRing(capacity);
    }

    /** A socket took a ring (stack thread): the idle sweep gives it back. */
    void holdsRings(final TcpSocketPump pump)
    {
        rings.add(pump, commandNowNs);
    }

    /** Where one socket's callers wait; its wake-ups count in {@link #blockedWakeups()}. */
    Readiness newReadiness()
    {
        return new Readiness(executor, blockedWakeups, this);
    }

    /** Where a socket's callbacks run: the callback executor, or, with {@code directCallbacks}, where they come. */
    Readiness newReadiness(final SocketOptions options)
    {
        return new Readiness(options.directCallbacks() ? Runnable::run : executor, blockedWakeups, this);
    }

    /** True in the thread that runs this stack's duty cycles. */
    boolean onStackThread()
    {
        final StackRunner r = runner;
        return r != null && r.isStackThread();
    }

    int nextId()
    {
        return ids.incrementAndGet();
    }

    /** @param onStackClosed what fails the socket's calls when the stack closes under it */
    void register(final int id, final Object socket, final Runnable onStackClosed)
    {
        created.put(id, socket);
        live.put(socket, onStackClosed);
    }

    void finished(final Object socket)
    {
        live.remove(socket);
    }

    /** Waits for the stack thread to bind a socket ({@code bound}) or refuse it: it answers within a duty cycle. */
    void awaitBound(final Readiness readiness, final BooleanSupplier bound,
        final Supplier<IOException> failure, final String what) throws IOException
    {
        readiness.block(() ->
        {
            final IOException refused = failure.get();
            if (refused != null)
            {
                throw Failures.forCaller(refused);
            }
            checkOpen();
            return bound.getAsBoolean() ? Boolean.TRUE : null;
        }, () -> bound.getAsBoolean() || failure.get() != null || closed, System.nanoTime() + BIND_TIMEOUT_NS,
            () -> new IOException("the stack did not answer " + what + " (is it running?)"));
    }

    void checkOpen() throws StackClosedException
    {
        if (closed)
        {
            throw new StackClosedException();
        }
    }

    <T> CompletableFuture<T> failIfClosed()
    {
        if (closed)
        {
            return CompletableFuture.failedFuture(new StackClosedException());
        }
        return null;
    }

    /** Sends a command with no payload; waits while the command ring is full (back-pressure). */
    void send(final int type, final int id, final int arg1, final int arg2) throws IOException
    {
        send(type, id, arg1, arg2, null, 0, 0);
    }

    /** Sends a command carrying {@code length} bytes of payload after its body. */
    void send(final int type, final int id, final int arg1, final int arg2, final DirectBuffer payload,
        final int offset, final int length) throws IOException
    {
        commands.put(type, id, arg1, arg2, payload, offset, length, this);
    }

    /** A command that must not fail (cleanup): retried quietly, dropped only once the stack is closed. */
    void sendQuietly(final int type, final int id, final int arg1, final int arg2)
    {
        try
        {
            send(type, id, arg1, arg2);
        }
        catch (final IOException ex)
        {
            LOG.debug("command {} for socket {} not sent: {}", type, id, ex.getMessage());
        }
    }

    void wake()
    {
        final StackRunner r = runner;
        if (r != null)
        {
            r.wake();
        }
    }

    private void failEverything()
    {
        for (final Runnable onStackClosed : live.values())
        {
            onStackClosed.run();
        }
        live.clear();
        pings.stackClosed();
        snapshots.stackClosed();
    }

    // ------------------------------------------------------------------------------------------ stack thread

    void attach(final StackRunner runner)
    {
        this.runner = runner;
        stack.echoListener(pings::onEchoReply);
    }

    /** True when commands wait (the runner must not sleep). Any thread. */
    boolean hasCommands()
    {
        return !commands.isEmpty();
    }

    /**
     * One duty cycle on the stack thread: commands at {@code nowNs}, then the stack. When commands ran, the stack's
     * cycle reads {@code clock} again: a reply it reads to a request a command just sent (a TAP answers within
     * microseconds) must not get the request's own time, or the ping's RTT would be 0.
     */
    int doWork(final long nowNs, final NanoClock clock)
    {
        // commands run at this cycle's time (time flows one way: the runner reads the clock, the stack does not)
        commandNowNs = nowNs;
        stack.onTime(nowNs);
        int work = commands.read(commandHandler, COMMAND_BURST);
        work += stack.doWork(work > 0 ? clock.nanoTime() : nowNs);
        rings.doWork(nowNs); // housekeeping, not work: the runner may park right after
        readDeadlines.doWork(nowNs, connections);
        return work;
    }

    long nextDeadlineNs()
    {
        return Math.min(Math.min(stack.nextDeadlineNs(), rings.nextDeadlineNs()), readDeadlines.nextDeadlineNs());
    }

    /** The runner stopped: tell every socket. Stack thread. */
    void onRunnerStopped()
    {
        failEverything();
    }

    private void onCommand(final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int id = buffer.getInt(index + ID_OFFSET);
        final int arg1 = buffer.getInt(index + ARG1_OFFSET);
        final int arg2 = buffer.getInt(index + ARG2_OFFSET);
        try
        {
            switch (type)
            {
                case CONNECT -> onConnect(id, arg1, arg2);
                case PUMP_SEND, PUMP_RECEIVE, SHUTDOWN_OUTPUT, CLOSE, ABORT, NAGLE ->
                {
                    final TcpSocketPump c = connections.get(id);
                    if (c != null)
                    {
                        c.onCommand(type, arg1);
                    }
                }
                case LISTEN -> onListen(id, arg1, arg2);
                case CLOSE_LISTENER ->
                {
                    final TcpServerSocket l = listeners.remove(id);
                    if (l != null)
                    {
                        l.onClose();
                    }
                }
                case ACCEPT_MORE ->
                {
                    final TcpServerSocket l = listeners.get(id);
                    if (l != null)
                    {
                        l.pumpAccept();
                    }
                }
                case UDP_BIND -> onUdpBind(id, arg1);
                case UDP_SEND ->
                {
                    final UdpSocket u = udpSockets.get(id);
                    if (u != null)
                    {
                        u.onSend(arg1, arg2, buffer, index + BODY_LENGTH, length - BODY_LENGTH, commandNowNs);
                    }
                }
                case UDP_PUMP ->
                {
                    final UdpSocket u = udpSockets.get(id);
                    if (u != null)
                    {
                        u.pumpReceive();
                    }
                }
                case UDP_CLOSE ->
                {
                    final UdpSocket u = udpSockets.remove(id);
                    if (u != null)
                    {
                        u.onClose();
                    }
                }
                case PING -> pings.onPingCommand(id, arg1, arg2, commandNowNs);
                case TCP_SNAPSHOT -> snapshots.onCommand(id, arg1, connections, commandNowNs);
                default -> LOG.warn("unknown command {}", type);
            }
        }
        catch (final RuntimeException ex)
        {
            // a bug in the socket layer must not stop the stack thread
            LOG.error("command {} for socket {} failed", type, id, ex);
        }
    }

    private void onConnect(final int id, final int address, final int port)
    {
        final TcpSocket c = (TcpSocket)created.remove(id);
        if (c != null)
        {
            opens.connect(id, c, address, port, commandNowNs);
        }
    }

    private void onListen(final int id, final int port, final int backlog)
    {
        final TcpServerSocket l = (TcpServerSocket)created.remove(id);
        if (l != null)
        {
            opens.listen(id, l, port, backlog);
        }
    }

    private void onUdpBind(final int id, final int port)
    {
        final UdpSocket u = (UdpSocket)created.remove(id);
        if (u != null)
        {
            opens.bindUdp(id, u, port);
        }
    }

    /** An accepted connection joins the stack-side table. Stack thread. */
    void adopt(final TcpSocket c)
    {
        connections.put(c.id(), c.pump());
        live.put(c, c::stackClosed);
    }

    /** A connection is done on the stack side. Stack thread. */
    void forget(final TcpSocket c)
    {
        connections.remove(c.id());
    }
}
