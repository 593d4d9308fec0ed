package io.tapstack.examples;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP server's rules on in-memory streams: no TAP, no root. */
class HttpSessionTest
{
    private Path root;
    private final HttpStats stats = new HttpStats();
    private final List<String> log = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException
    {
        root = Files.createTempDirectory("tapstack-http").toRealPath();
        Files.writeString(root.resolve("a.txt"), "alpha\n");
        Files.createDirectories(root.resolve("dir"));
        Files.writeString(root.resolve("dir/b.json"), "{}");
        Files.write(root.resolve("big.bin"), new byte[300_000]);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        EchoCommandTest.deleteTree(root);
    }

    private record Outcome(HttpSession.End end, String output)
    {
        int count(final String text)
        {
            return output.split(java.util.regex.Pattern.quote(text), -1).length - 1;
        }
    }

    private Outcome serve(final Path served, final InputStream in) throws IOException
    {
        final Map<String, String> info = new LinkedHashMap<>();
        info.put("ip", "10.0.0.2/24");
        final HttpSite site = new HttpSite(served, () -> Map.of("tcp_rx", 42L), info, stats);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final HttpSession session = new HttpSession(in, out, site, stats,
            new HttpSession.Limits(1024, 1024, 5, 64 * 1024), "peer", log::add);
        final HttpSession.End end = session.serve();
        return new Outcome(end, out.toString(StandardCharsets.ISO_8859_1));
    }

