package io.tapstack.examples;

import io.tapstack.socket.SocketConfig;
import io.tapstack.tap.TapStack;
import io.tapstack.wire.Ipv4Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code services}: echo (RFC 862), discard (RFC 863) and chargen (RFC 864) over TCP and UDP, and HTTP/1.1, all at
 * once on one stack, in the socket API's asynchronous style: a few callback threads serve every connection, so
 * that 10,000 of them are held at once with small per-connection buffers. Runs until Ctrl-C.
 */
final class Services
{
    private static final Logger LOG = LoggerFactory.getLogger("services");
    /** Per listener: half-open plus not-yet-accepted connections, and the socket API's accept queue. */
    static final int BACKLOG = 1024;
    static final int MAX_BUFFER_BYTES = 1 << 20;
    static final int MAX_CONNECTIONS = 100_000;
    static final int MAX_CALLBACK_THREADS = 64;
    private static final String[] PORTS = {"echo-port", "discard-port", "chargen-port", "http-port"};

    private Services()
    {
    }

    static Options declare(final Options options)
    {
        return options
            .option("echo-port", "N", "echo (RFC 862) on TCP and UDP, 0..65535; 0 turns it off", "7")
            .option("discard-port", "N", "discard (RFC 863) on TCP and UDP, 0..65535; 0 turns it off", "9")
            .option("chargen-port", "N", "chargen (RFC 864) on TCP and UDP, 0..65535; 0 turns it off", "19")
            .option("http-port", "N", "HTTP/1.1 (GET / and HEAD /) on TCP, 0..65535; 0 turns it off", "80")
            .option("max-connections", "N", "TCP connections the stack holds at once, all services together, 1.."
                + MAX_CONNECTIONS + "; a SYN beyond them is dropped", "16384")
            .option("buffer-bytes", "N", "TCP's send and receive buffers per connection, each, 4096.."
                + MAX_BUFFER_BYTES + "; the socket API's rings are about half as large (a power of two, at least "
                + "4096)", "8192")
            .option("callback-threads", "N", "threads that run every connection's callbacks, 1.."
                + MAX_CALLBACK_THREADS, "2")
            .option("keep-alive-timeout", "SEC", "close an HTTP connection idle this long between requests "
                + "(1..86400)", "5");
    }

    /** Every option {@link #declare} adds, checked before the stack starts. */
    static void check(final Options options)
    {
        ports(options);
        maxConnections(options);
        bufferBytes(options);
        callbackThreads(options);
        keepAlive(options);
    }

    static int run(final String[] args) throws Exception
    {
        final StackCommand command = new StackCommand("services", StackOptions.declare(declare(new Options(
            "services",
            "Echo (RFC 862, port 7), discard (RFC 863, port 9) and chargen (RFC 864, port 19) over TCP and UDP, and\n"
                + "HTTP/1.1 on port 80 (GET / answers a short page; keep-alive), all at once on one stack. Every\n"
                + "connection is served in the socket API's asynchronous style by a few callback threads, none per\n"
                + "connection, with small buffers: by default at most about 30 KiB a busy connection (8 KiB each for\n"
                + "TCP's send and receive buffers, 4 KiB each for the socket rings, and the connection's objects);\n"
                + "buffers and rings go back after 1 s idle, so an idle connection takes about 7 KB of heap.\n"
                + "Runs until Ctrl-C, then prints its counters. Try: nc STACK 7, nc -u STACK 19, curl http://STACK/")
            )));
        final int parsed = command.parse(args, Services::check);
        if (parsed != StackCommand.CONTINUE)
        {
            return parsed;
        }
        final Options options = command.options();
        final Map<String, Integer> ports = ports(options);
        final int bufferBytes = bufferBytes(options);
        final int ringBytes = ringBytes(bufferBytes);
        final int maxConnections = maxConnections(options);
        final ExecutorService callbacks = callbackExecutor(callbackThreads(options));
        final TapStack stack = command.startServer(builder -> builder
            .configure(config -> config.tcp().maxConnections(maxConnections).sendBufferBytes(bufferBytes)
                .receiveBufferBytes(bufferBytes))
            .socketConfig(new SocketConfig().callbackExecutor(callbacks).acceptQueueLength(BACKLOG)
                .tcpSendRingBytes(ringBytes).tcpReceiveRingBytes(ringBytes))
            .closeAfter(callbacks::shutdown));
        if (stack == null)
        {
            callbacks.shutdown();
            return command.failure();
        }
        final ServiceSet services;
        try
        {
            services = ServiceSet.start(stack.sockets(), new ServiceSet.Settings(ports.get("echo-port"),
                ports.get("discard-port"), ports.get("chargen-port"), ports.get("http-port"), BACKLOG, ringBytes,
                keepAlive(options)));
        }
        catch (final IOException ex)
        {
            System.err.println("services: " + ex.getMessage());
            command.stop(null);
            return 1;
        }
        LOG.info("services listening on {}: {}; up to {} TCP connections with {}-byte buffers; Ctrl-C to stop",
            Ipv4Address.toString(stack.sockets().address()), services.listening(), maxConnections, bufferBytes);
        return command.serveUntilStopped(services::summary, services);
    }

    /** The four ports by option name; 0 is off, the others must differ, and one service at least must run. */
    static Map<String, Integer> ports(final Options options)
    {
        final Map<String, Integer> ports = new LinkedHashMap<>();
        for (final String name : PORTS)
        {
            final int port = options.getInt(name, 0, 65_535, "a port 0..65535 (0: off)");
            for (final Map.Entry<String, Integer> e : ports.entrySet())
            {
                if (port != 0 && e.getValue() == port)
                {
                    throw new Options.UsageException("--" + name + " " + port + " is --" + e.getKey()
                        + " already: each service needs a port of its own");
                }
            }
            ports.put(name, port);
        }
        if (ports.values().stream().allMatch(p -> p == 0))
        {
            throw new Options.UsageException("--echo-port, --discard-port, --chargen-port and --http-port are all 0: "
                + "nothing to serve");
        }
        return ports;
    }

    static int maxConnections(final Options options)
    {
        return options.getInt("max-connections", 1, MAX_CONNECTIONS, "1.." + MAX_CONNECTIONS);
    }

    static int bufferBytes(final Options options)
    {
        return options.getInt("buffer-bytes", 4096, MAX_BUFFER_BYTES, "bytes 4096.." + MAX_BUFFER_BYTES);
    }

    static int callbackThreads(final Options options)
    {
        return options.getInt("callback-threads", 1, MAX_CALLBACK_THREADS, "1.." + MAX_CALLBACK_THREADS);
    }

    static Duration keepAlive(final Options options)
    {
        return Duration.ofSeconds(options.getInt("keep-alive-timeout", 1, 86_400, "seconds 1..86400"));
    }

    /** The socket rings for a TCP buffer size: half of it as a power of two, at least the 4 KiB the API takes. */
    static int ringBytes(final int bufferBytes)
    {
        return Math.max(4096, Integer.highestOneBit(bufferBytes) / 2);
    }

    /**
     * A fixed pool: the socket API's default grows a thread whenever all are busy, and 10,000 connections made
     * ready at once would make hundreds. Its queue is bounded all the same: each socket keeps at most two retry
     * tasks queued (one per direction).
     */
    static ExecutorService callbackExecutor(final int threads)
    {
        final AtomicInteger count = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r ->
        {
            final Thread t = new Thread(r, "services-callback-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
