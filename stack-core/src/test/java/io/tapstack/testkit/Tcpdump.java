package io.tapstack.testkit;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system's tcpdump on a capture file, for tests that compare with it (Debian's {@code tcpdump} package;
 * .ci/run installs it). Without tcpdump such a test is skipped on a developer's machine and fails in CI
 * ({@code CI=true}), so that a missing install step cannot pass unnoticed.
 */
public final class Tcpdump
{
    private static final String[] PATHS = {"/usr/bin/tcpdump", "/usr/sbin/tcpdump"};

    private Tcpdump()
    {
    }

    /** The tcpdump binary; skips the test (or fails it in CI) when there is none. */
    public static String require()
    {
        for (final String path : PATHS)
        {
            if (Files.isExecutable(Path.of(path)))
            {
                return path;
            }
        }
        final String why = "tcpdump is not installed (apt-get install tcpdump)";
        if ("true".equals(System.getenv("CI")))
        {
            throw new AssertionError(why + ": CI must have it");
        }
        Assumptions.abort(why);
        return null;
    }

    /** tcpdump's standard output for {@code tcpdump -r FILE ARGS...}, one entry per line; fails on a non-zero exit. */
    public static List<String> read(final Path file, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of(require(), "-r", file.toString()));
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
        final byte[] out = p.getInputStream().readAllBytes();
        final byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
        {
            p.destroyForcibly();
            throw new IOException("tcpdump " + command + " failed: " + new String(err, StandardCharsets.UTF_8));
        }
        final String text = new String(out, StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }
}
