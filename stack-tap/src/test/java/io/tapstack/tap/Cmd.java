package io.tapstack.tap;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external command with a time limit and captures its output (stdout and stderr together). */
public final class Cmd
{
    /** What a command did: exit code (-1 if it timed out) and everything it printed. */
    public record Result(List<String> command, int exitCode, boolean timedOut, String output)
    {
        public boolean ok()
        {
            return !timedOut && exitCode == 0;
        }

        @Override
        public String toString()
        {
            return String.join(" ", command) + " -> " + (timedOut ? "TIMED OUT" : "exit " + exitCode) + "\n" + output;
        }
    }

    private Cmd()
    {
    }

    public static Result run(final Duration timeout, final String... command)
    {
        final List<String> cmd = Arrays.asList(command);
        File out = null;
        try
        {
            out = File.createTempFile("tapstack-cmd", ".out");
            final Process process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(out)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
            final boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished)
            {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            final String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
            return new Result(cmd, finished ? process.exitValue() : -1, !finished, text);
        }
        catch (final IOException ex)
        {
            return new Result(cmd, -1, false, "could not run: " + ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return new Result(cmd, -1, true, "interrupted");
        }
        finally
        {
            if (out != null)
            {
                out.delete();
            }
        }
    }

    public static boolean onPath(final String program)
    {
        final String path = System.getenv("PATH");
        if (path == null)
        {
            return false;
        }
        for (final String dir : path.split(File.pathSeparator))
        {
            if (new File(dir, program).canExecute())
            {
                return true;
            }
        }
        for (final String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"})
        {
            if (new File(dir, program).canExecute())
            {
                return true;
            }
        }
        return false;
    }
}
