package io.tapstack.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reader fills one reused request per connection and keeps the Strings of parts that repeat byte for byte:
 * a repeated part is the same String, a changed one (even of the same length) is read anew, and nothing of the
 * last head leaks into the next.
 */
class HttpRequestReaderReuseTest
{
    private static HttpRequestReader reader(final String heads)
    {
        return new HttpRequestReader(new ByteArrayInputStream(heads.getBytes(StandardCharsets.ISO_8859_1)), 4096);
    }

    @Test
    void aRepeatedPartIsTheSameStringAChangedOneIsNewAndNoFieldLeaksIntoTheNextHead() throws Exception
    {
        final HttpRequestReader r = reader("GET /a HTTP/1.1\r\nHost: h\r\nX-Trace: one\r\nX-Trace: two\r\n\r\n"
            + "GET /b HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n"
            + "GET /b HTTP/1.1\r\nhost: h\r\n\r\n");
        final HttpRequest first = r.read();
        assertEquals("/a", first.target());
        assertEquals("one, two", first.header("x-trace"), "RFC 9110 §5.3: repeated fields joined");
        final String host = first.header("host");
        final HttpRequest second = r.read();
        assertEquals("/b", second.target(), "same length, other bytes: read anew");
        assertSame(host, second.header("Host"), "the same bytes: the same String");
        assertNull(second.header("x-trace"), "the last head's fields are gone");
        assertTrue(second.hasToken("connection", "close"));
        assertTrue(!second.wantsKeepAlive(), "RFC 9112 §9.3: close wins");
        final String target = second.target();
        final HttpRequest third = r.read();
        assertSame(target, third.target());
        assertEquals(1, third.headerCount());
        assertTrue(third.wantsKeepAlive());
        assertNull(r.read(), "the client closed between requests");
    }

    @Test
    void moreFieldsThanTheTableHoldsAreA431() throws Exception
    {
        final StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < HttpRequest.MAX_HEADERS; i++)
        {
            head.append("a").append(i).append(": x\r\n");
        }
        final HttpError error = assertThrows(HttpError.class, () -> reader(head.append("\r\n").toString()).read());
        assertEquals(431, error.status());
    }
}
