package io.tapstack.examples;

import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.TcpSocket;
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
import java.util.function.Consumer;

/**
 * {@code http}: an HTTP/1.1 server (RFC 9110, RFC 9112) on the stack: keep-alive, static files streamed through a
 * fixed buffer, and the stack's counters at {@code /stats}. Runs until Ctrl-C.
 */
final class HttpServer
{
    private static final Logger LOG = LoggerFactory.getLogger("http");
    /** The buffer a file streams through, per connection. */
    private static final int BUFFER_BYTES = 64 * 1024;
    /** Rings larger than the default, so a file streams without waiting on each 8 KiB. */
    private static final int SEND_RING_BYTES = 256 * 1024;
    /** We serve no method with a body; a small one is read and dropped, a larger one refused. */
    private static final long MAX_BODY_BYTES = 1024 * 1024;
    /** How long a closing connection reads what the client still sends, so that our response is not reset. */
    private static final Duration LINGER = Duration.ofSeconds(2);
    private static final long LINGER_MAX_BYTES = 1024 * 1024;

    private HttpServer()
    {
    }

    static int run(final String[] args) throws Exception
    {
        final StackCommand command = new StackCommand("http", StackOptions.declare(Servers.declare(new Options("http",
            "An HTTP/1.1 server with keep-alive: GET and HEAD of static files from --root (streamed, with content\n"
                + "types; without --root a small built-in page), and the stack's counters at /stats (HTML, or JSON\n"
                + "with 'Accept: application/json') and /stats.json. Runs until Ctrl-C, then prints its counters.\n"
                + "Try: curl http://STACK/stats.json")
            .option("root", "DIR", "directory to serve files from", "none")
            .option("keep-alive-timeout", "SEC", "close a connection idle this long between requests "
                + "(1..86400)", "5")
            .option("max-header-bytes", "N", "largest request head (request line and headers) read, "
                + "256..1048576; larger is 431",
                "8192")
            .flag("access-log", "print a line per request to stdout"), 80)));
        final int parsed = command.parse(args, options ->
        {
            Servers.check(options);
            root(options);
            limits(options);
        });
        if (parsed != StackCommand.CONTINUE)
        {
            return parsed;
        }
        final Options options = command.options();
        final Path root = root(options);
        final HttpSession.Limits limits = limits(options);
        final TapStack stack = command.startServer();
        if (stack == null)
        {
            return command.failure();
        }
        final Map<String, String> info = new LinkedHashMap<>();
        info.put("ip", Ipv4Address.toString(stack.stack().ipAddress()) + "/" + stack.stack().config().prefixLength());
        info.put("mac", MacAddress.toString(stack.stack().macAddress()));
        info.put("tap", stack.tapName());
        info.put("mode", options.get("mode"));
        final HttpStats stats = new HttpStats();
        final io.tapstack.dev.ImpairedDevice impaired = ImpairmentCounts.find(stack.stack().device());
        final HttpSite site = new HttpSite(root, () -> countersAndImpairments(stack, impaired), info, stats);
        final Consumer<String> accessLog = options.has("access-log") ? System.out::println : null;
        final int port = Servers.port(options);
        final TcpServer server;
        try
        {
            final SocketOptions socketOptions = SocketOptions.defaults()
                .nagle(false) // responses are written whole; a tail segment must not wait for an ACK
                .sendBufferBytes(SEND_RING_BYTES)
                .readTimeout(Duration.ofSeconds(limits.keepAliveSeconds()));
            server = new TcpServer("http", stack.sockets().listen(port, 128, socketOptions),
                Servers.maxClients(options), c -> serve(c, site, stats, limits, accessLog),
                HttpServer::turnAway).start();
        }
        catch (final IOException ex)
        {
            System.err.println("http: " + ex.getMessage());
            command.stop(null);
            return 1;
        }
        LOG.info("http listening on http://{}:{}/ serving {}; Ctrl-C to stop",
            Ipv4Address.toString(stack.sockets().address()), port, root == null ? "the built-in page" : root);
        return command.serveUntilStopped(() -> server.summary() + stats.summary(), server);
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

    private static HttpSession.Limits limits(final Options options)
    {
        final int keepAlive = options.getInt("keep-alive-timeout", 1, 86_400, "seconds 1..86400");
        final int maxHead = options.getInt("max-header-bytes", 256, 1 << 20, "bytes 256..1048576");
        return new HttpSession.Limits(maxHead, MAX_BODY_BYTES, keepAlive, BUFFER_BYTES);
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

    private static void serve(final TcpSocket c, final HttpSite site, final HttpStats stats,
        final HttpSession.Limits limits, final Consumer<String> accessLog) throws IOException
    {
        stats.connectionOpened();
        try
        {
            final HttpSession session = new HttpSession(c.getInputStream(), c.getOutputStream(), site, stats, limits,
                Discard.peer(c), accessLog);
            if (session.serve() == HttpSession.End.CLOSE)
            {
                lingeringClose(c);
            }
        }
        finally
        {
            stats.connectionClosed();
        }
    }

    /**
     * Half-closes, then reads what the client still sends for a moment before closing: closing with unread data
     * resets the connection, and a reset can destroy the response before the client has read it (RFC 9112 §9.6).
     */
    private static void lingeringClose(final TcpSocket c) throws IOException
    {
        c.shutdownOutput();
        c.readTimeout(LINGER);
        final byte[] drop = new byte[8192];
        long dropped = 0;
        try
        {
            int n;
            while (dropped < LINGER_MAX_BYTES && (n = c.read(drop, 0, drop.length)) >= 0)
            {
                dropped += n;
            }
        }
        catch (final IOException ex)
        {
            // timed out or reset: either way we are done with it
        }
        c.close();
    }

    /** Beyond --max-clients: a 503 rather than a reset, so the client knows to come back. */
    private static void turnAway(final TcpSocket c) throws IOException
    {
        HttpResponse.error(503, "too many connections; try again shortly").header("Retry-After", "1")
            .writeTo(c.getOutputStream(), false, "close", null, new byte[0]);
    }
}
