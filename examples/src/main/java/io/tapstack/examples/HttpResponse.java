package io.tapstack.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A response: status, headers, and a body from memory or from an open file. Every response carries
 * Content-Length (so keep-alive always knows where it ends); a file is streamed through a fixed buffer, never
 * loaded whole.
 */
final class HttpResponse
{
    /** RFC 9110 §5.6.7 IMF-fixdate: two-digit day, always GMT. */
    static final DateTimeFormatter HTTP_DATE =
        DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final byte[] NO_BODY = new byte[0];
    /** The Date header's text for the current second, formatted once a second rather than per response. */
    private static volatile DateText date = new DateText(Long.MIN_VALUE, "");

    private final int status;
    private final String contentType;
    private final byte[] body;
    private final FileChannel file;
    private final long length;
    private final List<String> headers = new ArrayList<>();
    private boolean close;
    /** For a response answered many times ({@link #reused()}): its last bytes on the wire, kept for a second. */
    private volatile Encoded encoded;
    private boolean reused;

    private record DateText(long epochSecond, String text)
    {
    }

    /** A response's bytes for one Connection and Keep-Alive pair within one second (the Date header's unit). */
    private record Encoded(long epochSecond, String connection, String keepAlive, byte[] head, byte[] whole)
    {
    }

    private HttpResponse(final int status, final String contentType, final byte[] body, final FileChannel file,
        final long length)
    {
        this.status = status;
        this.contentType = contentType;
        this.body = body;
        this.file = file;
        this.length = length;
    }

    static HttpResponse of(final int status, final String contentType, final byte[] body)
    {
        return new HttpResponse(status, contentType, body, null, body.length);
    }

