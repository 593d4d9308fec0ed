package io.tapstack.examples;

import io.tapstack.socket.TcpCompletionHandler;
import io.tapstack.socket.TcpSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One HTTP/1.1 connection (RFC 9112) in the socket API's asynchronous style: bytes arrive by {@code readAsync}
 * into a small buffer that the examples' {@link HttpRequestReader} reads as a stream that never blocks (when it
 * is empty the reader stops, its half-read head kept, until the next bytes arrive); each response is built with
 * {@link HttpResponse} and queued with {@code writeAsync}, a file in chunks, each read once the last is queued.
 * Keep-alive and pipelining as in {@link HttpSession}; an idle connection is closed after the keep-alive timeout,
 * and a request head must arrive whole within the header timeout, however its bytes trickle in (slowloris: a
 * header line every few seconds would renew a per-read timeout for ever): past it the client gets a 408 and the
 * connection closes. No thread waits for it.
 *
 * <p>A request with a body is answered and then the connection closes (RFC 9110 §10.1.1 lets a server close
 * instead of reading a body it does not want), so that no body is ever read here; one it would refuse anyway
 * (Transfer-Encoding, too large, an unknown expectation) gets the status {@link HttpSession} gives it.
 */
final class AsyncHttpConnection
{
    private static final Logger LOG = LoggerFactory.getLogger(AsyncHttpConnection.class);
    /** How long a closing connection reads what the client still sends, so that our response is not reset. */
    private static final long LINGER_MS = 2_000;
    private static final long LINGER_MAX_BYTES = 1024 * 1024;
    private static final byte[] SINK = new byte[4096];

    /** Answers one request (no body is ever passed). */
    @FunctionalInterface
    interface Responder
    {
        HttpResponse respond(HttpRequest request) throws IOException;
    }

    /**
     * Limits of each connection.
     *
     * @param maxHeadBytes   the largest request head (a larger one is a 431): the reader's buffer per connection
     * @param readBytes      the buffer each {@code readAsync} fills
     * @param keepAlive      how long a connection may idle between requests
     * @param headerTimeout  how long a whole request head may take to arrive, from its first byte
     * @param maxBodyBytes   the largest request body answered (with a close) rather than refused with a 413
     * @param fileChunkBytes the chunk a file response is queued in
     * @param accessLog      where a line per request goes, or null
     */
    record Settings(int maxHeadBytes, int readBytes, Duration keepAlive, Duration headerTimeout, long maxBodyBytes,
        int fileChunkBytes, Consumer<String> accessLog)
    {
    }

    private final TcpSocket c;
    private final Responder responder;
    private final HttpStats stats;
    private final Settings settings;
    private final long keepAliveMs;
    private final int keepAliveSeconds;
    /** The Keep-Alive header's value, made once. */
    private final String keepAliveValue;
    private final long headerTimeoutNs;
    private final Runnable finished;
    private final Feed feed;
    private final HttpRequestReader reader;
    // completion handlers made once per connection: a read or a write allocates nothing (no future, no timer task)
    private final TcpCompletionHandler<Void> onRead = handler(this::onRead);
    private final TcpCompletionHandler<Void> onLingerRead = handler(this::onLingerRead);
    private final TcpCompletionHandler<Void> onWritten = handler(this::onWritten);
    private final TcpCompletionHandler<Void> onFileChunkWritten = handler(this::onFileChunkWritten);
    private long lingered;
    private boolean closeAfterResponse;
    /** When the first byte of the request head being read arrived (System.nanoTime), or 0 between requests. */
    private long headStartNs;
    /** The file response being queued, its next position, and the chunk it goes through (only meanwhile). */
    private HttpResponse fileResponse;
    private long filePosition;
    private byte[] fileChunk;

    private AsyncHttpConnection(final TcpSocket c, final Responder responder, final HttpStats stats,
        final Settings settings, final Runnable finished)
    {
        this.c = c;
        this.responder = responder;
        this.stats = stats;
        this.settings = settings;
        this.keepAliveMs = settings.keepAlive().toMillis();
        this.keepAliveSeconds = (int)settings.keepAlive().toSeconds();
        this.keepAliveValue = "timeout=" + keepAliveSeconds;
        this.headerTimeoutNs = settings.headerTimeout().toNanos();
        this.finished = finished;
        this.feed = new Feed(settings.readBytes());
        this.reader = new HttpRequestReader(feed, settings.maxHeadBytes());
    }

