package io.tapstack.examples;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.MemoryLink;
import io.tapstack.socket.Idler;
import io.tapstack.socket.SocketConfig;
import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.SocketStack;
import io.tapstack.socket.StackRunner;
import io.tapstack.socket.TcpSocket;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /stats/connections.json} of the {@code http} command's site over an in-memory link in real time: while a
 * download runs, its connection is listed with sane TCP values (ESTABLISHED, the client's 4-tuple, cwnd at least
 * one segment, an RTT measured, bytes acknowledged, a cwnd history); the list and each history stay within their
 * bounds; and a connection that has gone is no longer listed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpConnectionStatsTest
{
    private static final int SERVER = Ipv4Address.parse("10.0.0.2");
    private static final int MAX_LISTED = 3;
    private static final int HISTORY_POINTS = 4;
    private static final int BIG = 4 * 1024 * 1024;
    /** One connection per line, as HttpConnectionStats writes them. */
    private static final Pattern CONNECTION = Pattern.compile("^ *\\{\"id\": .*\\}$", Pattern.MULTILINE);

    private ExecutorService callbacks;
    private StackRunner runner;
    private SocketStack client;
    private AsyncTcpService server;
    private HttpConnectionStats connections;
    private Path root;

    @BeforeEach
    void start() throws IOException
    {
        root = Files.createTempDirectory("tapstack-stats-www");
        Files.write(root.resolve("big.bin"), new byte[BIG]);
        final MemoryLink link = new MemoryLink(SystemNanoClock.INSTANCE, 200_000L, 8192, 1514);
        final NetStack clientStack = new NetStack(new StackConfig().ipAddress("10.0.0.1/24").seed(1)
            .repeatableSecrets(true), link.endA());
        final NetStack serverStack = new NetStack(new StackConfig().ipAddress("10.0.0.2/24").seed(2)
            .repeatableSecrets(true), link.endB());
        callbacks = Services.callbackExecutor(2);
        final SocketStack sockets = new SocketStack(serverStack, new SocketConfig().callbackExecutor(callbacks));
        client = new SocketStack(clientStack, new SocketConfig());
        runner = new StackRunner(Idler.parking(), SystemNanoClock.INSTANCE, "stats-test").add(client).add(sockets)
            .start();
        final HttpStats stats = new HttpStats();
        connections = new HttpConnectionStats(sockets, MAX_LISTED, HISTORY_POINTS, 100);
        final HttpSite site = new HttpSite(root.toRealPath(), Map::of, Map.of("ip", "10.0.0.2/24"), stats,
            connections);
        final AsyncHttpConnection.Settings settings = new AsyncHttpConnection.Settings(8192, 4096,
            Duration.ofSeconds(30), Duration.ofSeconds(10), 1024 * 1024, 16 * 1024, null);
        server = new AsyncTcpService("http", sockets.listen(80, 64, SocketOptions.defaults().nagle(false)),
            AsyncHttpConnection.handler(site::respond, stats, settings)).start();
    }

    @AfterEach
    void stop() throws Exception
    {
        if (server != null)
        {
            server.close();
        }
        connections.close();
        runner.close();
        callbacks.shutdownNow();
        EchoCommandTest.deleteTree(root);
    }

    @Test
    void aRunningDownloadIsListedWithSaneValuesAndGoneOnceClosed() throws Exception
    {
        final TcpSocket download = client.connect(SERVER, 80, Duration.ofSeconds(5));
        final String remote = "\"remote\": \"10.0.0.1:" + download.localPort() + "\"";
        String line;
        try
        {
            download.getOutputStream().write(ascii("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
            final InputStream in = download.getInputStream();
            in.readNBytes(256 * 1024); // under way; the rest waits for the reader, so the connection stays busy
            line = awaitConnection(remote, HISTORY_POINTS);
            assertTrue(line.contains("\"local\": \"10.0.0.2:80\""), line);
            assertTrue(line.contains("\"state\": \"ESTABLISHED\""), line);
            final long mss = number(line, "mss");
            assertTrue(mss >= 536 && mss <= 1460, line);
            assertTrue(number(line, "cwnd") >= mss, "cwnd below one segment: " + line);
            assertTrue(number(line, "srtt_us") >= 200, "an RTT over a link of 200 us each way: " + line);
            assertTrue(number(line, "rto_ms") > 0, line);
            assertTrue(number(line, "bytes_acked") >= 256 * 1024, "the bytes read were acknowledged: " + line);
            assertTrue(number(line, "bytes_acked") < BIG + 1024, line);
            assertTrue(number(line, "bytes_received") > 0, "the request: " + line);
            assertTrue(number(line, "bytes_in_flight") >= 0, line);
            final int points = countOf(line.substring(line.indexOf("cwnd_history")), "], [") + 1;
            assertEquals(HISTORY_POINTS, points, "the history is kept to its bound: " + line);

            // more connections than the list holds: at most MAX_LISTED listed, the total counts all
            final List<TcpSocket> more = new ArrayList<>();
            try
            {
                for (int i = 0; i < MAX_LISTED + 1; i++)
                {
                    more.add(client.connect(SERVER, 80, Duration.ofSeconds(5)));
                }
                final String json = awaitJson(j -> total(j) >= MAX_LISTED + 2);
                assertEquals(MAX_LISTED, countOf(json, "{\"id\": "), json);
            }
            finally
            {
                more.forEach(TcpSocket::abort);
            }
            in.readNBytes(BIG - 256 * 1024); // the rest of the body follows its head; all of it arrives
        }
        finally
        {
            download.abort();
        }
        awaitJson(j -> !j.contains(remote));
    }

    /** Polls the endpoint until the download's connection is listed with {@code points} cwnd samples. */
    private String awaitConnection(final String remote, final int points) throws Exception
    {
        final String json = awaitJson(j -> lineWith(j, remote) != null
            && countOf(lineWith(j, remote), "], [") + 1 >= points);
        return lineWith(json, remote);
    }

    private String awaitJson(final java.util.function.Predicate<String> done) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String json = "";
        while (System.nanoTime() < deadline)
        {
            json = get("/stats/connections.json");
            if (done.test(json))
            {
                return json;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("not seen in 20 s; last: " + json);
    }

    private String get(final String path) throws IOException
    {
        try (TcpSocket c = client.connect(SERVER, 80, Duration.ofSeconds(5)))
        {
            c.readTimeout(Duration.ofSeconds(5));
            c.getOutputStream().write(ascii("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            final ByteArrayOutputStream all = new ByteArrayOutputStream();
            c.getInputStream().transferTo(all);
            final String response = all.toString(StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 200 "), response);
            assertTrue(response.contains("Content-Type: application/json"), response);
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    private static String lineWith(final String json, final String needle)
    {
        final Matcher m = CONNECTION.matcher(json);
        while (m.find())
        {
            if (m.group().contains(needle))
            {
                return m.group();
            }
        }
        return null;
    }

    private static long number(final String line, final String field)
    {
        final Matcher m = Pattern.compile("\"" + field + "\": (-?\\d+)").matcher(line);
        assertTrue(m.find(), field + " in " + line);
        return Long.parseLong(m.group(1));
    }

    private static int total(final String json)
    {
        return (int)number(json, "total");
    }

    private static int countOf(final String s, final String part)
    {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1))
        {
            n++;
        }
        return n;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
