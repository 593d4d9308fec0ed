package io.tapstack.examples;

import io.tapstack.socket.SocketConfig;
import io.tapstack.socket.SocketOptions;
import io.tapstack.tap.TapStack;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * {@code http}: an HTTP/1.1 server (RFC 9110, RFC 9112) on the stack: keep-alive, static files queued in chunks,
 * and the stack's counters at {@code /stats}. Every connection is an {@link AsyncHttpConnection} on a few callback
 * threads, none per connection, so slow clients hold no thread and no cap turns new ones away; a request head
 * must arrive whole within {@code --header-timeout}. Runs until Ctrl-C.
 */
final class HttpServer
{
    private static final Logger LOG = LoggerFactory.getLogger("http");
    /** The chunk a file is queued in, per connection while it sends one. */
    private static final int FILE_CHUNK_BYTES = 64 * 1024;
    /** What each {@code readAsync} of a request fills. */
    private static final int READ_BYTES = 4096;
    /** Rings larger than the default, so a file streams without waiting on each 8 KiB. */
    private static final int SEND_RING_BYTES = 256 * 1024;
    /** A larger request body is refused (413); a smaller one is answered, then the connection closes. */
    private static final long MAX_BODY_BYTES = 1024 * 1024;
    /** Threads that run every connection's callbacks (and read the files served). */
    private static final int CALLBACK_THREADS = 4;
    private static final int BACKLOG = 1024;

    private HttpServer()
    {
    }

    static int run(final String[] args) throws Exception
    {
        final StackCommand command = new StackCommand("http", StackOptions.declare(new Options("http",
            "An HTTP/1.1 server with keep-alive: GET and HEAD of static files from --root (streamed, with content\n"
                + "types; without --root a small built-in page), and the stack's counters at /stats (HTML, or JSON\n"
                + "with 'Accept: application/json') and /stats.json. Connections are served in the socket API's\n"
                + "asynchronous style, none holding a thread. Runs until Ctrl-C, then prints its counters.\n"
                + "Try: curl http://STACK/stats.json")
            .option("port", "N", "port to serve on, 1..65535", "80")
            .option("root", "DIR", "directory to serve files from", "none")
            .option("keep-alive-timeout", "SEC", "close a connection idle this long between requests "
                + "(1..86400)", "5")
            .option("header-timeout", "SEC", "a request head (request line and headers) must arrive whole within "
                + "this long of its first byte, 1..3600; else 408 and close (slowloris)", "10")
            .option("max-header-bytes", "N", "largest request head (request line and headers) read, "
                + "256..1048576; larger is 431",
                "8192")
            .flag("access-log", "print a line per request to stdout")));
        final int parsed = command.parse(args, options ->
        {
            Servers.port(options);
            root(options);
            settings(options);
        });
        if (parsed != StackCommand.CONTINUE)
        {
            return parsed;
        }
        final Options options = command.options();
        final Path root = root(options);
        final AsyncHttpConnection.Settings settings = settings(options);
        final ExecutorService callbacks = Services.callbackExecutor(CALLBACK_THREADS);
        final TapStack stack = command.startServer(builder -> builder
            .socketConfig(new SocketConfig().callbackExecutor(callbacks).acceptQueueLength(BACKLOG))
            .closeAfter(callbacks::shutdown));
        if (stack == null)
        {
            callbacks.shutdown();
            return command.failure();
        }
        final Map<String, String> info = new LinkedHashMap<>();
        info.put("ip", Ipv4Address.toString(stack.stack().ipAddress()) + "/" + stack.stack().config().prefixLength());
        info.put("mac", MacAddress.toString(stack.stack().macAddress()));
        info.put("tap", stack.tapName());
        info.put("mode", options.get("mode"));
        final HttpStats stats = new HttpStats();
        final io.tapstack.dev.ImpairedDevice impaired = ImpairmentCounts.find(stack.stack().device());
        final HttpConnectionStats connections = new HttpConnectionStats(stack.sockets());
        final HttpSite site = new HttpSite(root, () -> countersAndImpairments(stack, impaired), info, stats,
            connections);
        final int port = Servers.port(options);
        final AsyncTcpService server;
        try
        {
            final SocketOptions socketOptions = SocketOptions.defaults()
                .nagle(false) // responses are written whole; a tail segment must not wait for an ACK
                .sendBufferBytes(SEND_RING_BYTES);
            server = new AsyncTcpService("http", stack.sockets().listen(port, BACKLOG, socketOptions),
                AsyncHttpConnection.handler(site::respond, stats, settings)).start();
        }
        catch (final IOException ex)
        {
            System.err.println("http: " + ex.getMessage());
            connections.close();
            command.stop(null);
            return 1;
        }
        LOG.info("http listening on http://{}:{}/ serving {}; Ctrl-C to stop",
            Ipv4Address.toString(stack.sockets().address()), port, root == null ? "the built-in page" : root);
        return command.serveUntilStopped(() -> server.summary() + stats.summary(), server, connections);
    }

    /**
     * The stack's counters, the TAP's offload counts (tap_rx_super_frames, ...) and the impairments' own counts
     * (impair_rx_..., impair_tx_...) when there are any.
     */
    private static Map<String, Long> countersAndImpairments(final TapStack stack,
        final io.tapstack.dev.ImpairedDevice impaired)
    {
        final Map<String, Long> all = stack.sockets().counters().snapshot();
        all.putAll(stack.offloadCounts());
        all.putAll(ImpairmentCounts.snapshot(impaired));
        return all;
    }

    /** --root, or null for the built-in page. */
    private static Path root(final Options options)
    {
        return "none".equals(options.get("root")) ? null : servedRoot(options.get("root"));
    }

    private static AsyncHttpConnection.Settings settings(final Options options)
    {
        final int keepAlive = options.getInt("keep-alive-timeout", 1, 86_400, "seconds 1..86400");
        final int headerTimeout = options.getInt("header-timeout", 1, 3_600, "seconds 1..3600");
        final int maxHead = options.getInt("max-header-bytes", 256, 1 << 20, "bytes 256..1048576");
        final Consumer<String> accessLog = options.has("access-log") ? System.out::println : null;
        return new AsyncHttpConnection.Settings(maxHead, READ_BYTES, Duration.ofSeconds(keepAlive),
            Duration.ofSeconds(headerTimeout), MAX_BODY_BYTES, FILE_CHUNK_BYTES, accessLog);
    }

    private static Path servedRoot(final String dir)
    {
        final Path path = Path.of(dir);
        if (!Files.isDirectory(path))
        {
            throw new Options.UsageException("--root must be a directory to serve, not '" + dir + "'");
        }
        try
        {
            // the real path: every served file's real path must start with it (links out are refused)
            return path.toRealPath();
        }
        catch (final IOException ex)
        {
            throw new Options.UsageException("--root must be a readable directory, not '" + dir + "' ("
                + ex.getMessage() + ")");
        }
    }
}
