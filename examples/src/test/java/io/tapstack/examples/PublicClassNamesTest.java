package io.tapstack.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No two public top-level types of the project share a simple name: a reader (or an IDE's import) must never
 * have to tell two {@code TcpConnection}s apart. Scans every module's {@code src/main/java}; the examples module
 * depends on every other, so it is where the whole project is in view.
 */
class PublicClassNamesTest
{
    /** A public top-level declaration: in this code base it starts at the beginning of a line. */
    private static final Pattern PUBLIC_TOP_LEVEL = Pattern.compile(
        "^public\\s+(?:(?:final|abstract|sealed|non-sealed|static|strictfp)\\s+)*"
            + "(?:class|interface|enum|record|@interface)\\s+(\\w+)", Pattern.MULTILINE);
    private static final Pattern MODULE = Pattern.compile("<module>\\s*([^<\\s]+)\\s*</module>");

    @Test
    void noTwoPublicClassesShareASimpleName() throws Exception
    {
        final Path root = projectRoot();
        final List<String> modules = modules(root);
        assertTrue(modules.contains("stack-core") && modules.contains("examples"),
            "modules of " + root + ": " + modules);

        final Map<String, List<String>> byName = new TreeMap<>();
        int scanned = 0;
        for (final String module : modules)
        {
            final Path sources = root.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(sources))
            {
                continue;
            }
            for (final Path file : javaFiles(sources))
            {
                final Matcher m = PUBLIC_TOP_LEVEL.matcher(Files.readString(file));
                while (m.find())
                {
                    byName.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(root.relativize(file).toString());
                    scanned++;
                }
            }
        }
        assertTrue(scanned > 50, "found only " + scanned + " public classes under " + root
            + ": is it the project root?");
        final String clashes = byName.entrySet().stream()
            .filter(e -> e.getValue().size() > 1)
            .map(e -> e.getKey() + ": " + String.join(", ", e.getValue()))
            .collect(Collectors.joining("\n"));
        assertTrue(clashes.isEmpty(), "public classes sharing a simple name:\n" + clashes);
    }

    /**
     * The directory of the parent pom (the one listing the modules), found upward from where this test's classes
     * were loaded, so that it does not depend on the working directory Maven or an IDE runs the test in.
     */
    private static Path projectRoot() throws URISyntaxException, IOException
    {
        final Path classes = Path.of(PublicClassNamesTest.class.getProtectionDomain().getCodeSource().getLocation()
            .toURI());
        for (Path dir = classes.toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            final Path pom = dir.resolve("pom.xml");
            if (Files.isRegularFile(pom) && Files.readString(pom).contains("<modules>"))
            {
                return dir;
            }
        }
        throw new IllegalStateException("no parent pom.xml with <modules> above " + classes);
    }

    private static List<String> modules(final Path root) throws IOException
    {
        final Matcher m = MODULE.matcher(Files.readString(root.resolve("pom.xml")));
        final List<String> modules = new ArrayList<>();
        while (m.find())
        {
            modules.add(m.group(1));
        }
        return modules;
    }

    private static List<Path> javaFiles(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.walk(dir))
        {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        }
    }
}