    private Outcome serve(final String requests) throws IOException
    {
        return serve(root, new ByteArrayInputStream(requests.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void servesAFileWithContentLengthAndTypeAndKeepsTheConnection() throws IOException
    {
        final Outcome o = serve("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(o.output().startsWith("HTTP/1.1 200 OK\r\n"), o.output());
        assertTrue(o.output().contains("Content-Length: 6\r\n"), o.output());
        assertTrue(o.output().contains("Content-Type: text/plain; charset=utf-8\r\n"), o.output());
        assertTrue(o.output().contains("Date: "), o.output());
        assertTrue(o.output().endsWith("\r\n\r\nalpha\n"), o.output());
        assertEquals(HttpSession.End.PEER_CLOSED, o.end());
    }

    @Test
    void answersPipelinedRequestsInOrder() throws IOException
    {
        final Outcome o = serve("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /dir/b.json HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(2, o.count("HTTP/1.1 200 OK"));
        assertTrue(o.output().indexOf("alpha") < o.output().indexOf("application/json"), o.output());
        assertTrue(o.output().contains("HTTP/1.1 404 Not Found"), o.output());
        assertEquals(3, log.size());
    }

    @Test
    void headSendsTheHeadersOfGetWithoutTheBody() throws IOException
    {
        final Outcome o = serve("HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(o.output().contains("Content-Length: 300000\r\n"), o.output());
        assertTrue(o.output().endsWith("\r\n\r\n"), o.output());
    }

    @Test
    void streamsAFileLargerThanTheBuffer() throws IOException
    {
        final Outcome o = serve("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        final int bodyStart = o.output().indexOf("\r\n\r\n") + 4;
        assertEquals(300_000, o.output().length() - bodyStart);
    }

    @Test
    void connectionCloseAndHttp10CloseAfterTheResponse() throws IOException
    {
        final Outcome close = serve("GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            + "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(HttpSession.End.CLOSE, close.end());
        assertEquals(1, close.count("HTTP/1.1 200"), "no second response after Connection: close");
        assertTrue(close.output().contains("Connection: close\r\n"), close.output());

        final Outcome http10 = serve("GET /a.txt HTTP/1.0\r\n\r\n");
        assertEquals(HttpSession.End.CLOSE, http10.end());
        assertTrue(http10.output().contains("Connection: close\r\n"), http10.output());

        final Outcome http10KeepAlive = serve("GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertEquals(HttpSession.End.PEER_CLOSED, http10KeepAlive.end());
        assertTrue(http10KeepAlive.output().contains("Connection: keep-alive\r\n"), http10KeepAlive.output());
    }

    @Test
    void refusesPathTraversalInEveryEncoding() throws IOException
    {
        for (final String path : List.of("/../a.txt", "/dir/../../etc/passwd", "/%2e%2e/etc/passwd",
            "/dir/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/dir/..%2f..%2fetc"))
        {
            final Outcome o = serve("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(o.output().startsWith("HTTP/1.1 403"), path + " -> " + o.output());
        }
    }

    @Test
    void refusesASymbolicLinkOutOfTheRoot() throws IOException
    {
        final Path outside = Files.createTempFile("tapstack-secret", ".txt");
        try
        {
            Files.createSymbolicLink(root.resolve("link.txt"), outside);
            final Outcome o = serve("GET /link.txt HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(o.output().startsWith("HTTP/1.1 403"), o.output());
        }
        finally
        {
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void answersMethodsItDoesNotServe() throws IOException
    {
        final Outcome post = serve("POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(post.output().startsWith("HTTP/1.1 405"), post.output());
        assertTrue(post.output().contains("Allow: GET, HEAD\r\n"), post.output());
        // the body was read past: the next request on the connection is served
        assertTrue(post.output().contains("HTTP/1.1 200 OK"), post.output());
        final Outcome brew = serve("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(brew.output().startsWith("HTTP/1.1 501"), brew.output());
    }

    @Test
    void malformedRequestsAre400AndClose() throws IOException
    {
        for (final String bad : List.of("GET /a.txt\r\n\r\n", "GET /a.txt HTTP/1.1\r\n\r\n",
            "GET /a.txt HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", "GET /a.txt HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            "GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", "GET a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", "GET /a.txt HTTP/1.1\r\nHost: x"))
        {
            final Outcome o = serve(bad);
            assertTrue(o.output().startsWith("HTTP/1.1 400"), bad + " -> " + o.output());
            assertEquals(HttpSession.End.CLOSE, o.end(), bad);
        }
        assertTrue(serve("GET / HTTP/2.0\r\nHost: x\r\n\r\n").output().startsWith("HTTP/1.1 505"));
    }

    @Test
    void boundsTheRequestHead() throws IOException
    {
        final Outcome o = serve("GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(2000) + "\r\n\r\n");
        assertTrue(o.output().startsWith("HTTP/1.1 431"), o.output());
        assertEquals(HttpSession.End.CLOSE, o.end());
    }

    @Test
    void anIdleConnectionEndsQuietlyAndAStalledRequestGets408() throws IOException
    {
        final InputStream idle = new SequenceInputStream(new ByteArrayInputStream(
            "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)), timingOut());
        final Outcome quiet = serve(root, idle);
        assertEquals(HttpSession.End.IDLE, quiet.end());
        assertEquals(1, quiet.count("HTTP/1.1 "));

        final InputStream stalled = new SequenceInputStream(new ByteArrayInputStream(
            "GET /a.txt HTTP/1.1\r\nHo".getBytes(StandardCharsets.ISO_8859_1)), timingOut());
        final Outcome slow = serve(root, stalled);
        assertEquals(HttpSession.End.CLOSE, slow.end());
        assertTrue(slow.output().startsWith("HTTP/1.1 408"), slow.output());
    }

    @Test
    void statsComeAsJsonOrHtmlByAccept() throws IOException
    {
        final Outcome json = serve("GET /stats.json HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /stats HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n"
            + "GET /stats HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n");
        assertEquals(2, json.count("Content-Type: application/json"), json.output());
        assertEquals(2, json.count("\"tcp_rx\": 42"), json.output());
        assertEquals(1, json.count("Content-Type: text/html"), json.output());
        assertTrue(json.output().contains("<td>tcp_rx</td>"), json.output());
    }

    @Test
    void withoutARootServesTheBuiltInPage() throws IOException
    {
        final Outcome o = serve(null, new ByteArrayInputStream(("GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
        assertTrue(o.output().startsWith("HTTP/1.1 200 OK"), o.output());
        assertTrue(o.output().contains("href=\"/stats\""), o.output());
        assertTrue(o.output().contains("HTTP/1.1 404"), o.output());
    }

    @Test
    void aDirectoryRedirectsToItsSlashThenLists() throws IOException
    {
        final Outcome o = serve("GET /dir HTTP/1.1\r\nHost: x\r\n\r\nGET /dir/ HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(o.output().startsWith("HTTP/1.1 301"), o.output());
        assertTrue(o.output().contains("Location: /dir/\r\n"), o.output());
        assertTrue(o.output().contains("<a href=\"b.json\">b.json</a>"), o.output());
    }

    @Test
    void acceptsAbsoluteFormTargetsAndQueries() throws IOException
    {
        final Outcome o = serve("GET http://x/a.txt?v=1 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(o.output().startsWith("HTTP/1.1 200 OK"), o.output());
        assertTrue(o.output().endsWith("alpha\n"), o.output());
    }

    private static InputStream timingOut()
    {
        return new InputStream()
        {
            @Override
            public int read() throws IOException
            {
                throw new SocketTimeoutException("read timed out");
            }

            @Override
            public int read(final byte[] b, final int off, final int len) throws IOException
            {
                throw new SocketTimeoutException("read timed out");
            }
        };
    }
}
