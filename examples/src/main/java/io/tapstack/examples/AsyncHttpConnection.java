package io.tapstack.examples;

import io.tapstack.socket.TcpSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * One HTTP/1.1 connection (RFC 9112) in the socket API's asynchronous style: bytes arrive by {@code readAsync}
 * into a small buffer that the examples' {@link HttpRequestReader} reads as a stream that never blocks (when it
 * is empty the reader stops, its half-read head kept, until the next bytes arrive); each response is built with
 * {@link HttpResponse} and queued whole with {@code writeAsync}. Keep-alive and pipelining as in
 * {@link HttpSession}; an idle connection is closed after the keep-alive timeout, and one that stalls in the
 * middle of a request is told so (408). No thread waits for it.
 *
 * <p>Simpler than {@link HttpSession} on purpose: a request with a body is answered and then the connection
 * closes (RFC 9110 §10.1.1 lets a server close instead of reading a body it does not want), so that no body is
 * ever read here.
 */
final class AsyncHttpConnection
{
    private static final Logger LOG = LoggerFactory.getLogger(AsyncHttpConnection.class);
    private static final byte[] NO_BUFFER = new byte[0];
    /** How long a closing connection reads what the client still sends, so that our response is not reset. */
    private static final long LINGER_MS = 2_000;
    private static final long LINGER_MAX_BYTES = 1024 * 1024;
    private static final byte[] SINK = new byte[4096];

    /** Answers one request (no body is ever passed). */
    @FunctionalInterface
    interface Responder
    {
        HttpResponse respond(HttpRequest request);
    }

    private final TcpSocket c;
    private final Responder responder;
    private final HttpStats stats;
    private final long keepAliveMs;
    private final int keepAliveSeconds;
    private final Runnable finished;
    private final Feed feed;
    private final HttpRequestReader reader;
    private final BiConsumer<Integer, Throwable> onRead = this::onRead;
    private final BiConsumer<Integer, Throwable> onLingerRead = this::onLingerRead;
    private final BiConsumer<Void, Throwable> onWritten = this::onWritten;
    private long lingered;
    private boolean closeAfterResponse;

    private AsyncHttpConnection(final TcpSocket c, final Responder responder, final HttpStats stats,
        final int maxHeadBytes, final int readBytes, final Duration keepAlive, final Runnable finished)
    {
        this.c = c;
        this.responder = responder;
        this.stats = stats;
        this.keepAliveMs = keepAlive.toMillis();
        this.keepAliveSeconds = (int)keepAlive.toSeconds();
        this.finished = finished;
        this.feed = new Feed(readBytes);
        this.reader = new HttpRequestReader(feed, maxHeadBytes);
    }

    /**
     * The handler for a listener.
     *
     * @param maxHeadBytes the largest request head (a larger one is a 431): the reader's buffer per connection
     * @param readBytes    the buffer each {@code readAsync} fills
     */
    static AsyncTcpService.Handler handler(final Responder responder, final HttpStats stats, final int maxHeadBytes,
        final int readBytes, final Duration keepAlive)
    {
        return (c, finished) ->
        {
            stats.connectionOpened();
            final Runnable closed = () ->
            {
                stats.connectionClosed();
                finished.run();
            };
            new AsyncHttpConnection(c, responder, stats, maxHeadBytes, readBytes, keepAlive, closed).process();
        };
    }

    /** Answers every complete request buffered, one response at a time; asks for more bytes when none is left. */
    private void process()
    {
        final HttpRequest request;
        try
        {
            request = reader.read();
        }
        catch (final WouldBlock ex)
        {
            readMore();
            return;
        }
        catch (final HttpError ex)
        {
            respond(null, HttpResponse.error(ex.status(), ex.getMessage()), false);
            return;
        }
        catch (final IOException ex)
        {
            fail(ex);
            return;
        }
        if (request == null)
        {
            // the client closed between requests (RFC 9112 §9.6): so do we
            c.close();
            finished.run();
            return;
        }
        final boolean hasBody;
        try
        {
            final String length = request.header("content-length");
            hasBody = request.header("transfer-encoding") != null
                || length != null && HttpSession.contentLength(length) > 0;
        }
        catch (final HttpError ex)
        {
            respond(request, HttpResponse.error(ex.status(), ex.getMessage()), false);
            return;
        }
        final HttpResponse response = responder.respond(request);
        respond(request, response, request.wantsKeepAlive() && !hasBody && !response.closes());
    }

    private void readMore()
    {
        c.readAsync(feed.buffer, 0, feed.buffer.length).orTimeout(keepAliveMs, TimeUnit.MILLISECONDS)
            .whenComplete(onRead);
    }

