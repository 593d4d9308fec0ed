package io.tapstack.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads HTTP/1.x request heads from a stream into a buffer of fixed size, which bounds the head (a larger one is
 * a 431, RFC 6585 §5): nothing grows with what a client sends. Bytes after a head stay buffered for the body or
 * the next pipelined request.
 */
final class HttpRequestReader
{
    /** Methods and header names that most requests carry: taken as constants, not new Strings. */
    private static final String[] KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};
    private static final String[] KNOWN_HEADERS = {"host", "connection", "user-agent", "accept", "content-length",
        "transfer-encoding", "expect", "accept-encoding", "accept-language", "keep-alive", "range"};

    private final InputStream in;
    private final byte[] buffer;
    private int start;
    private int end;
    /** The request each {@link #read()} fills (valid until the next). */
    private final HttpRequest request = new HttpRequest();
    /**
     * The Strings made for the last head's target and each header line's value: a keep-alive client sends most
     * of them again byte for byte, and then the same String serves (nothing allocated for the head).
     */
    private String lastTarget;
    private final String[] lastValues = new String[HttpRequest.MAX_HEADERS];
    private final String[] lastNames = new String[HttpRequest.MAX_HEADERS];

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

    /**
     * Parses the head in {@code buffer[from, to)} straight from the bytes (no copy of the whole head, no split):
     * a String only for each part the request keeps, and none for a part that repeats the last head's bytes.
     * Header names are lower-cased in place. Fills {@link #request}.
     */
    private HttpRequest parse(final int from, final int to) throws HttpError
    {
        // header fields are ISO-8859-1 at most (RFC 9110 §5.5); the target is ASCII with %-escapes
        final int lineEnd = lineEnd(from, to);
        final int lineStop = stripCr(from, lineEnd);
        final int sp1 = indexOf(' ', from, lineStop);
        final int sp2 = sp1 < 0 ? -1 : indexOf(' ', sp1 + 1, lineStop);
        if (sp2 < 0 || indexOf(' ', sp2 + 1, lineStop) >= 0 || sp1 == from || sp2 == sp1 + 1)
        {
            throw new HttpError(400, "malformed request line");
        }
        if (!isToken(buffer, from, sp1))
        {
            throw new HttpError(400, "malformed method");
        }
        final String method = method(from, sp1);
        for (int i = sp1 + 1; i < sp2; i++)
        {
            final int ch = buffer[i] & 0xFF;
            if (ch <= ' ' || ch >= 0x7F)
            {
                throw new HttpError(400, "malformed request target");
            }
        }
        final String target = lastTarget = string(sp1 + 1, sp2, lastTarget);
        final int v = sp2 + 1;
        if (lineStop - v != 8 || !startsWith(v, "HTTP/") || buffer[v + 6] != '.' || !isDigit(buffer[v + 5])
            || !isDigit(buffer[v + 7]))
        {
            throw new HttpError(400, "malformed HTTP version");
        }
        if (buffer[v + 5] != '1')
        {
            throw new HttpError(505, "only HTTP/1.x is served here");
        }
        request.start(method, target, buffer[v + 7] - '0');
        int field = 0;
        for (int line = lineEnd + 1; line < to; )
        {
            final int end = lineEnd(line, to);
            final int stop = stripCr(line, end);
            if (stop == line)
            {
                break;
            }
            if (buffer[line] == ' ' || buffer[line] == '\t')
            {
                throw new HttpError(400, "obsolete line folding in a header"); // RFC 9112 §5.2
            }
            final int colon = indexOf(':', line, stop);
            if (colon <= line)
            {
                throw new HttpError(400, "malformed header line");
            }
            if (!isToken(buffer, line, colon))
            {
                // RFC 9112 §5.1: no whitespace between the field name and the colon
                throw new HttpError(400, "malformed header name");
            }
            int valueFrom = colon + 1;
            int valueTo = stop;
            while (valueFrom < valueTo && Character.isWhitespace((char)(buffer[valueFrom] & 0xFF)))
            {
                valueFrom++;
            }
            while (valueTo > valueFrom && Character.isWhitespace((char)(buffer[valueTo - 1] & 0xFF)))
            {
                valueTo--;
            }
            if (field == HttpRequest.MAX_HEADERS)
            {
                // RFC 6585 §5: the fields are too many for the request's fixed table
                throw new HttpError(431, "more than " + HttpRequest.MAX_HEADERS + " header fields");
            }
            lastNames[field] = headerName(line, colon, lastNames[field]);
            lastValues[field] = string(valueFrom, valueTo, lastValues[field]);
            request.add(lastNames[field], lastValues[field]);
            field++;
            line = end + 1;
        }
        if (request.minorVersion() >= 1 && request.header("host") == null)
        {
            throw new HttpError(400, "an HTTP/1.1 request needs a Host header"); // RFC 9112 §3.2
        }
        return request;
    }

    /** {@code buffer[from, to)} as ISO-8859-1 text: {@code last} when it holds the same bytes, else a new String. */
    private String string(final int from, final int to, final String last)
    {
        if (last != null && last.length() == to - from)
        {
            int i = 0;
            while (i < last.length() && last.charAt(i) == (buffer[from + i] & 0xFF))
            {
                i++;
            }
            if (i == last.length())
            {
                return last;
            }
        }
        return new String(buffer, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** The index of the '\n' ending the line that starts at {@code from}, or {@code to}. */
    private int lineEnd(final int from, final int to)
    {
        final int i = indexOf('\n', from, to);
        return i < 0 ? to : i;
    }

    /** The line's end without one '\r' before it. */
    private int stripCr(final int from, final int end)
    {
        return end > from && buffer[end - 1] == '\r' ? end - 1 : end;
    }

    private int indexOf(final char c, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (buffer[i] == c)
            {
                return i;
            }
        }
        return -1;
    }

    private boolean startsWith(final int at, final String prefix)
    {
        for (int i = 0; i < prefix.length(); i++)
        {
            if (buffer[at + i] != prefix.charAt(i))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(final byte b)
    {
        return b >= '0' && b <= '9';
    }

    /** The method, the usual ones as constants (no String per request for them). */
    private String method(final int from, final int to)
    {
        for (final String known : KNOWN_METHODS)
        {
            if (to - from == known.length() && startsWith(from, known))
            {
                return known;
            }
        }
        return new String(buffer, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /**
     * The header name lower-cased (RFC 9110 §5.1: case-insensitive), the usual ones as constants, another as
     * {@code last} (the same line's name in the last head) when it is the same.
     */
    private String headerName(final int from, final int to, final String last)
    {
        for (int i = from; i < to; i++)
        {
            if (buffer[i] >= 'A' && buffer[i] <= 'Z')
            {
                buffer[i] += 'a' - 'A'; // a token is ASCII: this is toLowerCase(Locale.ROOT)
            }
        }
        for (final String known : KNOWN_HEADERS)
        {
            if (to - from == known.length() && startsWith(from, known))
            {
                return known;
            }
        }
        return string(from, to, last);
    }

    /** RFC 9110 §5.6.2 token characters, over bytes. */
    private static boolean isToken(final byte[] b, final int from, final int to)
    {
        if (from >= to)
        {
            return false;
        }
        for (int i = from; i < to; i++)
        {
            if (!isTokenChar((char)(b[i] & 0xFF)))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isTokenChar(final char c)
    {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
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
            if (!isTokenChar(s.charAt(i)))
            {
                return false;
            }
        }
        return true;
    }
}
