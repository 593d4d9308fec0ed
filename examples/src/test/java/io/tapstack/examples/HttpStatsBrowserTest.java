package io.tapstack.examples;

import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapInteropSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.examples.ExampleProcess.KERNEL_IP;
import static io.tapstack.examples.ExampleProcess.STACK_IP;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code http} command's {@code /stats} page in a real browser: Debian's headless Chromium, run inside the
 * test's namespace (as root, so with {@code --no-sandbox}) and bounded by {@code timeout}, loads the page from the
 * stack over a TAP while curl downloads a large file slowly, so a connection is live. The page's script must have
 * drawn that connection (a table row and an SVG polyline of its cwnd with several points) with no console error,
 * and a screenshot must show the chart's blue line.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class HttpStatsBrowserTest
{
    private static final String BROWSER = "chromium-headless-shell";
    private static final String URL = "http://" + STACK_IP + "/";
    /** The chart line's colour (#1565c0), as the screenshot must show it. */
    private static final int CHART_BLUE = 0x1565c0;

    private Path dir;

    @BeforeEach
    void setUp() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools(BROWSER, BROWSER, "curl", "curl", "timeout", "coreutils");
        dir = Files.createTempDirectory("tapstack-browser");
        Files.createDirectories(dir.resolve("www"));
        try (RandomAccessFile big = new RandomAccessFile(dir.resolve("www/big.bin").toFile(), "rw"))
        {
            big.setLength(256L * 1024 * 1024); // sparse: fast to make, far more than the test downloads
        }
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (dir != null)
        {
            EchoCommandTest.deleteTree(dir);
        }
    }

    @Test
    void theStatsPageDrawsTheLiveConnectionWithNoConsoleError() throws Exception
    {
        try (ExampleProcess http = ExampleProcess.startServer("http", "--root", dir.resolve("www").toString()))
        {
            final String d = dir.toString();
            final String browser = "timeout -k 5 45 " + BROWSER + " --no-sandbox --disable-gpu --disable-dev-shm-usage"
                + " --user-data-dir=" + d + "/profile --enable-logging=stderr --v=0 --window-size=1400,900"
                + " --virtual-time-budget=5000";
            // a slow download keeps one connection busy; the page is loaded once its cwnd history has points
            final String script = String.join("\n",
                "timeout -k 2 100 curl -sS --limit-rate 500k -o /dev/null " + URL + "big.bin &",
                "download=$!",
                "for i in $(seq 1 100); do",
                "  curl -sS --max-time 5 -o " + d + "/connections.json " + URL + "stats/connections.json",
                "  grep -q '\"state\": \"ESTABLISHED\".*\"cwnd_history\": \\[\\[[0-9]*, [0-9]*\\], \\[' "
                    + d + "/connections.json && break",
                "  sleep 0.2",
                "done",
                browser + " --dump-dom " + URL + "stats > " + d + "/dom.html 2> " + d + "/dom.log",
                "echo dump-dom exit $?",
                browser + " --screenshot=" + d + "/page.png " + URL + "stats > " + d + "/shot.out 2> " + d
                    + "/shot.log",
                "echo screenshot exit $?",
                // the check below can fail: a page's console error does show in this log
                browser + " --dump-dom 'data:text/html,<script>console.error(\"probe\")</script>' > /dev/null 2> "
                    + d + "/probe.log",
                "kill $download 2>/dev/null; wait $download 2>/dev/null",
                "exit 0");
            final Cmd.Result result = http.shOk(Duration.ofSeconds(140), script);
            final String context = "\n--- script ---\n" + result + "\n--- connections.json ---\n"
                + read("connections.json") + "\n--- dom.log ---\n" + read("dom.log") + "\n--- shot.log ---\n"
                + read("shot.log");
            assertTrue(result.output().contains("dump-dom exit 0"), context);
            assertTrue(result.output().contains("screenshot exit 0"), context);

            final String dom = read("dom.html");
            final String all = context + "\n--- dom ---\n" + dom;
            // the script ran to its end: it fetched both JSON documents and drew what they said
            assertTrue(dom.contains("id=\"updated\">updated "), all);
            assertFalse(dom.contains("id=\"updated\">not updating"), all);
            final Matcher row = Pattern.compile("<tr class=\"connection\">(.*?)</tr>").matcher(dom);
            boolean drawn = false;
            while (row.find())
            {
                final String r = row.group(1);
                if (r.contains("<td>" + STACK_IP + ":80</td>") && r.contains("<td>" + KERNEL_IP + ":")
                    && r.contains("<td>ESTABLISHED</td>"))
                {
                    final Matcher points = Pattern.compile("<polyline points=\"([^\"]*)\"").matcher(r);
                    assertTrue(points.find(), () -> "no chart in the row: " + r);
                    final int n = points.group(1).trim().split(" ").length;
                    drawn |= n >= 2;
                }
            }
            assertTrue(drawn, () -> "no ESTABLISHED connection from the kernel drawn with a chart of 2+ points:\n"
                + all);
            final String probe = read("probe.log");
            assertTrue(probe.contains("CONSOLE") && probe.contains("probe"),
                () -> "the browser's log does not show console messages:\n" + context + probe);
            for (final String log : new String[] {read("dom.log"), read("shot.log")})
            {
                // Chromium logs each console message as CONSOLE(line); failed loads and script errors are there
                assertFalse(log.contains("CONSOLE") || log.contains("Uncaught") || log.contains("Failed to load"),
                    () -> "a console message:\n" + all);
            }

            final BufferedImage png = ImageIO.read(dir.resolve("page.png").toFile());
            assertNotNull(png, () -> "no PNG screenshot:" + context);
            final Set<Integer> colours = new HashSet<>();
            int blue = 0;
            for (int y = 0; y < png.getHeight(); y += 1)
            {
                for (int x = 0; x < png.getWidth(); x += 1)
                {
                    final int rgb = png.getRGB(x, y) & 0xFFFFFF;
                    colours.add(rgb);
                    blue += near(rgb, CHART_BLUE) ? 1 : 0;
                }
            }
            assertTrue(colours.size() > 10, "a blank screenshot: " + colours.size() + " colours");
            assertTrue(blue >= 20, "the chart's line is not in the screenshot: " + blue + " blue pixels" + context);
        }
    }

    private static boolean near(final int rgb, final int target)
    {
        for (int shift = 0; shift <= 16; shift += 8)
        {
            if (Math.abs(((rgb >> shift) & 0xFF) - ((target >> shift) & 0xFF)) > 24)
            {
                return false;
            }
        }
        return true;
    }

    private String read(final String name) throws Exception
    {
        final Path p = dir.resolve(name);
        return Files.exists(p) ? Files.readString(p) : "(none)";
    }
}
