package io.tapstack.examples;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;

/**
 * One parsed HTTP/1.x request head (RFC 9112 §3, §5). Header names are lower case; repeated fields are joined
 * with ", " (RFC 9110 §5.3).
 */
record HttpRequest(String method, String target, int minorVersion, Map<String, String> headers)
{
    HttpRequest
    {
        headers = Collections.unmodifiableMap(headers);
    }

    /** The value of a header field, or null. */
    String header(final String name)
    {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** True when a comma-separated header (Connection, say) holds {@code token}, case-insensitively. */
    boolean hasToken(final String name, final String token)
    {
        final String value = header(name);
        if (value == null)
        {
            return false;
        }
        for (final String part : value.split(","))
        {
            if (part.trim().equalsIgnoreCase(token))
            {
                return true;
            }
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
}
