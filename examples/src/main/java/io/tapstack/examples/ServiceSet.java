package io.tapstack.examples;

import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.SocketStack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Echo, discard and chargen over TCP and UDP, and HTTP over TCP, all at once on one {@link SocketStack}, in the
 * asynchronous style ({@link AsyncTcpService}, {@link AsyncUdpService}): the whole of the {@code services}
 * command but its options and its TAP, so that a test can run it over an in-memory link too.
 */
final class ServiceSet implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ServiceSet.class);
    /** The body of {@code GET /}. */
    static final String PAGE = "tapstack services: echo, discard, chargen and this page\n";
    /** The largest request head HTTP reads: its buffer is per connection, so smaller than the http command's. */
    static final int HTTP_MAX_HEAD_BYTES = 4096;
    /** How long a whole request head may take to arrive (slowloris), as the http command's default. */
    static final Duration HTTP_HEADER_TIMEOUT = Duration.ofSeconds(10);

    /**
     * What to serve and with how much.
     *
     * @param echo       the echo port (TCP and UDP); 0 turns the service off, as for the next three
     * @param discard    the discard port (TCP and UDP)
     * @param chargen    the chargen port (TCP and UDP)
     * @param http       the HTTP port
     * @param backlog    half-open plus not-yet-accepted connections per listener (a flood beyond it meets SYN
     *                   cookies)
     * @param ringBytes  the socket API's send and receive rings per connection (powers of two, at least 4 KiB)
     * @param keepAlive  how long an HTTP connection may idle between requests
     */
    record Settings(int echo, int discard, int chargen, int http, int backlog, int ringBytes, Duration keepAlive)
    {
    }

    private final List<AsyncTcpService> tcp = new ArrayList<>();
    private final List<AsyncUdpService> udp = new ArrayList<>();
    private final HttpStats httpStats = new HttpStats();

    private ServiceSet()
    {
    }

    /**
     * Listens and binds every service on {@code sockets}; a port that is taken closes what was opened and throws.
     */
    static ServiceSet start(final SocketStack sockets, final Settings settings) throws IOException
    {
        final ServiceSet set = new ServiceSet();
        try
        {
            // rings this small are what lets 10,000 connections fit; a read or write moves an eighth of a ring
            final SocketOptions bulk = SocketOptions.defaults().sendBufferBytes(settings.ringBytes())
                .receiveBufferBytes(settings.ringBytes());
            // echo and HTTP answer at once, whole: a last small segment must not wait for an ACK (Nagle); their
            // handlers never block, so they run on the stack thread as each request arrives (no thread hand-off)
            final SocketOptions interactive = SocketOptions.defaults().sendBufferBytes(settings.ringBytes())
                .receiveBufferBytes(settings.ringBytes()).nagle(false).directCallbacks(true);
            final int chunk = Math.max(512, settings.ringBytes() / 8);
            if (settings.echo() != 0)
            {
                set.tcp(sockets, "echo", settings.echo(), settings.backlog(), interactive, SmallServices.echo(chunk));
                set.udp(sockets, "echo", settings.echo(), SmallServices::echoDatagram);
            }
            if (settings.discard() != 0)
            {
                set.tcp(sockets, "discard", settings.discard(), settings.backlog(), bulk, SmallServices.discard());
                set.udp(sockets, "discard", settings.discard(), SmallServices::discardDatagram);
            }
            if (settings.chargen() != 0)
            {
                set.tcp(sockets, "chargen", settings.chargen(), settings.backlog(), bulk, SmallServices.chargen());
                set.udp(sockets, "chargen", settings.chargen(), SmallServices::chargenDatagram);
            }
            if (settings.http() != 0)
            {
                set.tcp(sockets, "http", settings.http(), settings.backlog(), interactive, AsyncHttpConnection.handler(
                    AsyncHttpConnection.fixedPage(PAGE), set.httpStats, new AsyncHttpConnection.Settings(
                        HTTP_MAX_HEAD_BYTES, chunk, settings.keepAlive(), HTTP_HEADER_TIMEOUT, Long.MAX_VALUE, chunk,
                        null)));
            }
            return set;
        }
        catch (final IOException | RuntimeException ex)
        {
            set.close();
            throw ex;
        }
    }

    private void tcp(final SocketStack sockets, final String name, final int port, final int backlog,
        final SocketOptions options, final AsyncTcpService.Handler handler) throws IOException
    {
        final AsyncTcpService service = new AsyncTcpService(name, sockets.listen(port, backlog, options), handler);
        tcp.add(service);
        service.start();
    }

    private void udp(final SocketStack sockets, final String name, final int port, final UdpServer.Handler handler)
        throws IOException
    {
        final AsyncUdpService service = new AsyncUdpService(name, sockets.bindUdp(port), handler);
        udp.add(service);
        service.start();
    }

    /** The TCP service called {@code name}, or null. */
    AsyncTcpService tcp(final String name)
    {
        return tcp.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    /** Connections open now, all services together. */
    int openConnections()
    {
        return tcp.stream().mapToInt(AsyncTcpService::open).sum();
    }

    /** One line per service and protocol for the log: where each listens. */
    String listening()
    {
        final StringBuilder sb = new StringBuilder();
        for (final AsyncTcpService s : tcp)
        {
            sb.append(sb.length() == 0 ? "" : ", ").append(s.name()).append(" TCP ").append(s.port());
        }
        for (final AsyncUdpService s : udp)
        {
            sb.append(", ").append(s.name()).append(" UDP ").append(s.port());
        }
        return sb.toString();
    }

    /** Lines for the shutdown summary: each service's connections and datagrams, and HTTP's requests. */
    String summary()
    {
        final StringBuilder sb = new StringBuilder();
        tcp.forEach(s -> sb.append(s.summary()));
        udp.forEach(s -> sb.append(s.summary()));
        if (tcp("http") != null)
        {
            sb.append(httpStats.summary());
        }
        return sb.toString();
    }

    /** Stops listening and receiving; open connections end when the stack closes. */
    @Override
    public void close()
    {
        for (final AsyncTcpService s : tcp)
        {
            s.close();
        }
        for (final AsyncUdpService s : udp)
        {
            s.close();
        }
        LOG.debug("services closed");
    }
}