    static HttpResponse of(final int status, final String contentType, final String body)
    {
        return of(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    /** A file's first {@code length} bytes; the channel is closed once written. */
    static HttpResponse file(final FileChannel channel, final long length, final String contentType)
    {
        return new HttpResponse(200, contentType, NO_BODY, channel, length);
    }

    /** A short HTML page naming the status, for errors. */
    static HttpResponse error(final int status, final String detail)
    {
        final String title = status + " " + reason(status);
        return of(status, "text/html; charset=utf-8", "<!DOCTYPE html>\n<html><head><title>" + title
            + "</title></head>\n<body><h1>" + title + "</h1>\n<p>" + HttpSite.escapeHtml(detail)
            + "</p>\n<hr><p>tapstack</p></body></html>\n");
    }

    HttpResponse header(final String name, final String value)
    {
        headers.add(name + ": " + value);
        return this;
    }

    /** The connection closes after this response (its request's framing is in doubt, or the server is full). */
    HttpResponse closeAfter()
    {
        this.close = true;
        return this;
    }

    boolean closes()
    {
        return close;
    }

    /**
     * Marks a response built once and answered many times (a fixed page): its bytes are then kept and reused
     * while the Date header stays the same, instead of being encoded per request. Call before it is shared.
     */
    HttpResponse reused()
    {
        this.reused = true;
        return this;
    }

    /**
     * The status line, headers, and unless {@code headOnly} the body, as one array: one write, one segment for a
     * small response however Nagle is set. Not for a file ({@link #hasFile()}).
     *
     * @param connection the Connection header's value, or null for none
     * @param keepAlive  the Keep-Alive header's value, or null for none
     */
    byte[] bytes(final String connection, final String keepAlive, final boolean headOnly)
    {
        if (!reused)
        {
            final byte[] head = head(connection, keepAlive);
            return headOnly || body.length == 0 ? head : concat(head, body);
        }
        final long second = System.currentTimeMillis() / 1000;
        Encoded e = encoded;
        if (e == null || e.epochSecond() != second || !Objects.equals(e.connection(), connection)
            || !Objects.equals(e.keepAlive(), keepAlive))
        {
            final byte[] head = head(connection, keepAlive);
            e = new Encoded(second, connection, keepAlive, head, concat(head, body));
            encoded = e;
        }
        return headOnly ? e.head() : e.whole();
    }

    private static byte[] concat(final byte[] head, final byte[] body)
    {
        final byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** RFC 9110 §6.6.1: the Date header's value now, formatted at most once a second. */
    static String httpDate()
    {
        final long millis = System.currentTimeMillis();
        final long second = Math.floorDiv(millis, 1000);
        DateText d = date;
        if (d.epochSecond() != second)
        {
            d = new DateText(second, HTTP_DATE.format(Instant.ofEpochSecond(second)));
            date = d;
        }
        return d.text();
    }

    int status()
    {
        return status;
    }

    long length()
    {
        return length;
    }

    /**
     * Writes the status line, headers, and unless {@code headOnly} the body, through {@code buffer}.
     *
     * @param connection the Connection header's value, or null for none
     * @return body bytes written
     */
    long writeTo(final OutputStream out, final boolean headOnly, final String connection, final String keepAlive,
        final byte[] buffer) throws IOException
    {
        try
        {
            final byte[] head = head(connection, keepAlive);
            if (headOnly)
            {
                out.write(head, 0, head.length);
                out.flush();
                return 0;
            }
            if (file == null)
            {
                // head and body in one write: one segment for a small response, however Nagle is set
                final byte[] all = concat(head, body);
                out.write(all, 0, all.length);
                out.flush();
                return body.length;
            }
            return streamFile(out, head, buffer);
        }
        finally
        {
            if (file != null)
            {
                file.close();
            }
        }
    }

    /**
     * The status line and headers, ending with the empty line.
     *
     * @param connection the Connection header's value, or null for none
     * @param keepAlive  the Keep-Alive header's value, or null for none
     */
    byte[] head(final String connection, final String keepAlive)
    {
        final StringBuilder sb = new StringBuilder(256);
        sb.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        sb.append("Date: ").append(httpDate()).append("\r\n");
        sb.append("Server: tapstack\r\n");
        if (contentType != null)
        {
            sb.append("Content-Type: ").append(contentType).append("\r\n");
        }
        sb.append("Content-Length: ").append(length).append("\r\n");
        for (final String h : headers)
        {
            sb.append(h).append("\r\n");
        }
        if (connection != null)
        {
            sb.append("Connection: ").append(connection).append("\r\n");
        }
        if (keepAlive != null)
        {
            sb.append("Keep-Alive: ").append(keepAlive).append("\r\n");
        }
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Whether the body is a file (read with {@link #readFile}, closed with {@link #closeFile}). */
    boolean hasFile()
    {
        return file != null;
    }

    /** The body from memory (empty for a file). */
    byte[] body()
    {
        return body;
    }

    /**
     * Reads file bytes at {@code position} into {@code dst} (no further than the announced length).
     *
     * @throws IOException when the file ended before the announced length (it shrank since)
     */
    int readFile(final ByteBuffer dst, final long position) throws IOException
    {
        final int n = file.read(dst, position);
        if (n < 0)
        {
            throw new IOException("file shrank while being sent: " + position + " of " + length + " bytes");
        }
        return n;
    }

    /** Closes the file, if any; idempotent. */
    void closeFile()
    {
        if (file != null)
        {
            try
            {
                file.close();
            }
            catch (final IOException ex)
            {
                // nothing left to do with it
            }
        }
    }

    /** The head, then the file through the fixed buffer (the head shares the first buffer-full). */
    private long streamFile(final OutputStream out, final byte[] head, final byte[] buffer) throws IOException
    {
        final ByteBuffer view = ByteBuffer.wrap(buffer);
        int filled = 0;
        if (head.length < buffer.length)
        {
            System.arraycopy(head, 0, buffer, 0, head.length);
            filled = head.length;
        }
        else
        {
            out.write(head, 0, head.length);
        }
        long position = 0;
        while (position < length)
        {
            view.limit((int)Math.min(buffer.length, filled + (length - position))).position(filled);
            final int n = file.read(view, position);
            if (n < 0)
            {
                // the file shrank since we announced its length: the client must not take a short body for whole
                throw new IOException("file shrank while being sent: " + position + " of " + length + " bytes");
            }
            position += n;
            filled += n;
            if (filled == buffer.length || position == length)
            {
                out.write(buffer, 0, filled);
                filled = 0;
            }
        }
        if (filled > 0)
        {
            out.write(buffer, 0, filled); // an empty file: the head alone
        }
        out.flush();
        return position;
    }

    static String reason(final int status)
    {
        return switch (status)
        {
            case 100 -> "Continue";
            case 200 -> "OK";
            case 301 -> "Moved Permanently";
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 417 -> "Expectation Failed";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status " + status;
        };
    }
}
