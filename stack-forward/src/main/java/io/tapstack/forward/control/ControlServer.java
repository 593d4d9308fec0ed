package io.tapstack.forward.control;

import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The forwarding engine's control API: JSON over HTTP on a loopback address, to list, add and remove port forwards
 * while the engine runs.
 * <pre>
 * GET    /forwards                          200 {"forwards": [{"spec": "127.0.0.1:8080:80/tcp", ..., counters}]}
 * POST   /forwards  {"spec": "8080:80/udp"} 201 the forward added (or {"protocol", "hostAddress", "hostPort",
 *                                               "guestPort"} in place of "spec")
 * DELETE /forwards/PROTOCOL/HOST_ADDR/PORT  204, or 404 when no forward holds that host socket
 * </pre>
 * Errors answer {@code {"error": "..."}}: 400 for a request it cannot read, 404, 405, 409 when the host socket is
 * taken or cannot be opened, 413 for a body over {@link #MAX_BODY_BYTES}. It listens on loopback only (it can open
 * host sockets, so it is never offered to the network), and answers on one thread of its own.
 */
public final class ControlServer implements AutoCloseable
{
    /** The largest request body read; a forward's JSON is a few dozen bytes. */
    public static final int MAX_BODY_BYTES = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    private static final String PATH = "/forwards";

    private final PortForwards forwards;
    private final HttpServer server;
    private final ExecutorService executor;

    private ControlServer(final PortForwards forwards, final HttpServer server, final ExecutorService executor)
    {
        this.forwards = forwards;
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts answering on {@code address} (a loopback address; port 0 picks a free one).
     *
     * @throws IllegalArgumentException when the address is not a loopback address
     */
    public static ControlServer start(final InetSocketAddress address, final PortForwards forwards) throws IOException
    {
        final InetAddress ip = address.getAddress();
        if (ip == null || !ip.isLoopbackAddress())
        {
            throw new IllegalArgumentException("the control API listens on a loopback address only, not " + address);
        }
        final HttpServer server = HttpServer.create(address, 16);
        final ExecutorService executor = Executors.newSingleThreadExecutor(r ->
        {
            final Thread thread = new Thread(r, "forward-control");
            thread.setDaemon(true);
            return thread;
        });
        final ControlServer control = new ControlServer(forwards, server, executor);
        server.createContext(PATH, control::handle);
        server.setExecutor(executor);
        server.start();
        LOG.info("control API on http://{}:{}{}", ip.getHostAddress(), server.getAddress().getPort(), PATH);
        return control;
    }

    /** The address it answers on (the port chosen when 0 was asked for). */
    public InetSocketAddress address()
    {
        return server.getAddress();
    }

    @Override
    public void close()
    {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            final String path = exchange.getRequestURI().getPath();
            final String method = exchange.getRequestMethod();
            if (PATH.equals(path) || (PATH + "/").equals(path))
            {
                switch (method)
                {
                    case "GET" -> list(exchange);
                    case "POST" -> add(exchange);
                    default -> error(exchange, 405, method + " " + PATH + ": GET or POST");
                }
            }
            else if (path.startsWith(PATH + "/"))
            {
                if ("DELETE".equals(method))
                {
                    remove(exchange, path.substring(PATH.length() + 1));
                }
                else
                {
                    error(exchange, 405, method + " " + path + ": DELETE");
                }
            }
            else
            {
                error(exchange, 404, "no " + path + " here: " + PATH);
            }
        }
        catch (final RuntimeException ex)
        {
            // a failure of the engine answers this request only; the API goes on serving
            LOG.warn("control request failed", ex);
        }
    }

    private void list(final HttpExchange exchange) throws IOException
    {
        final List<Map<String, Object>> entries = new ArrayList<>();
        for (final PortForwardStatus status : forwards.list())
        {
            entries.add(json(status));
        }
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("forwards", entries);
        send(exchange, 200, body);
    }

    private void add(final HttpExchange exchange) throws IOException
    {
        final byte[] body = readBody(exchange);
        if (body == null)
        {
            error(exchange, 413, "a request body over " + MAX_BODY_BYTES + " bytes");
            return;
        }
        final PortForward forward;
        try
        {
            forward = forwardOf(JSON.std.mapFrom(new String(body, StandardCharsets.UTF_8)));
        }
        catch (final IOException | IllegalArgumentException | ClassCastException ex)
        {
            error(exchange, 400, "cannot read the forward: " + ex.getMessage());
            return;
        }
        try
        {
            send(exchange, 201, json(forwards.add(forward)));
        }
        catch (final IllegalStateException | IOException ex)
        {
            error(exchange, 409, forward.spec() + ": " + ex.getMessage());
        }
    }

    private void remove(final HttpExchange exchange, final String rest) throws IOException
    {
        final String[] parts = rest.split("/", -1);
        if (parts.length != 3)
        {
            error(exchange, 400, "DELETE " + PATH + "/PROTOCOL/HOST_ADDR/HOST_PORT");
            return;
        }
        final PortForward key;
        try
        {
            key = PortForward.parse(parts[1] + ":" + parts[2] + ":1/" + parts[0]);
        }
        catch (final IllegalArgumentException ex)
        {
            error(exchange, 400, ex.getMessage());
            return;
        }
        if (forwards.remove(key.protocol(), key.hostAddress(), key.hostPort()))
        {
            exchange.sendResponseHeaders(204, -1);
        }
        else
        {
            error(exchange, 404, "no forward holds " + key.protocol().word() + " " + parts[1] + ":" + parts[2]);
        }
    }

    /** {"spec": "..."}, or the four fields one by one. */
    static PortForward forwardOf(final Map<String, Object> json)
    {
        final Object spec = json.get("spec");
        if (spec != null)
        {
            return PortForward.parse((String)spec);
        }
        final Object protocol = json.getOrDefault("protocol", "tcp");
        final Object address = json.getOrDefault("hostAddress", PortForward.DEFAULT_HOST_ADDRESS);
        final Object hostPort = json.get("hostPort");
        final Object guestPort = json.get("guestPort");
        if (!(hostPort instanceof Number) || !(guestPort instanceof Number))
        {
            throw new IllegalArgumentException("give \"spec\", or \"hostPort\" and \"guestPort\" as numbers");
        }
        return new PortForward(PortForward.Protocol.of((String)protocol), PortForward.ipv4Literal((String)address),
            ((Number)hostPort).intValue(), ((Number)guestPort).intValue());
    }

    static Map<String, Object> json(final PortForwardStatus status)
    {
        final PortForward f = status.forward();
        final Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("spec", f.spec());
        entry.put("protocol", f.protocol().word());
        entry.put("hostAddress", f.hostAddress().getHostAddress());
        entry.put("hostPort", f.hostPort());
        entry.put("guestPort", f.guestPort());
        entry.put("accepted", status.accepted());
        entry.put("active", status.active());
        entry.put("refused", status.refused());
        entry.put("bytesToGuest", status.bytesToGuest());
        entry.put("bytesFromGuest", status.bytesFromGuest());
        return entry;
    }

    /** The body, or null when it is longer than {@link #MAX_BODY_BYTES}. */
    private static byte[] readBody(final HttpExchange exchange) throws IOException
    {
        try (InputStream in = exchange.getRequestBody())
        {
            final byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            return body.length > MAX_BODY_BYTES ? null : body;
        }
    }

    private static void error(final HttpExchange exchange, final int status, final String message) throws IOException
    {
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        send(exchange, status, body);
    }

    private static void send(final HttpExchange exchange, final int status, final Object body) throws IOException
    {
        final byte[] bytes = (JSON.std.asString(body) + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(bytes);
        }
    }
}
