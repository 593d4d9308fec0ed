package io.tapstack.examples;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * One HTTP/1.1 connection: requests one after another (pipelined ones too), each answered with a
 * Content-Length, until the client closes, asks to close, goes idle past the read timeout, or sends something
 * that puts the framing in doubt. Works on plain streams, so that it runs the same over a stack connection and
 * in a unit test. The blocking style, a thread per connection: the {@code http} command serves with
 * {@link AsyncHttpConnection} instead; the HTTP rules here are its reference (and {@link #contentLength} its parser).
 */
final class HttpSession
{
    private static final Logger LOG = LoggerFactory.getLogger("http");
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    /** How a session ended, which tells the server how to close. */
    enum End
    {
        /** The client closed between requests: close. */
        PEER_CLOSED,
        /** No request within the keep-alive timeout: close. */
        IDLE,
        /** The server said "Connection: close": close gracefully, reading what the client still sends. */
        CLOSE
    }

    /** Limits of one session. */
    record Limits(int maxHeadBytes, long maxBodyBytes, int keepAliveSeconds, int bufferBytes)
    {
    }

    private final OutputStream out;
    private final HttpSite site;
    private final HttpStats stats;
    private final Limits limits;
    private final String peer;
    private final Consumer<String> accessLog;
    private final HttpRequestReader reader;
    private final byte[] buffer;

    /**
     * @param accessLog where to write one line per request, or null
     */
    HttpSession(final InputStream in, final OutputStream out, final HttpSite site, final HttpStats stats,
        final Limits limits, final String peer, final Consumer<String> accessLog)
    {
        this.out = out;
        this.site = site;
        this.stats = stats;
        this.limits = limits;
        this.peer = peer;
        this.accessLog = accessLog;
        this.reader = new HttpRequestReader(in, limits.maxHeadBytes());
        this.buffer = new byte[limits.bufferBytes()];
    }

    End serve() throws IOException
    {
        while (true)
        {
            final HttpRequest request;
            try
            {
                request = reader.read();
            }
            catch (final SocketTimeoutException ex)
            {
                if (reader.partial())
                {
                    // a client that starts a request and stalls is told so, then closed (slowloris)
                    respond(null, HttpResponse.error(408, "the request did not arrive in time"), false);
                    return End.CLOSE;
                }
                stats.idleTimeout();
                LOG.debug("{}: idle for {} s, closing", peer, limits.keepAliveSeconds());
                return End.IDLE;
            }
            catch (final HttpError ex)
            {
                respond(null, HttpResponse.error(ex.status(), ex.getMessage()), false);
                return End.CLOSE;
            }
            if (request == null)
            {
                return End.PEER_CLOSED;
            }
            final HttpResponse response;
            try
            {
                readBody(request);
                response = site.respond(request);
            }
            catch (final HttpError ex)
            {
                respond(request, HttpResponse.error(ex.status(), ex.getMessage()), false);
                return End.CLOSE;
            }
            final boolean keepAlive = request.wantsKeepAlive() && !response.closes();
            respond(request, response, keepAlive);
            if (!keepAlive)
            {
                return End.CLOSE;
            }
        }
    }

    /** We take no bodies, but must read past one (RFC 9112 §6.3) to find the next request. */
    private void readBody(final HttpRequest request) throws IOException, HttpError
    {
        if (request.header("transfer-encoding") != null)
        {
            // RFC 9112 §6.1: a transfer coding we do not implement; without it the framing is unknown
            throw new HttpError(501, "request bodies with Transfer-Encoding are not supported");
        }
        final String lengthText = request.header("content-length");
        if (lengthText == null)
        {
            return;
        }
        final long length = contentLength(lengthText);
        final String expect = request.header("expect");
        if (expect != null)
        {
            if (!"100-continue".equalsIgnoreCase(expect))
            {
                throw new HttpError(417, "only 'Expect: 100-continue' is understood");
            }
        }
        if (length > limits.maxBodyBytes())
        {
            throw new HttpError(413, "a request body of at most " + limits.maxBodyBytes() + " bytes is read here");
        }
        if (length > 0 && expect != null && request.minorVersion() >= 1)
        {
            out.write(CONTINUE, 0, CONTINUE.length); // RFC 9110 §10.1.1
            out.flush();
        }
        reader.skipBody(length);
    }

    /** RFC 9112 §6.3: Content-Length must be digits; repeated values must agree. */
    static long contentLength(final String value) throws HttpError
    {
        long length = -1;
        for (final String part : value.split(","))
        {
            final String digits = part.trim();
            if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(Character::isDigit))
            {
                throw new HttpError(400, "malformed Content-Length");
            }
            final long n = Long.parseLong(digits);
            if (length >= 0 && n != length)
            {
                throw new HttpError(400, "conflicting Content-Length values");
            }
            length = n;
        }
        return length;
    }

    private void respond(final HttpRequest request, final HttpResponse response, final boolean keepAlive)
        throws IOException
    {
        final boolean headOnly = request != null && request.isHead();
        final String connection;
        if (!keepAlive)
        {
            connection = "close";
        }
        else
        {
            // HTTP/1.0 keeps a connection only when both sides say so (RFC 9112 Appendix C.2.2)
            connection = request.minorVersion() == 0 ? "keep-alive" : null;
        }
        final String keepAliveHeader = keepAlive ? "timeout=" + limits.keepAliveSeconds() : null;
        final long sent = response.writeTo(out, headOnly, connection, keepAliveHeader, buffer);
        stats.responded(response.status(), sent);
        if (accessLog != null)
        {
            accessLog.accept(peer + " \"" + (request == null ? "-" : request.requestLine()) + "\" "
                + response.status() + " " + sent);
        }
    }
}
