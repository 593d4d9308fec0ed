package io.tapstack.examples;

import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapInteropSupport;
import io.tapstack.tap.TapInteropSupport.Netns;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The documented way to run the real stack as an ordinary user: root makes a TAP for the user once (in a namespace
 * this test creates: ip tuntap add ... user nobody, an address, link up), then the stack runs as that user without
 * any privilege and changes nothing it need not change (a TAP that is up with the right MTU is only opened).
 */
class NonRootTapTest
{
    private static final String KERNEL_IP = "10.99.8.1";
    private static final String STACK_IP = "10.99.8.2";

    @Test
    void anOrdinaryUserRunsTheStackOnATapRootMadeForIt() throws Exception
    {
        TapInteropSupport.assumeTapInterop();
        TapInteropSupport.assumeTools("runuser", "util-linux", "ping", "iputils-ping");
        final Path classPath = Files.createTempDirectory("tapstack-nonroot");
        final Path output = Files.createTempFile("tapstack-nonroot", ".out");
        Process process = null;
        try (Netns netns = Netns.create())
        {
            netns.execOk("ip", "link", "set", "lo", "up");
            netns.execOk("ip", "tuntap", "add", "dev", "tap0", "mode", "tap", "user", "nobody");
            netns.execOk("ip", "addr", "add", KERNEL_IP + "/24", "dev", "tap0");
            netns.execOk("ip", "link", "set", "tap0", "up");

            // the user needs read/write access to /dev/net/tun (Debian's udev makes it 0666; this machine's may be
            // 0600): a 0666 node bound over it in the mount namespace 'ip netns exec' makes, not on the host
            final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            final String script = "d=$(mktemp -d) && mknod \"$d/tun\" c 10 200 && chmod 666 \"$d/tun\""
                + " && mount --bind \"$d/tun\" /dev/net/tun && exec runuser -u nobody -- '" + java
                + "' -Xmx256m -cp '" + copyClassPath(classPath) + "' " + Main.class.getName()
                + " ping-responder --tap tap0 --ip " + STACK_IP + "/24";
            final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns.name, "sh", "-c", script));
            output.toFile().setReadable(true, false);
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();

            Cmd.Result ping = null;
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline && process.isAlive())
            {
                ping = netns.exec(Duration.ofSeconds(5), "ping", "-c", "1", "-W", "1", STACK_IP);
                if (ping.ok())
                {
                    break;
                }
            }
            final String out = Files.readString(output, StandardCharsets.UTF_8);
            assertTrue(ping != null && ping.ok(), "the stack run as nobody does not answer ping: " + ping + "\n" + out);
            final Cmd.Result more = netns.exec(Duration.ofSeconds(10), "ping", "-c", "5", "-i", "0.2", "-W", "2",
                STACK_IP);
            assertTrue(more.ok(), "pings lost: " + more + "\n" + out);
            assertFalse(out.contains("Permission denied") || out.contains("Operation not permitted"), out);
            final Cmd.Result owner = netns.exec(Duration.ofSeconds(5), "sh", "-c",
                "ps -o user= -C java | sort -u");
            assertTrue(owner.toString().contains("nobody"), "the stack's JVM runs as nobody: " + owner);
        }
        finally
        {
            if (process != null)
            {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS))
                {
                    process.destroyForcibly();
                }
            }
            Files.deleteIfExists(output);
            try (Stream<Path> files = Files.walk(classPath))
            {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Copies the test's class path where user nobody can read it (~/.m2 and the build tree need not be). */
    private static String copyClassPath(final Path dir) throws Exception
    {
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> copied = new ArrayList<>();
        int i = 0;
        for (final String entry : classPath.split(File.pathSeparator))
        {
            final Path source = Path.of(entry);
            if (!Files.exists(source))
            {
                continue;
            }
            final Path target = dir.resolve(i++ + "-" + source.getFileName());
            if (Files.isDirectory(source))
            {
                try (Stream<Path> files = Files.walk(source))
                {
                    for (final Path p : (Iterable<Path>)files::iterator)
                    {
                        final Path t = target.resolve(source.relativize(p).toString());
                        if (Files.isDirectory(p))
                        {
                            Files.createDirectories(t);
                        }
                        else
                        {
                            Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            }
            else
            {
                Files.copy(source, target);
            }
            copied.add(target.toString());
        }
        try (Stream<Path> files = Files.walk(dir))
        {
            files.forEach(p ->
            {
                p.toFile().setReadable(true, false);
                if (Files.isDirectory(p))
                {
                    p.toFile().setExecutable(true, false);
                }
            });
        }
        return String.join(File.pathSeparator, copied);
    }
}
