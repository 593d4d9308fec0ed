package io.tapstack.examples;

import io.tapstack.tap.TapInteropSupport;
import io.tapstack.tap.Cmd;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.tapstack.tap.TapInteropSupport.Netns;

/**
 * One example command running as its own JVM inside a network namespace of the test's own, on a TAP made there
 * ({@code ip tuntap add}) with the kernel side at {@link #KERNEL_IP} and the stack at {@link #STACK_IP}. The
 * TAP exists and has its address before the command starts, so a command may send at once (ping). Closing
 * stops the command with SIGTERM (as Ctrl-C would, running its shutdown hook) and deletes the namespace, and
 * with it the TAP: also when the test failed.
 */
final class ExampleProcess implements AutoCloseable
{
    static final String KERNEL_IP = "10.99.7.1";
    static final String STACK_IP = "10.99.7.2";
    static final String TAP = "tap0";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    final Netns netns;
    private final Path output;
    private Process process;
    private String finalOutput;

    private ExampleProcess(final Netns netns, final Path output)
    {
        this.netns = netns;
        this.output = output;
    }

    /** A namespace with the TAP up and addressed; no command yet. */
    static ExampleProcess prepare() throws IOException
    {
        return prepare(false);
    }

    /** As {@link #prepare()}, or with a TUN of the same name (a point-to-point link to the stack) for --tun. */
    static ExampleProcess prepare(final boolean tun) throws IOException
    {
        final Netns netns = Netns.create();
        try
        {
            netns.execOk("ip", "link", "set", "lo", "up");
            netns.execOk("ip", "tuntap", "add", "dev", TAP, "mode", tun ? "tun" : "tap");
            if (tun)
            {
                netns.execOk("ip", "addr", "add", KERNEL_IP, "peer", STACK_IP, "dev", TAP);
            }
            else
            {
                netns.execOk("ip", "addr", "add", KERNEL_IP + "/24", "dev", TAP);
            }
            netns.execOk("ip", "link", "set", TAP, "up");
            return new ExampleProcess(netns, Files.createTempFile("tapstack-example", ".out"));
        }
        catch (final RuntimeException | IOException ex)
        {
            netns.close();
            throw ex;
        }
    }

    /**
     * Starts {@code command} in a namespace of its own with only loopback up: the command creates the TAP itself,
     * and the test sees it appear (and gives the kernel side its address) as a user would.
     */
    static ExampleProcess launchWithoutTap(final String command, final String... extra) throws Exception
    {
        final Netns netns = Netns.create();
        final ExampleProcess p;
        try
        {
            netns.execOk("ip", "link", "set", "lo", "up");
            p = new ExampleProcess(netns, Files.createTempFile("tapstack-example", ".out"));
        }
        catch (final RuntimeException | IOException ex)
        {
            netns.close();
            throw ex;
        }
        try
        {
            p.launch(command, extra);
            return p;
        }
        catch (final Throwable ex)
        {
            p.close();
            throw ex;
        }
    }

    /**
     * Starts {@code command} with the stack options and {@code extra}, and waits until it logs that it listens
     * and the stack answers a ping (so that ARP is done both ways before the test's clients start).
     */
    static ExampleProcess startServer(final String command, final String... extra) throws Exception
    {
        return startServer(false, command, extra);
    }

    /** As {@link #startServer(String, String...)}, on a TUN with {@code --tun} when {@code tun}. */
    static ExampleProcess startServer(final boolean tun, final String command, final String... extra)
        throws Exception
    {
        final ExampleProcess p = prepare(tun);
        try
        {
            final List<String> options = new ArrayList<>(tun ? List.of("--tun") : List.of());
            options.addAll(List.of(extra));
            p.launch(command, options.toArray(new String[0]));
            p.awaitOutput("listening on", START_TIMEOUT);
            final Cmd.Result ping = p.netns.exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "5", STACK_IP);
            if (!ping.ok())
            {
                throw new AssertionError("the stack does not answer ping: " + ping + "\n" + p.output());
            }
            return p;
        }
        catch (final Throwable ex)
        {
            p.close();
            throw ex;
        }
    }

    /** The JVM command line for an example command, on the test's own class path. */
    static List<String> javaCommand(final String command, final String... extra)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        // surefire may put the class path in a manifest-only jar; it names the real one here
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(Main.class.getName());
        cmd.add(command);
        cmd.add("--tap");
        cmd.add(TAP);
        cmd.add("--ip");
        cmd.add(STACK_IP + "/24");
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /** The command's JVM (ip netns exec execs it, so the process we started is the JVM itself). */
    long pid()
    {
        return process.pid();
    }

    /** Runs a command that ends by itself (ping) inside the namespace. */
    Cmd.Result runToEnd(final Duration timeout, final String command, final String... extra)
    {
        final List<String> cmd = javaCommand(command, extra);
        return netns.exec(timeout, cmd.toArray(new String[0]));
    }

    void launch(final String command, final String... extra) throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns.name));
        cmd.addAll(javaCommand(command, extra));
        // ip netns exec execs the JVM: the process we hold is the JVM itself, and SIGTERM reaches it
        process = new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    }

    /** Waits until the command's output contains {@code text}; fails with the output if it exits or times out. */
    void awaitOutput(final String text, final Duration timeout) throws Exception
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline)
        {
            final String out = output();
            if (out.contains(text))
            {
                return;
            }
            if (!process.isAlive())
            {
                throw new AssertionError("the command exited (" + process.exitValue() + ") before printing '" + text
                    + "':\n" + out);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no '" + text + "' within " + timeout.toSeconds() + " s:\n" + output());
    }

    /** What the command printed so far (everything, once stopped). */
    String output() throws IOException
    {
        return finalOutput != null ? finalOutput : Files.readString(output, StandardCharsets.UTF_8);
    }

    /** Runs a shell command line inside the namespace. */
    Cmd.Result sh(final Duration timeout, final String script)
    {
        return netns.exec(timeout, "sh", "-c", script);
    }

    /** Runs a shell command line inside the namespace and fails with its output (and the server's) unless it exits 0. */
    Cmd.Result shOk(final Duration timeout, final String script) throws IOException
    {
        final Cmd.Result result = sh(timeout, script);
        if (!result.ok())
        {
            throw new AssertionError("failed: " + result + "\n--- server output ---\n" + output());
        }
        return result;
    }

    /**
     * Stops the command as Ctrl-C would (SIGTERM: its shutdown hook closes the stack and prints the counters)
     * and returns its exit status and all it printed.
     */
    String stop() throws Exception
    {
        if (process != null && finalOutput == null)
        {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                finalOutput = output() + "\n[killed: it did not stop within 15 s of SIGTERM]";
            }
            else
            {
                finalOutput = output();
            }
        }
        return finalOutput;
    }

    @Override
    public void close() throws Exception
    {
        try
        {
            stop();
        }
        finally
        {
            try
            {
                // a namespace with a process in it would outlive its deletion: the process is gone by now
                netns.close();
            }
            finally
            {
                Files.deleteIfExists(output);
            }
        }
    }
}
