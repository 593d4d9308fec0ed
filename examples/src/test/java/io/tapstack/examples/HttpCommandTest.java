package io.tapstack.examples;

import io.tapstack.tap.TapInteropSupport;
import io.tapstack.tap.Cmd;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.examples.ExampleProcess.STACK_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code http} command over a real TAP, each test in a namespace of its own, with curl and wrk on the kernel
 * side: a 10 MB file, 100 requests on one connection, wrk with 50 connections, /stats, and the HTTP rules.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HttpCommandTest
{
    private static final int MB = 1024 * 1024;
    private static final String URL = "http://" + STACK_IP + "/";
    private static Path root;
    private static String bigSha256;

    @BeforeAll
    static void setUp() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("curl", "curl", "ping", "iputils-ping");
        root = Files.createTempDirectory("tapstack-www");
        final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        final SplittableRandom random = new SplittableRandom(862);
        final byte[] block = new byte[MB];
        try (OutputStream out = Files.newOutputStream(root.resolve("big.bin")))
        {
            for (int i = 0; i < 10; i++)
            {
                for (int j = 0; j < block.length; j++)
                {
                    block[j] = (byte)random.nextInt();
                }
                out.write(block);
                sha.update(block);
            }
        }
        bigSha256 = HexFormat.of().formatHex(sha.digest());
        Files.writeString(root.resolve("hello.txt"), "hello over tapstack\n");
        Files.writeString(root.resolve("index.html"), "<!DOCTYPE html><title>t</title><p>index</p>\n");
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/style.css"), "p { color: green }\n");
    }

    @AfterAll
    static void tearDown() throws Exception
    {
        EchoCommandTest.deleteTree(root);
    }

    @Test
    void curlFetchesATenMegabyteFileWithTheSameSha256() throws Exception
    {
        try (ExampleProcess http = ExampleProcess.startServer("http", "--root", root.toString(), "--mode", "dedicated"))
        {
            final Cmd.Result result = http.shOk(Duration.ofSeconds(60),
                "curl -sS --fail --max-time 50 " + URL + "big.bin | sha256sum");
            assertEquals(bigSha256, result.output().trim().split("\\s+")[0], result::toString);
        }
    }

    @Test
    void curlMakesAHundredRequestsOnOneKeptAliveConnection() throws Exception
    {
        try (ExampleProcess http = ExampleProcess.startServer("http", "--root", root.toString()))
        {
            final StringBuilder urls = new StringBuilder();
            for (int i = 0; i < 100; i++)
            {
                urls.append(" -o /dev/null ").append(URL).append(i % 2 == 0 ? "hello.txt" : "sub/style.css");
            }
            final Cmd.Result result = http.shOk(Duration.ofSeconds(60),
                "curl -sS -w '%{http_code} %{num_connects}\\n'" + urls);
            final List<String> lines = result.output().lines().filter(l -> !l.isBlank()).toList();
            assertEquals(100, lines.size(), result::toString);
            int connects = 0;
            for (final String line : lines)
            {
                final String[] f = line.trim().split(" ");
                assertEquals("200", f[0], result::toString);
                connects += Integer.parseInt(f[1]);
            }
            assertEquals(1, connects, () -> "curl opened more than one connection:\n" + result);
            final String out = http.stop();
            assertTrue(out.contains("http: 1 TCP connections on port 80"), out);
        }
    }

    @Test
    void wrkWithFiftyConnectionsSeesNoSocketErrorsAndTheServerAnswersAfterwards() throws Exception
    {
        TapInteropSupport.assumeTools("wrk", "wrk");
        try (ExampleProcess http = ExampleProcess.startServer("http"))
        {
            final Cmd.Result wrk = http.shOk(Duration.ofSeconds(30), "wrk -t2 -c50 -d5s " + URL);
            final String text = wrk.output();
            final Matcher requests = Pattern.compile("(\\d+) requests in").matcher(text);
            assertTrue(requests.find(), text);
            assertTrue(Long.parseLong(requests.group(1)) > 100, text);
            final Matcher errors = Pattern.compile(
                "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)").matcher(text);
            if (errors.find())
            {
                for (int g = 1; g <= 4; g++)
                {
                    assertEquals("0", errors.group(g), () -> "wrk saw socket errors:\n" + text);
                }
            }
            assertFalse(text.contains("Non-2xx or 3xx responses"), () -> "wrk saw error statuses:\n" + text);
            final Cmd.Result after = http.shOk(Duration.ofSeconds(20),
                "curl -sS -o /dev/null -w '%{http_code}' --max-time 10 " + URL);
            assertEquals("200", after.output().trim(), after::toString);
        }
    }

    /**
     * Slowloris: 400 clients each start a request and add a header line every second, never ending it. No thread
     * waits for them, so a new curl is answered at once; the header deadline (3 s here) ends each with a 408,
     * although none stopped sending.
     */
    @Test
    void fourHundredSlowClientsDoNotKeepANewCurlWaitingAndEachGetsA408() throws Exception
    {
        TapInteropSupport.assumeTools("/usr/bin/python3", "python3");
        final Path script = Files.createTempFile("slowloris", ".py");
        try (java.io.InputStream in = HttpCommandTest.class.getResourceAsStream("slowloris.py");
            ExampleProcess http = ExampleProcess.startServer("http", "--root", root.toString(),
                "--header-timeout", "3", "--keep-alive-timeout", "30"))
        {
            Files.write(script, in.readAllBytes());
            final String out = http.shOk(Duration.ofSeconds(60),
                "/usr/bin/python3 " + script + " " + STACK_IP + " 400 20").output();
            final Matcher curl = Pattern.compile("curl (\\S+) ([0-9.]+)").matcher(out);
            assertTrue(curl.find(), out);
            assertEquals("200", curl.group(1), out);
            assertTrue(Double.parseDouble(curl.group(2)) < 1.0, () -> "the new client waited:\n" + out);
            final Matcher slow = Pattern.compile("slow (\\d+) (\\d+) ([0-9.]+)").matcher(out);
            assertTrue(slow.find(), out);
            assertEquals("400", slow.group(1), () -> "not every slow client got its 408:\n" + out);
            assertTrue(Double.parseDouble(slow.group(3)) >= 3.0, () -> "408s before the header timeout:\n" + out);
        }
        finally
        {
            Files.deleteIfExists(script);
        }
    }

    @Test
    void statsAreJsonThatParsesAndAnHtmlPage() throws Exception
    {
        TapInteropSupport.assumeTools("/usr/bin/python3", "python3");
        try (ExampleProcess http = ExampleProcess.startServer("http"))
        {
            final String check = "import json, sys\n"
                + "d = json.load(sys.stdin)\n"
                + "assert d['counters']['tcp_rx'] > 0, d\n"
                + "assert d['http']['requests'] >= 0, d\n"
                + "print('JSON-OK', d['counters']['tcp_rx'])\n";
            for (final String fetch : List.of("curl -sS --fail " + URL + "stats.json",
                "curl -sS --fail -H 'Accept: application/json' " + URL + "stats"))
            {
                final Cmd.Result json = http.netns.exec(Duration.ofSeconds(20), "sh", "-c",
                    fetch + " | /usr/bin/python3 -c \"$0\"", check);
                assertTrue(json.ok() && json.output().contains("JSON-OK"), json::toString);
            }
            final Cmd.Result tool = http.shOk(Duration.ofSeconds(20),
                "curl -sS --fail " + URL + "stats.json | /usr/bin/python3 -m json.tool");
            assertTrue(tool.output().contains("\"tcp_rx\""), tool::toString);
            final Cmd.Result html = http.shOk(Duration.ofSeconds(20), "curl -sS -i " + URL + "stats");
            assertTrue(html.output().startsWith("HTTP/1.1 200"), html::toString);
            assertTrue(html.output().toLowerCase().contains("content-type: text/html"), html::toString);
            assertTrue(html.output().contains("<td>tcp_rx</td>"), html::toString);
        }
    }

    @Test
    void statsShowTheImpairmentCountsWhenThereAreImpairments() throws Exception
    {
        TapInteropSupport.assumeTools("/usr/bin/python3", "python3");
        try (ExampleProcess http = ExampleProcess.startServer("http", "--delay", "1"))
        {
            final String check = "import json, sys\n"
                + "c = json.load(sys.stdin)['counters']\n"
                + "assert c['impair_rx_delayed'] > 0 and c['impair_tx_delayed'] > 0, c\n"
                + "assert c['impair_rx_dropped'] == 0 and 'tcp_rx' in c, c\n"
                + "print('JSON-OK', c['impair_rx_passed'])\n";
            final Cmd.Result json = http.netns.exec(Duration.ofSeconds(20), "sh", "-c",
                "curl -sS --fail " + URL + "stats.json | /usr/bin/python3 -c \"$0\"", check);
            assertTrue(json.ok() && json.output().contains("JSON-OK"), json::toString);
            final Cmd.Result html = http.shOk(Duration.ofSeconds(20), "curl -sS " + URL + "stats");
            assertTrue(html.output().contains("<td>impair_tx_delayed</td>"), html::toString);
            final String out = http.stop();
            assertTrue(Pattern.compile("impair_tx_delayed\\s+[1-9]").matcher(out).find(), out);
        }
    }

    @Test
    void followsTheHttpRules() throws Exception
    {
        try (ExampleProcess http = ExampleProcess.startServer("http", "--root", root.toString(),
            "--keep-alive-timeout", "1", "--max-header-bytes", "1024"))
        {
            assertEquals("404", status(http, URL + "missing.txt"));
            assertEquals("405", status(http, "-X POST " + URL + "hello.txt"));
            assertEquals("501", status(http, "-X BREW " + URL));
            assertEquals("403", status(http, "--path-as-is " + URL + "../../etc/passwd"));
            assertEquals("403", status(http, "--path-as-is " + URL + "sub/%2e%2e/%2e%2e/etc/passwd"));
            assertEquals("301", status(http, URL + "sub"));
            assertEquals("431", status(http, "-H 'X-Big: " + "a".repeat(2000) + "' " + URL));

            final String head = http.shOk(Duration.ofSeconds(20), "curl -sS -I " + URL + "big.bin").output();
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertTrue(head.contains("Content-Length: " + 10 * MB), head);
            assertTrue(head.contains("Content-Type: application/octet-stream"), head);
            final String css = http.shOk(Duration.ofSeconds(20), "curl -sS -i " + URL + "sub/style.css").output();
            assertTrue(css.contains("Content-Type: text/css"), css);
            assertTrue(css.contains("p { color: green }"), css);

            // Connection: close, and HTTP/1.0 without keep-alive: the server answers, then closes (nc ends)
            final String close = http.shOk(Duration.ofSeconds(20), "printf 'GET /hello.txt HTTP/1.1\\r\\nHost: x\\r\\n"
                + "Connection: close\\r\\n\\r\\n' | nc -w 10 " + STACK_IP + " 80").output();
            assertTrue(close.contains("Connection: close") && close.contains("hello over tapstack"), close);
            final String http10 = http.shOk(Duration.ofSeconds(20), "printf 'GET /hello.txt HTTP/1.0\\r\\n\\r\\n' "
                + "| nc -w 10 " + STACK_IP + " 80").output();
            assertTrue(http10.startsWith("HTTP/1.1 200") && http10.contains("Content-Length: 20"), http10);
            // two pipelined requests on one connection, then the idle timeout (1 s) closes it
            final long start = System.nanoTime();
            final String pipelined = http.shOk(Duration.ofSeconds(20), "printf 'GET /hello.txt HTTP/1.1\\r\\n"
                + "Host: x\\r\\n\\r\\nHEAD /hello.txt HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | nc -w 10 " + STACK_IP + " 80")
                .output();
            final double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(2, pipelined.split("HTTP/1.1 200 OK", -1).length - 1, pipelined);
            assertEquals(1, pipelined.split("hello over tapstack", -1).length - 1, pipelined);
            assertTrue(seconds < 8, () -> "the idle connection was not closed after 1 s: " + seconds + " s");
            // a request without Host is a 400 in HTTP/1.1
            final String noHost = http.shOk(Duration.ofSeconds(20), "printf 'GET / HTTP/1.1\\r\\n\\r\\n' | nc -w 10 "
                + STACK_IP + " 80").output();
            assertTrue(noHost.startsWith("HTTP/1.1 400"), noHost);
        }
    }

    private static String status(final ExampleProcess http, final String curlArgs) throws Exception
    {
        return http.shOk(Duration.ofSeconds(20), "curl -sS -o /dev/null -w '%{http_code}' --max-time 10 " + curlArgs)
            .output().trim();
    }
}
