package io.tapstack.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads HTTP/1.x request heads from a stream into a buffer of fixed size, which bounds the head (a larger one is
 * a 431, RFC 6585 §5): nothing grows with what a client sends. Bytes after a head stay buffered for the body or
 * the next pipelined request.
 */
final class HttpRequestReader
{
    private final InputStream in;
    private final byte[] buffer;
    private int start;
    private int end;

    HttpRequestReader(final InputStream in, final int maxHeadBytes)
    {
        this.in = in;
        this.buffer = new byte[maxHeadBytes];
    }

    /** True when part of a next request has arrived (a timeout now is a slow client, not an idle one). */
    boolean partial()
    {
        return end > start;
    }

    /**
     * The next request head; null when the client closed between requests.
     *
     * @throws HttpError for a malformed or too large head (answer it, then close)
     * @throws java.net.SocketTimeoutException when the stream's read timeout passes (see {@link #partial()})
     */
    HttpRequest read() throws IOException, HttpError
    {
        while (true)
        {
            // RFC 9112 §2.2: ignore empty lines before the request line (some clients send CRLF after a body)
            while (start < end && (buffer[start] == '\r' || buffer[start] == '\n'))
            {
                start++;
            }
            final int headEnd = findHeadEnd();
            if (headEnd >= 0)
            {
                final HttpRequest request = parse(start, headEnd);
                start = headEnd;
                return request;
            }
            compact();
            if (end == buffer.length)
            {
                throw new HttpError(431, "the request head is larger than " + buffer.length + " bytes");
            }
            final int n = in.read(buffer, end, buffer.length - end);
            if (n < 0)
            {
                if (end > start)
                {
                    throw new HttpError(400, "the connection closed in the middle of a request head");
                }
                return null;
            }
            end += n;
        }
    }

    /**
     * Reads and drops a request body of {@code length} bytes (we serve no method that takes one, but the bytes
     * must go for the next request on the connection to be read correctly).
     */
    void skipBody(final long length) throws IOException, HttpError
    {
        long remaining = length;
        final int buffered = (int)Math.min(remaining, end - start);
        start += buffered;
        remaining -= buffered;
        while (remaining > 0)
        {
            final int n = in.read(buffer, 0, (int)Math.min(buffer.length, remaining));
            if (n < 0)
            {
                throw new HttpError(400, "the connection closed in the middle of a request body");
            }
            remaining -= n;
        }
        if (start == end)
        {
            start = 0;
            end = 0;
        }
    }

    private void compact()
    {
        if (start > 0)
        {
            System.arraycopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
    }

    /** The index just after the empty line that ends the head (CRLF CRLF, or bare LF LF), or -1. */
    private int findHeadEnd()
    {
        for (int i = start; i < end; i++)
        {
            if (buffer[i] == '\n')
            {
                if (i + 1 < end && buffer[i + 1] == '\n')
                {
                    return i + 2;
                }
                if (i + 2 < end && buffer[i + 1] == '\r' && buffer[i + 2] == '\n')
                {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    private HttpRequest parse(final int from, final int to) throws HttpError
    {
        // header fields are ISO-8859-1 at most (RFC 9110 §5.5); the target is ASCII with %-escapes
        final String head = new String(buffer, from, to - from, StandardCharsets.ISO_8859_1);
        final String[] lines = head.split("\n");
        final String requestLine = stripCr(lines[0]);
        final String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty())
        {
            throw new HttpError(400, "malformed request line");
        }
        final String method = parts[0];
        if (!isToken(method))
        {
            throw new HttpError(400, "malformed method");
        }
        final String target = parts[1];
        for (int i = 0; i < target.length(); i++)
        {
            final char ch = target.charAt(i);
            if (ch <= ' ' || ch >= 0x7F)
            {
                throw new HttpError(400, "malformed request target");
            }
        }
        final String version = parts[2];
        if (version.length() != 8 || !version.startsWith("HTTP/") || version.charAt(6) != '.'
            || !Character.isDigit(version.charAt(5)) || !Character.isDigit(version.charAt(7)))
        {
            throw new HttpError(400, "malformed HTTP version");
        }
        if (version.charAt(5) != '1')
        {
            throw new HttpError(505, "only HTTP/1.x is served here");
        }
        final Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++)
        {
            final String line = stripCr(lines[i]);
            if (line.isEmpty())
            {
                break;
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t')
            {
                throw new HttpError(400, "obsolete line folding in a header"); // RFC 9112 §5.2
            }
            final int colon = line.indexOf(':');
            if (colon <= 0)
            {
                throw new HttpError(400, "malformed header line");
            }
            final String name = line.substring(0, colon);
            if (!isToken(name))
            {
                // RFC 9112 §5.1: no whitespace between the field name and the colon
                throw new HttpError(400, "malformed header name");
            }
            final String value = line.substring(colon + 1).strip();
            headers.merge(name.toLowerCase(Locale.ROOT), value, (a, b) -> a + ", " + b);
        }
        final HttpRequest request = new HttpRequest(method, target, version.charAt(7) - '0', headers);
        if (request.minorVersion() >= 1 && request.header("host") == null)
        {
            throw new HttpError(400, "an HTTP/1.1 request needs a Host header"); // RFC 9112 §3.2
        }
        return request;
    }

    private static String stripCr(final String line)
    {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /** RFC 9110 §5.6.2 token characters. */
    static boolean isToken(final String s)
    {
        if (s.isEmpty())
        {
            return false;
        }
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            final boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }
}
