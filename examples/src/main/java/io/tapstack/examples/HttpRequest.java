package io.tapstack.examples;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One parsed HTTP/1.x request head (RFC 9112 §3, §5). Header names are lower case; repeated fields are joined
 * with ", " (RFC 9110 §5.3).
 *
 * <p>Its {@link HttpRequestReader} fills the same object for each request of a connection (valid until the next
 * read), and keeps each String it made for a part that a keep-alive client sends again byte for byte (the target,
 * Host, User-Agent...): a server answers request after request without allocating for the head.
 */
final class HttpRequest
{
    /** Header fields a request may carry, at most (more is a 431: nothing grows with what a client sends). */
    static final int MAX_HEADERS = 100;

    private String method;
    private String target;
    private int minorVersion;
    private final String[] names = new String[MAX_HEADERS];
    private final String[] values = new String[MAX_HEADERS];
    private int count;

    HttpRequest()
    {
    }

    void start(final String method, final String target, final int minorVersion)
    {
        this.method = method;
        this.target = target;
        this.minorVersion = minorVersion;
        this.count = 0;
    }

    /** Adds a field (its name lower case); a repeated one is joined to the first (RFC 9110 §5.3). */
    void add(final String name, final String value)
    {
        for (int i = 0; i < count; i++)
        {
            if (names[i].equals(name))
            {
                values[i] = values[i] + ", " + value;
                return;
            }
        }
        names[count] = name;
        values[count] = value;
        count++;
    }

    int headerCount()
    {
        return count;
    }

    String method()
    {
        return method;
    }

    String target()
    {
        return target;
    }

    int minorVersion()
    {
        return minorVersion;
    }

    /** The fields, in their order, as a new map (for inspection: the server's path does not call it). */
    Map<String, String> headers()
    {
        final Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < count; i++)
        {
            map.put(names[i], values[i]);
        }
        return Collections.unmodifiableMap(map);
    }

    /** The value of a header field (its name in any case), or null. */
    String header(final String name)
    {
        for (int i = 0; i < count; i++)
        {
            if (names[i].equalsIgnoreCase(name))
            {
                return values[i];
            }
        }
        return null;
    }

    /** True when a comma-separated header (Connection, say) holds {@code token}, case-insensitively. */
    boolean hasToken(final String name, final String token)
    {
        final String value = header(name);
        if (value == null)
        {
            return false;
        }
        // over the String in place: a split would allocate per request
        int from = 0;
        while (from <= value.length())
        {
            int to = value.indexOf(',', from);
            if (to < 0)
            {
                to = value.length();
            }
            int a = from;
            int b = to;
            while (a < b && Character.isWhitespace(value.charAt(a)))
            {
                a++;
            }
            while (b > a && Character.isWhitespace(value.charAt(b - 1)))
            {
                b--;
            }
            if (b - a == token.length() && value.regionMatches(true, a, token, 0, token.length()))
            {
                return true;
            }
            from = to + 1;
        }
        return false;
    }

    /**
     * Whether the client wants the connection kept open: HTTP/1.1 unless "Connection: close" (RFC 9112 §9.3),
     * HTTP/1.0 only with "Connection: keep-alive" (RFC 9112 Appendix C.2.2).
     */
    boolean wantsKeepAlive()
    {
        if (hasToken("connection", "close"))
        {
            return false;
        }
        return minorVersion >= 1 || hasToken("connection", "keep-alive");
    }

    boolean isHead()
    {
        return "HEAD".equals(method);
    }

    String version()
    {
        return "HTTP/1." + minorVersion;
    }

    /** The request line as the access log shows it. */
    String requestLine()
    {
        return method + " " + target + " " + version();
    }

    @Override
    public String toString()
    {
        return requestLine() + " " + headers();
    }
}