    private void onRead(final Integer n, final Throwable failure)
    {
        if (failure != null)
        {
            if (cause(failure) instanceof TimeoutException)
            {
                if (reader.partial())
                {
                    // a client that starts a request and stalls is told so, then closed (slowloris)
                    respond(null, HttpResponse.error(408, "the request did not arrive in time"), false);
                    return;
                }
                stats.idleTimeout();
                LOG.debug("{}: idle for {} s, closing", c, keepAliveSeconds);
                c.close();
                finished.run();
                return;
            }
            fail(failure);
            return;
        }
        feed.fill(n);
        process();
    }

    /** Queues the whole response; then the next request, or the lingering close. */
    private void respond(final HttpRequest request, final HttpResponse response, final boolean keepAlive)
    {
        final boolean headOnly = request != null && request.isHead();
        // HTTP/1.0 keeps a connection only when both sides say so (RFC 9112 Appendix C.2.2)
        final String connection = !keepAlive ? "close" : request.minorVersion() == 0 ? "keep-alive" : null;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        final long sent;
        try
        {
            sent = response.writeTo(bytes, headOnly, connection, keepAlive ? "timeout=" + keepAliveSeconds : null,
                NO_BUFFER);
        }
        catch (final IOException ex)
        {
            fail(ex); // not from memory: a response from a file is not served here
            return;
        }
        stats.responded(response.status(), sent);
        closeAfterResponse = !keepAlive;
        final byte[] all = bytes.toByteArray();
        c.writeAsync(all, 0, all.length).whenComplete(onWritten);
    }

    private void onWritten(final Void done, final Throwable failure)
    {
        if (failure != null)
        {
            fail(failure);
        }
        else if (closeAfterResponse)
        {
            lingeringClose();
        }
        else
        {
            process();
        }
    }

    /**
     * Half-closes, then reads what the client still sends for a moment before closing: closing with unread data
     * resets the connection, and a reset can destroy the response before the client has read it (RFC 9112 §9.6).
     */
    private void lingeringClose()
    {
        try
        {
            c.shutdownOutput();
        }
        catch (final IOException ex)
        {
            fail(ex);
            return;
        }
        lingerRead();
    }

    private void lingerRead()
    {
        c.readAsync(SINK, 0, SINK.length).orTimeout(LINGER_MS, TimeUnit.MILLISECONDS).whenComplete(onLingerRead);
    }

    private void onLingerRead(final Integer n, final Throwable failure)
    {
        if (failure == null && n >= 0 && (lingered += n) < LINGER_MAX_BYTES)
        {
            lingerRead();
            return;
        }
        // the client's FIN, a timeout or a reset: either way we are done with it
        c.close();
        finished.run();
    }

    private void fail(final Throwable failure)
    {
        LOG.debug("{}: {}", c, cause(failure).toString());
        c.abort();
        finished.run();
    }

    private static Throwable cause(final Throwable failure)
    {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** The request reader's stream: what the last {@code readAsync} brought, then {@link WouldBlock}. */
    private static final class Feed extends InputStream
    {
        final byte[] buffer;
        private int position;
        private int limit;
        private boolean ended;

        Feed(final int bytes)
        {
            this.buffer = new byte[bytes];
        }

        /** {@code n} new bytes at the start of the buffer (only asked for once the last ones were read); -1: FIN. */
        void fill(final int n)
        {
            if (n < 0)
            {
                ended = true;
                return;
            }
            position = 0;
            limit = n;
        }

        @Override
        public int read(final byte[] dst, final int offset, final int length) throws IOException
        {
            if (position < limit)
            {
                final int n = Math.min(length, limit - position);
                System.arraycopy(buffer, position, dst, offset, n);
                position += n;
                return n;
            }
            if (ended)
            {
                return -1;
            }
            throw WouldBlock.INSTANCE;
        }

        @Override
        public int read() throws IOException
        {
            final byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }
    }

    /** Thrown by the {@link Feed} when it is empty: the reader keeps what it has, and we read more. */
    private static final class WouldBlock extends IOException
    {
        private static final long serialVersionUID = 1L;
        static final WouldBlock INSTANCE = new WouldBlock();

        private WouldBlock()
        {
            super("no bytes yet");
        }

        @Override
        public synchronized Throwable fillInStackTrace()
        {
            return this; // a signal, thrown often: no stack trace to fill
        }
    }

    /** The services' page: {@code GET /} answers 200 with a small fixed body; HEAD too; nothing else is here. */
    static Responder fixedPage(final String body)
    {
        final byte[] page = body.getBytes(StandardCharsets.UTF_8);
        return request ->
        {
            final String method = request.method();
            if (!"GET".equals(method) && !request.isHead())
            {
                return HttpResponse.error(405, method + " is not allowed here; GET and HEAD are.")
                    .header("Allow", "GET, HEAD");
            }
            final String path;
            try
            {
                path = HttpSite.rawPath(request.target());
            }
            catch (final IllegalArgumentException ex)
            {
                return HttpResponse.error(400, ex.getMessage()).closeAfter();
            }
            if (!"/".equals(path))
            {
                return HttpResponse.error(404, "only / is served here");
            }
            return HttpResponse.of(200, "text/plain; charset=utf-8", page);
        };
    }
}