    /** The handler for a listener. */
    static AsyncTcpService.Handler handler(final Responder responder, final HttpStats stats, final Settings settings)
    {
        return (c, finished) ->
        {
            stats.connectionOpened();
            final Runnable closed = () ->
            {
                stats.connectionClosed();
                finished.run();
            };
            new AsyncHttpConnection(c, responder, stats, settings, closed).process();
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
        headStartNs = 0;
        final boolean hasBody;
        try
        {
            hasBody = checkBody(request);
        }
        catch (final HttpError ex)
        {
            respond(request, HttpResponse.error(ex.status(), ex.getMessage()), false);
            return;
        }
        final HttpResponse response;
        try
        {
            response = responder.respond(request);
        }
        catch (final IOException ex)
        {
            fail(ex);
            return;
        }
        respond(request, response, request.wantsKeepAlive() && !hasBody && !response.closes());
    }

    /** Whether a body follows the head; a body we would refuse anyway is an error (then close: RFC 9112 §6.3). */
    private boolean checkBody(final HttpRequest request) throws HttpError
    {
        if (request.header("transfer-encoding") != null)
        {
            // RFC 9112 §6.1: a transfer coding we do not implement; without it the framing is unknown
            throw new HttpError(501, "request bodies with Transfer-Encoding are not supported");
        }
        final String lengthText = request.header("content-length");
        if (lengthText == null)
        {
            return false;
        }
        final long length = HttpSession.contentLength(lengthText);
        final String expect = request.header("expect");
        if (expect != null && !"100-continue".equalsIgnoreCase(expect))
        {
            throw new HttpError(417, "only 'Expect: 100-continue' is understood");
        }
        if (length > settings.maxBodyBytes())
        {
            throw new HttpError(413, "a request body of at most " + settings.maxBodyBytes() + " bytes is read here");
        }
        return length > 0;
    }

    /**
     * Reads more: between requests for at most the keep-alive timeout; in the middle of a head for no more than
     * what is left of the header timeout, counted from the head's first bytes, so that a trickle of bytes cannot
     * hold it open.
     */
    private void readMore()
    {
        final long timeoutNs;
        if (reader.partial())
        {
            final long now = System.nanoTime();
            if (headStartNs == 0)
            {
                headStartNs = now;
            }
            final long headLeftNs = headerTimeoutNs - (now - headStartNs);
            if (headLeftNs <= 0)
            {
                headerTimedOut();
                return;
            }
            // a head that stops arriving altogether is cut at the keep-alive timeout, as an idle connection
            timeoutNs = Math.min(headLeftNs, TimeUnit.MILLISECONDS.toNanos(keepAliveMs));
        }
        else
        {
            headStartNs = 0;
            timeoutNs = TimeUnit.MILLISECONDS.toNanos(keepAliveMs);
        }
        c.readAsync(feed.buffer, 0, feed.buffer.length, timeoutNs, null, onRead);
    }

    private void onRead(final int n, final Throwable failure)
    {
        if (failure != null)
        {
            if (failure instanceof SocketTimeoutException)
            {
                if (reader.partial())
                {
                    headerTimedOut();
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

    /** A client that starts a request and does not finish its head in time is told so, then closed (slowloris). */
    private void headerTimedOut()
    {
        stats.headerTimeout();
        LOG.debug("{}: no whole request head within {} ms, 408", c, TimeUnit.NANOSECONDS.toMillis(headerTimeoutNs));
        respond(null, HttpResponse.error(408, "the request did not arrive in time"), false);
    }

    /** Queues the response (a file in chunks); then the next request, or the lingering close. */
    private void respond(final HttpRequest request, final HttpResponse response, final boolean keepAlive)
    {
        final boolean headOnly = request != null && request.isHead();
        // HTTP/1.0 keeps a connection only when both sides say so (RFC 9112 Appendix C.2.2)
        final String connection = !keepAlive ? "close" : request.minorVersion() == 0 ? "keep-alive" : null;
        final String keepAliveHeader = keepAlive ? keepAliveValue : null;
        final long sent = headOnly ? 0 : response.length();
        stats.responded(response.status(), sent);
        if (settings.accessLog() != null)
        {
            settings.accessLog().accept(Discard.peer(c) + " \"" + (request == null ? "-" : request.requestLine())
                + "\" " + response.status() + " " + sent);
        }
        closeAfterResponse = !keepAlive;
        if (response.hasFile() && !headOnly)
        {
            final byte[] head = response.head(connection, keepAliveHeader);
            fileResponse = response;
            filePosition = 0;
            fileChunk = new byte[Math.max(settings.fileChunkBytes(), head.length)];
            System.arraycopy(head, 0, fileChunk, 0, head.length);
            queueFileChunk(head.length);
            return;
        }
        response.closeFile();
        // head and body in one write: one segment for a small response, however Nagle is set
        final byte[] all = response.bytes(connection, keepAliveHeader, headOnly);
        c.writeAsync(all, 0, all.length, null, onWritten);
    }

    /** Fills the chunk after its first {@code filled} bytes from the file and queues it. */
    private void queueFileChunk(final int filled)
    {
        final long length = fileResponse.length();
        final ByteBuffer view = ByteBuffer.wrap(fileChunk);
        view.position(filled).limit((int)Math.min(fileChunk.length, filled + (length - filePosition)));
        try
        {
            while (view.hasRemaining())
            {
                filePosition += fileResponse.readFile(view, filePosition);
            }
        }
        catch (final IOException ex)
        {
            endFile();
            fail(ex); // the client must not take a short body for whole: reset
            return;
        }
        c.writeAsync(fileChunk, 0, view.position(), null, onFileChunkWritten);
    }

    private void onFileChunkWritten(final int done, final Throwable failure)
    {
        if (failure == null && filePosition < fileResponse.length())
        {
            queueFileChunk(0);
            return;
        }
        endFile();
        onWritten(done, failure);
    }

    private void endFile()
    {
        fileResponse.closeFile();
        fileResponse = null;
        fileChunk = null; // an idle connection holds no chunk
    }

    private void onWritten(final int done, final Throwable failure)
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
        c.readAsync(SINK, 0, SINK.length, TimeUnit.MILLISECONDS.toNanos(LINGER_MS), null, onLingerRead);
    }

    private void onLingerRead(final int n, final Throwable failure)
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

    /** What each step does with a completion: the count, or the failure (then the count is 0). */
    @FunctionalInterface
    private interface Step
    {
        void run(int n, Throwable failure);
    }

    /** A completion handler that hands both outcomes to one step (made once per connection, per step). */
    private static TcpCompletionHandler<Void> handler(final Step step)
    {
        return new TcpCompletionHandler<>()
        {
            @Override
            public void completed(final int bytes, final Void attachment)
            {
                step.run(bytes, null);
            }

            @Override
            public void failed(final Throwable failure, final Void attachment)
            {
                step.run(0, failure);
            }
        };
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
        // one response for every GET /: its bytes are encoded once a second, not per request
        final HttpResponse ok = HttpResponse.of(200, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8))
            .reused();
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
            return ok;
        };
    }
}
