package io.tapstack.tap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the TAP integration tests need from the machine, and the network namespace they confine every packet
 * to. Network safety rule: a test creates its TAP in the root namespace without bringing it up or giving it
 * an address (so nothing is sent there), moves it into a namespace of its own, and sends packets only there.
 * Deleting the namespace deletes the TAP with it.
 */
public final class TapInteropSupport
{
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);

    private TapInteropSupport()
    {
    }

    /** Skips the calling test (class) with the reason when this machine cannot run TAP integration tests. */
    public static void assumeTapInterop()
    {
        assumeTrue(isRoot(), "TAP integration tests need root (CAP_NET_ADMIN to create a TAP, CAP_SYS_ADMIN for "
            + "network namespaces): run as root to include them");
        assumeTrue(Files.exists(Path.of(TapConfig.DEFAULT_TUN_PATH)), "/dev/net/tun is missing: load the tun "
            + "module (modprobe tun) or run the container with --device /dev/net/tun");
        assumeTrue(Cmd.onPath("ip"), "the 'ip' command (iproute2) is missing: apt-get install iproute2");
    }

    /** Skips the calling test when a kernel-side tool is missing, naming the Debian package that has it. */
    public static void assumeTools(final String... programAndPackage)
    {
        for (int i = 0; i + 1 < programAndPackage.length; i += 2)
        {
            final String program = programAndPackage[i];
            final String pkg = programAndPackage[i + 1];
            final boolean present = program.startsWith("/") ? java.nio.file.Files.isExecutable(java.nio.file.Path.of(program))
                : Cmd.onPath(program);
            assumeTrue(present, () -> "'" + program + "' is missing: apt-get install " + pkg);
        }
    }

    public static boolean isRoot()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (line.startsWith("Uid:"))
                {
                    final String[] fields = line.substring(4).trim().split("\\s+");
                    return "0".equals(fields[1]); // effective uid
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
        return false;
    }

    public static String randomHex(final int digits)
    {
        final StringBuilder sb = new StringBuilder(digits);
        for (int i = 0; i < digits; i++)
        {
            sb.append(Character.forDigit(ThreadLocalRandom.current().nextInt(16), 16));
        }
        return sb.toString();
    }

    /** Deletes a test's scratch directory and the files in it (it has no subdirectories); nothing if null. */
    public static void deleteScratch(final Path scratch) throws IOException
    {
        if (scratch == null)
        {
            return;
        }
        try (var files = Files.list(scratch))
        {
            files.forEach(p -> p.toFile().delete());
        }
        Files.deleteIfExists(scratch);
    }

    /** A network namespace of the test's own, deleted (with any interface inside it) by {@link #close()}. */
    public static final class Netns implements AutoCloseable
    {
        public final String name;
        private boolean deleted;

        private Netns(final String name)
        {
            this.name = name;
        }

        /** Creates {@code ts-<random>}; skips the test when the machine refuses (no CAP_SYS_ADMIN, say). */
        public static Netns create()
        {
            final String name = "ts-" + randomHex(8);
            final Cmd.Result result = Cmd.run(COMMAND_TIMEOUT, "ip", "netns", "add", name);
            assumeTrue(result.ok(), () -> "cannot create a network namespace (needs CAP_SYS_ADMIN): " + result);
            return new Netns(name);
        }

        /** Runs a command inside the namespace. */
        public Cmd.Result exec(final Duration timeout, final String... command)
        {
            final String[] full = new String[command.length + 4];
            full[0] = "ip";
            full[1] = "netns";
            full[2] = "exec";
            full[3] = name;
            System.arraycopy(command, 0, full, 4, command.length);
            return Cmd.run(timeout, full);
        }

        /** Runs a command inside the namespace and fails with its output unless it exits 0. */
        public Cmd.Result execOk(final String... command)
        {
            final Cmd.Result result = exec(COMMAND_TIMEOUT, command);
            if (!result.ok())
            {
                throw new AssertionError("command failed in namespace " + name + ": " + result);
            }
            return result;
        }

        /** Waits until a kernel socket listens on TCP {@code port} inside the namespace (at most 5 s). */
        void awaitTcpListener(final int port) throws InterruptedException
        {
            for (int i = 0; i < 100; i++)
            {
                final Cmd.Result ss = exec(Duration.ofSeconds(5), "ss", "-ltnH", "sport = :" + port);
                if (ss.ok() && ss.output().contains(":" + port))
                {
                    return;
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no kernel listener on port " + port + " in namespace " + name);
        }

        @Override
        public void close()
        {
            if (!deleted)
            {
                deleted = true;
                final Cmd.Result result = Cmd.run(COMMAND_TIMEOUT, "ip", "netns", "del", name);
                if (!result.ok())
                {
                    throw new AssertionError("could not delete namespace " + name + ": " + result);
                }
            }
        }
    }

    /** The summary of an iputils ping run. */
    public record PingSummary(int transmitted, int received, double lossPercent, String line)
    {
        private static final Pattern SUMMARY = Pattern.compile(
            "(\\d+) packets transmitted, (\\d+) received.*?([\\d.]+)% packet loss");

        public static PingSummary parse(final String output)
        {
            final Matcher m = SUMMARY.matcher(output);
            if (!m.find())
            {
                throw new AssertionError("no ping summary line in:\n" + output);
            }
            return new PingSummary(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Double.parseDouble(m.group(3)), m.group(0));
        }
    }
}
