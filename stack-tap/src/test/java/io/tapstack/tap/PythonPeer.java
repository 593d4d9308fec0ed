package io.tapstack.tap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel-side peers of the TAP comparisons, small python3 programs kept beside this class
 * ({@code echo_client.py}, {@code echo_server.py}, {@code bulk_sender.py}, {@code bulk_receiver.py}; each says what
 * it prints), copied to a scratch directory and run in a namespace with {@code ip netns exec}.
 */
final class PythonPeer
{
    static final String PYTHON = "/usr/bin/python3";
    private static final Pattern ECHO = Pattern.compile(
        "sent (\\d+) (\\p{XDigit}{64}) received (\\d+) (\\p{XDigit}{64}) seconds ([\\d.]+)");
    private static final Pattern RECEIVED = Pattern.compile(
        "received (\\d+) (\\p{XDigit}{64}) mark (-?[\\d.]+) end ([\\d.]+)");
    private static final Pattern SENT = Pattern.compile("sent (\\d+) (\\p{XDigit}{64})");

    private final Path dir;
    private final String congestionControl;

    private PythonPeer(final Path dir, final String congestionControl)
    {
        this.dir = dir;
        this.congestionControl = congestionControl;
    }

    /**
     * Copies the scripts into {@code dir}; their sockets use the kernel's {@code congestionControl} ("cubic"), set
     * per socket, since a namespace may only choose its default among the root namespace's allowed algorithms.
     */
    static PythonPeer into(final Path dir, final String congestionControl) throws IOException
    {
        for (final String script : List.of("echo_client.py", "echo_server.py", "bulk_sender.py", "bulk_receiver.py"))
        {
            try (InputStream in = PythonPeer.class.getResourceAsStream(script))
            {
                if (in == null)
                {
                    throw new IOException("test resource " + script + " is missing");
                }
                Files.copy(in, dir.resolve(script));
            }
        }
        return new PythonPeer(dir, congestionControl);
    }

    /** What {@code echo_client.py} saw: the bytes and digests each way, and the seconds from connect to FIN. */
    record Echo(long sent, String sentSha256, long received, String receivedSha256, double seconds)
    {
        boolean intact()
        {
            return sent == received && sentSha256.equals(receivedSha256);
        }

        double megabytesPerSecond()
        {
            return sent / 1e6 / seconds;
        }
    }

    /** What {@code bulk_receiver.py} saw: bytes, digest, and seconds since the accept at the mark and at FIN. */
    record Received(long bytes, String sha256, double markSeconds, double endSeconds)
    {
        /** The rate from the mark to the end, in MB/s (10^6 bytes). */
        double megabytesPerSecondPast(final long markBytes)
        {
            return (bytes - markBytes) / 1e6 / (endSeconds - markSeconds);
        }
    }

    /** Runs {@code echo_client.py} in {@code netns} against {@code host:port} and returns what it saw. */
    Echo echo(final Netns netns, final String host, final int port, final long bytes, final long seed,
        final Duration timeout)
    {
        final Cmd.Result run = netns.exec(timeout, PYTHON, script("echo_client.py"), host, Integer.toString(port),
            Long.toString(bytes), Long.toString(seed), congestionControl);
        final Matcher m = ECHO.matcher(run.output());
        assertTrue(run.ok() && m.find(), () -> "echo client failed: " + run);
        return new Echo(Long.parseLong(m.group(1)), m.group(2), Long.parseLong(m.group(3)), m.group(4),
            Double.parseDouble(m.group(5)));
    }

    /** Runs {@code bulk_sender.py} in {@code netns} and returns the digest of what it sent. */
    String send(final Netns netns, final String host, final int port, final long bytes, final long seed,
        final Duration timeout)
    {
        final Cmd.Result run = netns.exec(timeout, PYTHON, script("bulk_sender.py"), host, Integer.toString(port),
            Long.toString(bytes), Long.toString(seed), congestionControl);
        final Matcher m = SENT.matcher(run.output());
        assertTrue(run.ok() && m.find() && Long.parseLong(m.group(1)) == bytes, () -> "bulk sender failed: " + run);
        return m.group(2);
    }

    /** Starts {@code echo_server.py} in {@code netns} and waits until it listens. */
    Process startEchoServer(final Netns netns, final String host, final int port) throws Exception
    {
        return startListener(netns, port, script("echo_server.py"), host, Integer.toString(port),
            congestionControl);
    }

    /** Starts {@code bulk_receiver.py} in {@code netns} and waits until it listens; {@link #received} reads it. */
    Process startReceiver(final Netns netns, final String host, final int port, final long markBytes)
        throws Exception
    {
        return startListener(netns, port, script("bulk_receiver.py"), host, Integer.toString(port),
            Long.toString(markBytes), congestionControl);
    }

    /** Waits for a {@link #startReceiver} process to finish and parses what it printed. */
    static Received received(final Process receiver, final Duration timeout) throws Exception
    {
        final boolean finished = receiver.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        final String output = new String(receiver.getInputStream().readAllBytes(),
            java.nio.charset.StandardCharsets.UTF_8);
        final Matcher m = RECEIVED.matcher(output);
        assertTrue(finished && receiver.exitValue() == 0 && m.find(), () -> "bulk receiver failed (finished "
            + finished + "): " + output);
        return new Received(Long.parseLong(m.group(1)), m.group(2), Double.parseDouble(m.group(3)),
            Double.parseDouble(m.group(4)));
    }

    private Process startListener(final Netns netns, final int port, final String... command) throws Exception
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns.name, PYTHON));
        full.addAll(List.of(command));
        final Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        try
        {
            netns.awaitTcpListener(port);
            return process;
        }
        catch (final Throwable ex)
        {
            process.destroyForcibly();
            throw ex;
        }
    }

    private String script(final String name)
    {
        return dir.resolve(name).toString();
    }
}
